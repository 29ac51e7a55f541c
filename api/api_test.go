package api

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInferAPIAndEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		a        API
		endpoint string
	}{
		{"https://api.anthropic.com", Anthropic, "https://api.anthropic.com/v1/messages"},
		{"https://api.anthropic.com/", Anthropic, "https://api.anthropic.com/v1/messages"},
		{"https://api.anthropic.com/v1", Anthropic, "https://api.anthropic.com/v1/messages"},
		{"http://127.0.0.1:8080/v1/messages", Anthropic, "http://127.0.0.1:8080/v1/messages"},
		{"https://gateway.example/anthropic/v1/messages", Anthropic, "https://gateway.example/anthropic/v1/messages"},
		{"https://api.openai.com/v1", OpenAI, "https://api.openai.com/v1/chat/completions"},
		{"https://api.openai.com", OpenAI, "https://api.openai.com/v1/chat/completions"},
		{"http://localhost:1/openai/v1/chat/completions", OpenAI, "http://localhost:1/openai/v1/chat/completions"},
		{"http://127.0.0.1:9/search?q=1", HTTP, "http://127.0.0.1:9/search?q=1"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			u, err := url.Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.a, Infer(u))
			assert.Equal(t, tc.endpoint, Endpoint(tc.a, u).String())
		})
	}
}

func TestParseAndNames(t *testing.T) {
	t.Parallel()
	for _, n := range Names() {
		a, err := Parse(n)
		require.NoError(t, err)
		assert.Equal(t, n, string(a))
	}
	_, err := Parse("grpc")
	require.EqualError(t, err, `unknown api "grpc": want anthropic, openai or http`)
	assert.Equal(t, "ANTHROPIC_API_KEY", Anthropic.KeyEnv())
	assert.Equal(t, "OPENAI_API_KEY", OpenAI.KeyEnv())
	assert.Empty(t, HTTP.KeyEnv())
	for raw, want := range map[string]API{
		"https://API.Anthropic.com/": Anthropic, "https://gateway.test/openai/v1/chat/completions": OpenAI,
		"https://example.test/ping": HTTP, "::not a url": HTTP,
	} {
		assert.Equal(t, want, InferURL(raw), raw)
	}
}

func TestTokensOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		want int64
	}{{0, 0}, {1, 1}, {4, 1}, {5, 2}, {8, 2}, {401, 101}} {
		assert.Equal(t, tc.want, TokensOf(tc.n), "%d bytes", tc.n)
	}
	text := PromptText(7, 4000)
	assert.Len(t, text, 4000)
	assert.Equal(t, text, PromptText(7, 4000), "seeded")
	assert.NotEqual(t, text, PromptText(8, 4000))
}

func TestMediaType(t *testing.T) {
	for in, want := range map[string]string{"": "", "application/json": "application/json",
		"Text/HTML; charset=utf-8": "text/html", " text/plain ;x=y": "text/plain"} {
		assert.Equal(t, want, MediaType(in), "%q", in)
	}
}
