package mockserver

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/presets"
)

// Defects the Node SDK conformance suite (conformance/node, TestNodeSDKs) found in the mock's
// wire format, each pinned here in Go so that it stays fixed without node.

// TestPresetHeadersOnce: every header of a preset's 200 and 429 comes once, the request id
// included (OpenAI's 429s had no x-request-id, which the SDKs put in their errors). The error templates
// set canonical names (Retry-After) over the mock's lower-case ones (retry-after), and both went
// on the wire: fetch and httpx read "1, 1", which openai-python and anthropic-python cannot
// parse as a number (they fall back to their own backoff).
func TestPresetHeadersOnce(t *testing.T) {
	sig := "authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"
	cases := []struct {
		preset, path, body string
		headers            []string
		id                 string // the request id header, on a 200 and a 429 alike
	}{
		{"anthropic", "/v1/messages", hello, []string{"x-api-key: k", "anthropic-version: 2023-06-01"}, "request-id"},
		{"openai", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":8}`, []string{"authorization: Bearer k"}, "x-request-id"},
		{"azure-openai", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":8}`, []string{"api-key: k"}, "x-request-id"},
		{"gemini", "/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, []string{"x-goog-api-key: k"}, ""},
		{"bedrock", "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`, []string{sig}, "x-amzn-RequestId"},
	}
	for _, c := range cases {
		t.Run(c.preset, func(t *testing.T) {
			srv := startPreset(t, c.preset, rpm(1))
			for _, want := range []int{200, 429} {
				r := post(t, srv, c.path, c.body, c.headers...)
				require.Equal(t, want, r.status, r.body)
				for k, v := range r.header {
					assert.Len(t, v, 1, "%d: %s: %q", want, k, v)
				}
				if c.id != "" {
					assert.NotEmpty(t, r.header.Get(c.id), "%d: %s", want, c.id)
				}
			}
		})
	}
}

// TestAnthropicCacheUsage: usage carries cache_creation split by TTL, as the API and the SDKs'
// Usage type do, and a stream reports the cache fields in message_start and message_delta
// (the SDKs' accumulators take message_delta's values over message_start's; the mock sent 0).
func TestAnthropicCacheUsage(t *testing.T) {
	srv := startPreset(t, "anthropic", nil)
	doc := strings.Repeat("rate limit bucket ", 300) // 5,400 bytes: 1,350 tokens
	for _, c := range []struct {
		name, ttl, created, read string
	}{
		{"1h write", `,"ttl":"1h"`, `"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":1350}`, `"cache_read_input_tokens":0`},
		{"1h read", `,"ttl":"1h"`, `"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}`, `"cache_read_input_tokens":1350`},
		{"5m write", ``, `"cache_creation":{"ephemeral_5m_input_tokens":1350,"ephemeral_1h_input_tokens":0}`, `"cache_read_input_tokens":0`},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "x-api-key: k"
			body := `{"model":"claude-sonnet-4-5","max_tokens":4,"system":[{"type":"text","text":"` + doc +
				`","cache_control":{"type":"ephemeral"` + c.ttl + `}}],"messages":[{"role":"user","content":"Summarise."}]}`
			if c.name == "5m write" {
				body = strings.Replace(body, "rate limit", "fate limit", 1)
			}
			stream := strings.Replace(body, `"max_tokens":4,`, `"max_tokens":4,"stream":true,`, 1)
			if c.name == "1h read" {
				r := post(t, srv, "/v1/messages", stream, key, "anthropic-version: 2023-06-01")
				require.Equal(t, 200, r.status, r.body)
				start, delta := eventData(r.body, "message_start"), eventData(r.body, "message_delta")
				assert.Contains(t, start, c.read)
				assert.Contains(t, start, c.created)
				assert.Contains(t, delta, c.read)
				assert.Contains(t, delta, `"cache_creation_input_tokens":0`)
			}
			r := post(t, srv, "/v1/messages", body, key, "anthropic-version: 2023-06-01")
			require.Equal(t, 200, r.status, r.body)
			assert.Contains(t, r.body, c.created)
			assert.Contains(t, r.body, c.read)
		})
	}
}

// eventData returns the data line of the first SSE event named name in body.
func eventData(body, name string) string {
	_, after, ok := strings.Cut(body, "event: "+name+"\ndata: ")
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(after, "\n")
	return line
}

// TestPresetChargesGeneratedOutput: under a preset, output generated over time (streamed, or
// held for the generation time) is charged to the key's pool as it is generated. The ledger
// left those tokens to the caller, whose cursor reached no account under a preset: they were
// never charged, and OTPM never bound a streaming workload.
func TestPresetChargesGeneratedOutput(t *testing.T) {
	for _, stream := range []bool{true, false} {
		t.Run(map[bool]string{true: "streamed", false: "not streamed"}[stream], func(t *testing.T) {
			m, srv := startMock(t, func(c *account.Config) {
				require.NoError(t, presets.Apply(c, "anthropic"))
				presets.SetClassLimits(c, "otpm", 600) // 10 a second: the 40 take 4 s to refill
				streamed(nil)(c)
			})
			body := strings.Replace(hello, `"max_tokens":16,`, `"max_tokens":40,`, 1)
			if stream {
				body = strings.Replace(body, `"max_tokens":40,`, `"max_tokens":40,"stream":true,`, 1)
			}
			r := post(t, srv, "/v1/messages", body, "x-api-key: k", "anthropic-version: 2023-06-01")
			require.Equal(t, 200, r.status, r.body)
			st, ok := m.Ledger().AccountStats("k")
			require.True(t, ok)
			assert.Equal(t, int64(40), st.Dimensions["output_tokens"].Units)
			// The remaining count is rounded to thousands, as Anthropic's; the reset shows the debt.
			reset := func(key string) time.Time {
				r := post(t, srv, "/v1/messages", hello, "x-api-key: "+key, "anthropic-version: 2023-06-01")
				require.Equal(t, 200, r.status, r.body)
				return must(time.Parse(time.RFC3339, r.header.Get("anthropic-ratelimit-output-tokens-reset")))
			}
			assert.GreaterOrEqual(t, reset("k").Sub(reset("fresh")), 2*time.Second, "40 tokens at 10 a second are spent")
		})
	}
}

// TestGeminiStreamChunks: streamGenerateContent streams the text in chunks as it is generated,
// the last with finishReason and the full usage (it was one event with the whole answer).
func TestGeminiStreamChunks(t *testing.T) {
	srv := startPreset(t, "gemini", streamed(nil))
	body := `{"contents":[{"role":"user","parts":[{"text":"hello there"}]}],"generationConfig":{"maxOutputTokens":24}}`
	r := post(t, srv, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body, "x-goog-api-key: k")
	require.Equal(t, 200, r.status, r.body)
	assert.Contains(t, r.header.Get("Content-Type"), "text/event-stream")
	var text strings.Builder
	var last map[string]any
	events := strings.Split(strings.TrimSuffix(r.body, "\n\n"), "\n\n")
	require.Greater(t, len(events), 2, r.body)
	for i, ev := range events {
		data, ok := strings.CutPrefix(ev, "data: ")
		require.True(t, ok, ev)
		last = nil
		require.NoError(t, json.Unmarshal([]byte(data), &last))
		cand := last["candidates"].([]any)[0].(map[string]any)
		text.WriteString(cand["content"].(map[string]any)["parts"].([]any)[0].(map[string]any)["text"].(string))
		_, finished := cand["finishReason"]
		assert.Equal(t, i == len(events)-1, finished, "finishReason on the last chunk only")
	}
	assert.Equal(t, string(appendReply(nil, 24)), text.String())
	assert.Equal(t, map[string]any{"promptTokenCount": 3.0, "candidatesTokenCount": 24.0, "totalTokenCount": 27.0}, last["usageMetadata"])
}

// TestAzureStream: "stream": true on an Azure deployment path streams chat.completion.chunk
// events naming the deployment, with Azure's headers (it answered one JSON completion, which
// the SDKs' stream readers take for an empty stream).
func TestAzureStream(t *testing.T) {
	srv := startPreset(t, "azure-openai", streamed(nil))
	body := `{"messages":[{"role":"user","content":"hi"}],"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}`
	r := post(t, srv, "/openai/deployments/my-gpt-4o/chat/completions?api-version=2024-10-21", body, "api-key: k")
	require.Equal(t, 200, r.status, r.body)
	assert.Contains(t, r.header.Get("Content-Type"), "text/event-stream")
	assert.Regexp(t, `^\d+$`, r.header.Get("x-ratelimit-reset-tokens"), "Azure's resets are in seconds")
	assert.NotEmpty(t, r.header.Get("x-request-id"))
	require.True(t, strings.HasSuffix(r.body, "data: [DONE]\n\n"), r.body)
	var text strings.Builder
	var usage map[string]any
	for _, ev := range strings.Split(strings.TrimSuffix(r.body, "data: [DONE]\n\n"), "\n\n") {
		if ev == "" {
			continue
		}
		var ch struct {
			Model   string
			Choices []struct{ Delta struct{ Content string } }
			Usage   map[string]any
		}
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(ev, "data: ")), &ch), ev)
		assert.Equal(t, "my-gpt-4o", ch.Model)
		for _, c := range ch.Choices {
			text.WriteString(c.Delta.Content)
		}
		if ch.Usage != nil {
			usage = ch.Usage
		}
	}
	assert.Equal(t, string(appendReply(nil, 16)), text.String())
	require.NotNil(t, usage)
	assert.Equal(t, 16.0, usage["completion_tokens"])
}

// TestPresetGenerationTime: a preset's own endpoints (Azure, Gemini, Bedrock) hold a
// non-streamed reply for its generation time, as the Anthropic and OpenAI paths do (they
// answered at once whatever --ttft and --output-tps said).
func TestPresetGenerationTime(t *testing.T) {
	sig := "authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"
	cases := []struct{ preset, path, body, header string }{
		{"azure-openai", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":40}`, "api-key: k"},
		{"gemini", "/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":40}}`, "x-goog-api-key: k"},
		{"bedrock", "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":40,"messages":[{"role":"user","content":"hi"}]}`, sig},
	}
	for _, c := range cases {
		t.Run(c.preset, func(t *testing.T) {
			srv := startPreset(t, c.preset, streamed(nil)) // 50 ms to the first token, 400 tokens/s
			start := time.Now()
			r := post(t, srv, c.path, c.body, c.header)
			require.Equal(t, 200, r.status, r.body)
			assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond+39*2500*time.Microsecond)
		})
	}
}

// TestAnthropicSamplingRemoved: under API version 2026-10-21 (what @anthropic-ai/sdk 1.x
// sends) the Anthropic preset refuses temperature, top_p and top_k with a 400, as the API does;
// earlier versions and the mock without a preset accept them.
func TestAnthropicSamplingRemoved(t *testing.T) {
	srv := startPreset(t, "anthropic", nil)
	_, plain := startMock(t, nil)
	for _, param := range []string{"temperature", "top_p", "top_k"} {
		body := strings.Replace(hello, `"max_tokens":16,`, `"max_tokens":16,"`+param+`":1,`, 1)
		r := post(t, srv, "/v1/messages", body, "x-api-key: k", "anthropic-version: 2026-10-21")
		require.Equal(t, 400, r.status, r.body)
		assert.Contains(t, r.body, `"type":"invalid_request_error","message":"`+param+`: Extra inputs are not permitted"`)
		assert.Equal(t, "false", r.header.Get("x-should-retry"))
		assert.Equal(t, 200, post(t, srv, "/v1/messages", body, "x-api-key: k", "anthropic-version: 2023-06-01").status, param)
		assert.Equal(t, 200, post(t, plain, "/v1/messages", body, "x-api-key: k", "anthropic-version: 2026-10-21").status, param)
	}
	assert.Equal(t, 200, post(t, srv, "/v1/messages", hello, "x-api-key: k", "anthropic-version: 2026-10-21").status)
}
