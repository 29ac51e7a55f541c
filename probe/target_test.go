package probe

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/ratelab/ratelab/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewTargetErrors(t *testing.T) {
	t.Parallel()
	base := TargetConfig{API: api.Anthropic, URL: "http://127.0.0.1:1", Model: "m", MaxTokens: 16, PromptTokens: 32}
	for _, tc := range []struct {
		name  string
		mod   func(*TargetConfig)
		field string
		want  string
	}{
		{"bad url", func(c *TargetConfig) { c.URL = "127.0.0.1:1" }, "target.url", `target.url "127.0.0.1:1": want an http:// or https:// URL`},
		{"bad api", func(c *TargetConfig) { c.API = "grpc" }, "target.api", `unknown api "grpc"`},
		{"no model", func(c *TargetConfig) { c.Model = "" }, "target.model", "target.model: is required for the anthropic API, e.g. claude-haiku-4-5"},
		{"no max tokens", func(c *TargetConfig) { c.MaxTokens = 0 }, "workload.max_tokens", "workload.max_tokens 0: want at least 1"},
		{"no prompt", func(c *TargetConfig) { c.PromptTokens = 0 }, "workload.prompt_tokens", "workload.prompt_tokens 0: want 1 to 4194304"},
		{"spread too wide", func(c *TargetConfig) { c.PromptSpread = 1 }, "workload.prompt_tokens_spread", "workload.prompt_tokens_spread 1: want a fraction"},
		{"GET on anthropic", func(c *TargetConfig) { c.Method = "GET" }, "target.method", "target.method GET: the anthropic API takes POST"},
		{"body on anthropic", func(c *TargetConfig) { c.Body = []byte("x") }, "target.body", "target.body: is for the http API"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			_, err := NewTarget(c)
			var te *TargetError
			require.ErrorAs(t, err, &te, "a target error names the field at fault")
			assert.Equal(t, tc.field, te.Field)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestRequestBodies checks both LLM bodies are valid JSON carrying exactly --prompt-tokens
// under the mock's estimator (⌈bytes/4⌉), and the headers each API wants.
func TestRequestBodies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a        api.API
		maxField string
		header   string
		value    string
	}{
		{api.Anthropic, "max_tokens", "x-api-key", "k-123"},
		{api.OpenAI, "max_completion_tokens", "Authorization", "Bearer k-123"},
	} {
		t.Run(string(tc.a), func(t *testing.T) {
			tg, err := NewTarget(TargetConfig{API: tc.a, URL: "http://127.0.0.1:1", Key: "k-123", Model: `m"1`, MaxTokens: 7, PromptTokens: 25, Seed: 9})
			require.NoError(t, err)
			body := tg.AppendBody(nil, 3)
			var got map[string]any
			require.NoError(t, json.Unmarshal(body, &got), string(body))
			assert.Equal(t, `m"1`, got["model"])
			assert.Equal(t, 7.0, got[tc.maxField])
			msgs := got["messages"].([]any)
			require.Len(t, msgs, 1)
			msg := msgs[0].(map[string]any)
			assert.Equal(t, "user", msg["role"])
			content := msg["content"].(string)
			assert.Len(t, content, 25*api.BytesPerToken)
			assert.NotEqual(t, byte(' '), content[len(content)-1])
			assert.Regexp(t, `^[a-z ]+$`, content)

			req := tg.NewRequest(context.Background(), body)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, tc.value, req.Header.Get(tc.header))
			assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
			assert.Equal(t, int64(len(body)), req.ContentLength)
			sent, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			assert.Equal(t, body, sent)
			again, err := req.GetBody()
			require.NoError(t, err)
			sent2, _ := io.ReadAll(again)
			assert.Equal(t, body, sent2, "GetBody replays the body for a transport retry")
			if tc.a == api.Anthropic {
				assert.Equal(t, api.AnthropicVersion, req.Header.Get("anthropic-version"))
			}
		})
	}
}

func TestPromptDeterministicAndSpread(t *testing.T) {
	t.Parallel()
	mk := func(seed int64, spread float64) *Target {
		tg, err := NewTarget(TargetConfig{API: api.Anthropic, URL: "http://127.0.0.1:1", Model: "m", MaxTokens: 1, PromptTokens: 100, PromptSpread: spread, Seed: seed})
		require.NoError(t, err)
		return tg
	}
	a, b, c := mk(1, 0), mk(1, 0), mk(2, 0)
	assert.Equal(t, a.AppendBody(nil, 0), b.AppendBody(nil, 0), "same seed, same prompt")
	assert.NotEqual(t, a.AppendBody(nil, 0), c.AppendBody(nil, 0), "another seed, another prompt")
	assert.Equal(t, a.AppendBody(nil, 0), a.AppendBody(nil, 99), "no spread: every request alike")

	s := mk(1, 0.2)
	lo, hi, sum := int64(1<<62), int64(0), int64(0)
	const n = 2000
	for id := range int64(n) {
		k := s.PromptTokens(id)
		assert.Equal(t, k, s.PromptTokens(id), "a request's size is fixed by the seed")
		lo, hi, sum = min(lo, k), max(hi, k), sum+k
	}
	assert.GreaterOrEqual(t, lo, int64(80))
	assert.LessOrEqual(t, hi, int64(120))
	assert.Less(t, lo, int64(83), "the spread reaches its low end")
	assert.Greater(t, hi, int64(117), "and its high end")
	assert.InDelta(t, 100, float64(sum)/n, 1, "uniform around --prompt-tokens")
	body := s.AppendBody(nil, 5)
	var got struct {
		Messages []struct{ Content string } `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Len(t, got.Messages[0].Content, int(s.PromptTokens(5))*api.BytesPerToken)
}

func TestUsage(t *testing.T) {
	t.Parallel()
	anth, err := NewTarget(TargetConfig{API: api.Anthropic, URL: "http://127.0.0.1:1", Model: "m", MaxTokens: 1, PromptTokens: 1})
	require.NoError(t, err)
	oai, err := NewTarget(TargetConfig{API: api.OpenAI, URL: "http://127.0.0.1:1", Model: "m", MaxTokens: 1, PromptTokens: 1})
	require.NoError(t, err)
	plain, err := NewTarget(TargetConfig{URL: "http://127.0.0.1:1/x"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		t       *Target
		body    string
		in, out int64
	}{
		{"anthropic", anth, `{"usage":{"input_tokens":12,"output_tokens":5,"cache_read_input_tokens":0}}`, 12, 5},
		{"openai", oai, `{"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`, 9, 3},
		{"no usage", anth, `{"type":"error"}`, 0, 0},
		{"garbage", anth, `{"usage":`, 0, 0},
		{"http ignores bodies", plain, `{"usage":{"input_tokens":12}}`, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, out := tc.t.Usage([]byte(tc.body))
			assert.Equal(t, tc.in, in)
			assert.Equal(t, tc.out, out)
		})
	}
}

func TestScrubRemovesKey(t *testing.T) {
	t.Parallel()
	tg, err := NewTarget(TargetConfig{URL: "http://127.0.0.1:1/x", Key: "abcd-secret"})
	require.NoError(t, err)
	assert.Equal(t, "dial [redacted] failed", tg.scrub("dial abcd-secret failed"))
}
