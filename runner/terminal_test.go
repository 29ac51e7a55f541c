package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
)

// quotaServer answers the first ok requests with an OpenAI chat completion, then every request
// with refusal (status and body) and the given headers.
func quotaServer(t *testing.T, ok int64, status int, headers map[string]string, refusal string) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("content-type", "application/json")
		if n.Add(1) <= ok {
			_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
			return
		}
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, refusal)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestTerminalQuotaStopsTheRun: a live compare against a server whose daily quota runs out
// after 5 requests stops at the first refusal that says so, whatever the strategy, and the
// report names the cause. Each body is the provider's documented or captured wire format.
func TestTerminalQuotaStopsTheRun(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		headers  map[string]string
		body     string
		terminal string // the record's terminal field
		words    string // in run.json's stop reason and report.md
	}{
		{"openai RPD", 429, nil,
			`{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on requests per day (RPD): Limit 5, Used 5, Requested 1. Please try again in 4h48m0s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			"daily-quota", "daily quota exhausted"},
		{"openai insufficient_quota", 429, map[string]string{"retry-after": "1"},
			`{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			"insufficient-quota", "insufficient quota"},
		{"gemini PerDay with a short retryDelay", 429, nil,
			`{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"5"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}`,
			"daily-quota", "daily quota exhausted"},
		{"azure 86400 seconds", 429, map[string]string{"retry-after-ms": "86400000"},
			`{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 86400 seconds."}}`,
			"", "longer than max elapsed"},
		{"bedrock tokens per day", 429, map[string]string{"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
			`{"message":"Too many tokens per day, please wait before trying again."}`, "daily-quota", "daily quota exhausted"},
	}
	for _, strategy := range []string{"full-jitter", "retry-after", "anthropic-sdk"} {
		for _, tc := range tests {
			t.Run(strategy+"/"+tc.name, func(t *testing.T) {
				srv, sent := quotaServer(t, 5, tc.status, tc.headers, tc.body)
				s := load(t, fmt.Sprintf("target: {url: %q, api: openai, model: gpt-4o-mini}\nphases:\n  - compare: {strategies: [%s], clients: 2, requests: 20}\n", srv.URL+"/v1/chat/completions", strategy))
				start := time.Now()
				o := run(context.Background(), s)
				require.NoError(t, o.err, o.stderr)
				assert.Less(t, time.Since(start), 10*time.Second)
				// 5 successes, then at most one refusal per client.
				assert.LessOrEqual(t, sent.Load(), int64(5+2), "the run stops within one attempt")
				rec, err := record.ReadRun(s.Output.Dir)
				require.NoError(t, err)
				assert.Contains(t, rec.StopReason, "terminal refusal: ")
				assert.Contains(t, rec.StopReason, tc.words)
				var final *record.Attempt
				for _, a := range attempts(t, s.Output.Dir) {
					if a.Status == 429 && a.Final {
						final = &a
						break
					}
				}
				require.NotNil(t, final)
				assert.Equal(t, tc.terminal, final.Terminal)
				assert.Contains(t, final.GaveUp, "terminal: ")
				md, err := os.ReadFile(filepath.Join(s.Output.Dir, "report.md"))
				require.NoError(t, err)
				assert.Contains(t, string(md), tc.words)
				assert.True(t, strings.Contains(string(md), "The run stopped at a terminal refusal ("), "a key finding names it")
				assert.Contains(t, string(md), "stopped at a terminal refusal: ", "the strategy's failure reasons name it")
				if strategy == "full-jitter" && tc.name == "openai RPD" {
					t.Log(string(md[:strings.Index(string(md), "## Totals")]))
				}
			})
		}
	}
}
