package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// TestPresetEndpointEndToEnd: a live probe and a live compare against the embedded mock under
// each preset whose endpoint is not the API's standard one go to that endpoint (the runner
// takes it from the preset, or from target.url as a path on the mock), and the answers are the
// provider's: Azure's 429s carry retry-after-ms, Gemini's carry RetryInfo in the body and no
// rate-limit headers, Bedrock's invoke answers with Messages usage and refuses with no hint.
func TestPresetEndpointEndToEnd(t *testing.T) {
	tests := []struct {
		name, target, mock, path string
		rpm                      int // Azure's is enforced over 10-second windows: 60 admits 6 in each
		check                    func(t *testing.T, refused, ok []record.Attempt)
	}{
		{"azure-openai deployment path from the preset", "{api: openai, model: gpt-4o}", "azure-openai",
			"/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", 60,
			func(t *testing.T, refused, ok []record.Attempt) {
				assert.Positive(t, ok[0].InputTokens, "OpenAI usage read from the deployment's answer")
				assert.True(t, refused[0].HasRetryAfter, "retry-after-ms read")
			}},
		{"azure-openai v1 path given as target.url", "{api: openai, model: gpt-4o, url: /openai/v1/chat/completions}", "azure-openai",
			"/openai/v1/chat/completions", 60,
			func(t *testing.T, refused, ok []record.Attempt) {
				assert.Positive(t, ok[0].InputTokens)
			}},
		{"gemini generateContent as an http target", `{api: http, url: "/v1beta/models/gemini-2.5-flash:generateContent", body: '{"contents":[{"parts":[{"text":"hello"}]}],"generationConfig":{"maxOutputTokens":8}}'}`, "gemini:tier-1",
			"/v1beta/models/gemini-2.5-flash:generateContent", 10,
			func(t *testing.T, refused, ok []record.Attempt) {
				assert.True(t, refused[0].HasRetryHint, "RetryInfo retryDelay read from the body")
				assert.Equal(t, ratelimit.DialectNone, refused[0].Dialect, "no rate-limit headers")
			}},
		{"bedrock invoke path from the preset", "{api: anthropic, model: anthropic.claude-sonnet-4-5-20250929-v1:0}", "bedrock",
			"/model/anthropic.claude-sonnet-4-5-20250929-v1:0/invoke", 10,
			func(t *testing.T, refused, ok []record.Attempt) {
				assert.Positive(t, ok[0].InputTokens, "Messages usage read from invoke")
				assert.False(t, refused[0].HasRetryAfter, "ThrottlingException carries no retry hint")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, "target: "+tc.target+"\nmock:\n  preset: "+tc.mock+"\n  limits:\n    requests: {per_minute: "+strconv.Itoa(tc.rpm)+"}\n"+
				"workload: {prompt_tokens: 50, max_tokens: 8}\nphases:\n  - probe: {rate: 20/s, duration: 1s}\n  - compare: {strategies: [full-jitter], clients: 2, requests: 2}\nseed: 1\n")
			o := run(context.Background(), s)
			require.NoError(t, o.err, o.stderr)
			b, err := os.ReadFile(filepath.Join(s.Output.Dir, "run.json"))
			require.NoError(t, err)
			var run struct {
				Target record.Target `json:"target"`
			}
			require.NoError(t, json.Unmarshal(b, &run))
			assert.Equal(t, tc.path, run.Target.Path, "run.json names the endpoint")
			var refused, ok []record.Attempt
			for _, a := range attempts(t, s.Output.Dir) {
				switch a.Status {
				case 200:
					ok = append(ok, a)
				case 429:
					refused = append(refused, a)
				default:
					t.Fatalf("status %d (%s): the request missed the preset's endpoint", a.Status, a.Error)
				}
			}
			require.NotEmpty(t, ok)
			require.NotEmpty(t, refused, "20 requests in a second")
			tc.check(t, refused, ok)
		})
	}
}
