package mockserver

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/presets"
)

// startPreset serves a mock speaking preset spec, with set applied after the preset (as flags
// are), until the test ends.
func startPreset(t *testing.T, spec string, set func(*account.Config)) *Server {
	t.Helper()
	_, srv := startMock(t, func(c *account.Config) {
		require.NoError(t, presets.Apply(c, spec))
		if set != nil {
			set(c)
		}
	})
	return srv
}

// rateLimitHeaders lists the rate-limit header names of a response.
func rateLimitHeaders(r response) []string {
	var out []string
	for k := range r.header {
		if strings.Contains(strings.ToLower(k), "ratelimit") || strings.EqualFold(k, "retry-after") {
			out = append(out, k)
		}
	}
	return out
}

func rpm(n int64) func(*account.Config) {
	return func(c *account.Config) { presets.SetClassLimits(c, "rpm", n) }
}

func TestPresetAnthropic(t *testing.T) {
	srv := startPreset(t, "anthropic", rpm(1))
	r := post(t, srv, "/v1/messages", hello, "x-api-key: k")
	assert.Equal(t, 400, r.status)
	assert.JSONEq(t, `{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"},"request_id":"req_ID"}`, normalize(r.body))
	r = post(t, srv, "/v1/messages", hello, "x-api-key: k", "anthropic-version: 2023-10-01")
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.body, `anthropic-version: \"2023-10-01\" is not a valid version`)

	// 2026-10-21 is what @anthropic-ai/sdk 1.x (and the other SDK majors of that day) send;
	// the Node conformance suite found it refused.
	r = post(t, startPreset(t, "anthropic", nil), "/v1/messages", hello, "x-api-key: k", "anthropic-version: 2026-10-21")
	require.Equal(t, 200, r.status, r.body)
	r = post(t, srv, "/v1/messages", hello, "x-api-key: k", "anthropic-version: 2023-06-01")
	require.Equal(t, 200, r.status, r.body)
	for _, d := range []string{"requests", "tokens", "input-tokens", "output-tokens"} {
		for _, f := range []string{"limit", "remaining", "reset"} {
			assert.NotEmpty(t, r.header.Get("anthropic-ratelimit-"+d+"-"+f), d+"-"+f)
		}
	}
	assert.Equal(t, "2000000", r.header.Get("anthropic-ratelimit-input-tokens-limit"), "Start tier")
	assert.Equal(t, "2400000", r.header.Get("anthropic-ratelimit-tokens-limit"), "input plus output")

	r = post(t, srv, "/v1/messages", hello, "x-api-key: k", "anthropic-version: 2023-06-01")
	require.Equal(t, 429, r.status)
	assert.Equal(t, "60", r.header.Get("retry-after"))
	assert.Contains(t, r.body, `"type":"rate_limit_error"`)
	assert.Contains(t, r.body, "of 1 requests per minute")
	r = post(t, srv, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":500000,"messages":[{"role":"user","content":"hi"}]}`, "x-api-key: k2", "anthropic-version: 2023-06-01")
	require.Equal(t, 200, r.status, "output is charged as generated, not reserved")
	r = post(t, srv, "/v1/messages", `{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`, "x-api-key: k2", "anthropic-version: 2023-06-01")
	require.Equal(t, 200, r.status, "Haiku 4.5 has its own pool")
	r = post(t, srv, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`, "x-api-key: k2", "anthropic-version: 2023-06-01")
	require.Equal(t, 429, r.status)

	otpm := startPreset(t, "anthropic", nil)
	big := `{"model":"claude-sonnet-4-5","max_tokens":500000,"messages":[{"role":"user","content":"hi"}]}`
	require.Equal(t, 200, post(t, otpm, "/v1/messages", big, "x-api-key: k", "anthropic-version: 2023-06-01").status)
	r = post(t, otpm, "/v1/messages", strings.Replace(big, "500000", "16", 1), "x-api-key: k", "anthropic-version: 2023-06-01")
	require.Equal(t, 429, r.status, "the 500,000 tokens generated put OTPM in debt")
	assert.Contains(t, r.body, "of 400,000 output tokens per minute")
	assert.Regexp(t, `^req_01`, r.header.Get("request-id"))
	assert.Equal(t, "true", r.header.Get("x-should-retry"))

	lenient := startPreset(t, "anthropic", func(c *account.Config) { c.Provider.Lenient = true })
	assert.Equal(t, 200, post(t, lenient, "/v1/messages", hello, "x-api-key: k").status, "--lenient")
}

func TestPresetAnthropicCache(t *testing.T) {
	srv := startPreset(t, "anthropic", nil)
	doc := strings.Repeat("rate limit bucket ", 300) // 5,400 bytes: 1,350 tokens
	body := `{"model":"claude-sonnet-4-5","max_tokens":16,"system":[{"type":"text","text":"` + doc +
		`","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Summarise."}]}`
	usage := func() map[string]int64 {
		r := post(t, srv, "/v1/messages", body, "x-api-key: k", "anthropic-version: 2023-06-01")
		require.Equal(t, 200, r.status, r.body)
		var m struct{ Usage map[string]any }
		require.NoError(t, json.Unmarshal([]byte(r.body), &m))
		out := map[string]int64{}
		for k, v := range m.Usage {
			if f, ok := v.(float64); ok {
				out[k] = int64(f)
			}
		}
		return out
	}
	u1 := usage()
	assert.Equal(t, int64(1350), u1["cache_creation_input_tokens"])
	assert.Equal(t, int64(0), u1["cache_read_input_tokens"])
	assert.Equal(t, int64(3), u1["input_tokens"], "the tokens after the breakpoint")
	u2 := usage()
	assert.Equal(t, int64(0), u2["cache_creation_input_tokens"])
	assert.Equal(t, int64(1350), u2["cache_read_input_tokens"])
	assert.Equal(t, int64(3), u2["input_tokens"])

	short := `{"model":"claude-sonnet-4-5","max_tokens":16,"system":[{"type":"text","text":"short","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]}`
	r := post(t, srv, "/v1/messages", short, "x-api-key: k", "anthropic-version: 2023-06-01")
	assert.Contains(t, r.body, `"cache_creation_input_tokens":0,"cache_read_input_tokens":0`, "below 1,024 tokens nothing is cached")
}

func TestPresetOpenAI(t *testing.T) {
	srv := startPreset(t, "openai", func(c *account.Config) { c.RequestsPerDay = 1 })
	chat := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":8}`
	r := post(t, srv, "/v1/chat/completions", chat, "authorization: Bearer k")
	require.Equal(t, 200, r.status, r.body)
	for _, h := range []string{"limit-requests", "limit-tokens", "remaining-requests", "remaining-tokens", "reset-requests", "reset-tokens"} {
		assert.NotEmpty(t, r.header.Get("x-ratelimit-"+h), h)
	}
	_, err := time.ParseDuration(r.header.Get("x-ratelimit-reset-requests"))
	assert.NoError(t, err, "a Go duration")
	assert.Equal(t, "200000", r.header.Get("x-ratelimit-limit-tokens"), "Tier 1 gpt-4o-mini")

	r = post(t, srv, "/v1/chat/completions", chat, "authorization: Bearer k")
	require.Equal(t, 429, r.status)
	assert.Empty(t, r.header.Get("retry-after"), "the preset documents no retry-after on OpenAI 429s")
	var e struct {
		Error struct{ Message, Type, Code string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &e))
	assert.Equal(t, "rate_limit_exceeded", e.Error.Code)
	assert.Equal(t, "requests", e.Error.Type)
	assert.Regexp(t, `on requests per day \(RPD\): Limit 1, Used 1, Requested 1\. Please try again in (23h59m[0-9.]+s|24h0m0s)\.`, e.Error.Message,
		"the day's quota refills continuously: one request a day comes back after a day")
}

func TestPresetAzure(t *testing.T) {
	srv := startPreset(t, "azure-openai", func(c *account.Config) { presets.SetClassLimits(c, "tpm", 6000) })
	chat := `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2500}`
	r := post(t, srv, "/openai/deployments/gpt-4o/chat/completions", chat, "api-key: k")
	assert.Equal(t, 404, r.status, "no api-version")
	path := "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
	r = post(t, srv, path, chat, "api-key: k")
	require.Equal(t, 200, r.status, r.body)
	assert.Contains(t, r.body, `"model":"gpt-4o"`)
	assert.Equal(t, "6000", r.header.Get("x-ratelimit-limit-tokens"))
	assert.Equal(t, "36", r.header.Get("x-ratelimit-limit-requests"), "RPM from TPM: 6 per 1,000 for gpt-4o")
	assert.Equal(t, "3499", r.header.Get("x-ratelimit-remaining-tokens"), "1 + 2,500 reserved, never settled")
	_, err := strconv.Atoi(r.header.Get("x-ratelimit-reset-tokens"))
	assert.NoError(t, err, "resets in seconds, not %q", r.header.Get("x-ratelimit-reset-tokens"))
	require.Equal(t, 200, post(t, srv, path, chat, "api-key: k").status)
	r = post(t, srv, path, chat, "api-key: k")
	require.Equal(t, 429, r.status)
	ms, err := strconv.Atoi(r.header.Get("retry-after-ms"))
	require.NoError(t, err)
	assert.Greater(t, ms, 0)
	assert.NotEmpty(t, r.header.Get("retry-after"))
	assert.Contains(t, r.body, `"code":"429"`)
	assert.Contains(t, r.body, "exceeded token rate limit")

	// 36 RPM are enforced over 10-second windows: 6 per window.
	small := `{"messages":[{"role":"user","content":"hi"}],"max_tokens":1}`
	codes := map[int]int{}
	for range 7 {
		codes[post(t, srv, path, small, "api-key: other").status]++
	}
	assert.Equal(t, map[int]int{200: 6, 429: 1}, codes)

	// The v1 API: no api-version, the deployment in the body's model.
	r = post(t, srv, "/openai/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":1}`, "api-key: v1")
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, "36", r.header.Get("x-ratelimit-limit-requests"))
}

func TestPresetGemini(t *testing.T) {
	srv := startPreset(t, "gemini", rpm(1))
	body := `{"contents":[{"role":"user","parts":[{"text":"hello there"}]}],"generationConfig":{"maxOutputTokens":16}}`
	r := post(t, srv, "/v1beta/models/gemini-2.5-flash:generateContent", body, "x-goog-api-key: k")
	require.Equal(t, 200, r.status, r.body)
	assert.Empty(t, rateLimitHeaders(r))
	var ok struct {
		Candidates    []struct{ FinishReason string }
		UsageMetadata struct{ PromptTokenCount, CandidatesTokenCount, TotalTokenCount int }
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &ok))
	assert.Equal(t, 3, ok.UsageMetadata.PromptTokenCount)
	assert.Equal(t, 16, ok.UsageMetadata.CandidatesTokenCount)
	assert.Equal(t, "MAX_TOKENS", ok.Candidates[0].FinishReason)

	r = post(t, srv, "/v1beta/models/gemini-2.5-flash:generateContent", body, "x-goog-api-key: k")
	require.Equal(t, 429, r.status)
	assert.Empty(t, rateLimitHeaders(r), "Gemini sends no rate-limit headers")
	var e struct {
		Error struct {
			Code    int
			Status  string
			Details []map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &e))
	assert.Equal(t, 429, e.Error.Code)
	assert.Equal(t, "RESOURCE_EXHAUSTED", e.Error.Status)
	types := map[string]map[string]any{}
	for _, d := range e.Error.Details {
		types[d["@type"].(string)] = d
	}
	require.Contains(t, types, "type.googleapis.com/google.rpc.RetryInfo")
	assert.Regexp(t, `^[0-9]+(\.[0-9]+)?s$`, types["type.googleapis.com/google.rpc.RetryInfo"]["retryDelay"])
	require.Contains(t, types, "type.googleapis.com/google.rpc.QuotaFailure")
	assert.Contains(t, r.body, `"quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"`)
	assert.Contains(t, r.body, `"model":"gemini-2.5-flash"`)
	assert.Equal(t, 200, post(t, srv, "/v1beta/models/gemini-2.5-pro:generateContent", body, "x-goog-api-key: k").status, "per model")
	assert.Equal(t, 200, post(t, srv, "/v1beta/models/gemini-2.5-flash:generateContent?key=k2", body).status, "the key in ?key= is another project")
	assert.Equal(t, 429, post(t, srv, "/v1beta/models/gemini-2.5-flash:generateContent?key=k2", body).status)
}

func TestPresetBedrock(t *testing.T) {
	srv := startPreset(t, "bedrock", rpm(1))
	sig := "authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"
	invoke := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}`
	r := post(t, srv, "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", invoke, sig)
	require.Equal(t, 200, r.status, r.body)
	assert.Empty(t, rateLimitHeaders(r))
	assert.NotEmpty(t, r.header.Get("x-amzn-RequestId"))
	assert.Contains(t, r.body, `"usage":{"input_tokens":3,"output_tokens":16}`)

	r = post(t, srv, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", `{"messages":[{"role":"user","content":[{"text":"hello there"}]}],"inferenceConfig":{"maxTokens":16}}`, sig)
	require.Equal(t, 429, r.status, "invoke and converse share the model's quota")
	assert.Equal(t, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", r.header.Get("x-amzn-ErrorType"))
	assert.JSONEq(t, `{"message":"Too many requests, please wait before trying again."}`, r.body)
	assert.Empty(t, rateLimitHeaders(r))

	r = post(t, srv, "/model/us.amazon.nova-pro-v1:0/converse", `{"messages":[{"role":"user","content":[{"text":"hello there"}]}],"inferenceConfig":{"maxTokens":16}}`, sig)
	require.Equal(t, 200, r.status, r.body)
	assert.Contains(t, r.body, `"usage":{"inputTokens":3,"outputTokens":16,"totalTokens":19}`)
}
