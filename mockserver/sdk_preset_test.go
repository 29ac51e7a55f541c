package mockserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	openaioption "github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"

	"github.com/ratelab/ratelab/account"
)

// Conformance of the presets with the official Go clients on loopback: anthropic-sdk-go
// (prompt-caching usage, typed 429s, the retry-after it honours), openai-go (its typed daily
// quota error, and its Azure option with api-key and deployment paths, honouring
// retry-after-ms) and Google's go-genai against the Gemini endpoints (usageMetadata, the
// APIError whose details carry RetryInfo and QuotaFailure). Bedrock's SDK signs requests
// with real credentials, so TestPresetBedrock checks its documented wire format with raw HTTP.

// oneASecondAll admits one request per second per pool: a bucket of 1 refilling at 60/min.
func oneASecondAll(c *account.Config) {
	for i := range c.Provider.Classes {
		c.Provider.Classes[i].Limits.Requests = account.Limit{PerMinute: 60, Burst: ptr(int64(1))}
	}
}

func TestSDKPresetAnthropicCaching(t *testing.T) {
	t.Parallel()
	srv := startPreset(t, "anthropic", nil)
	client := anthropicClient(srv)                                  // the SDK sends anthropic-version: 2023-06-01
	doc := strings.Repeat("shared prefix of a long document ", 200) // 6,600 bytes: 1,650 tokens
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 16,
		System:    []anthropic.TextBlockParam{{Text: doc, CacheControl: anthropic.CacheControlEphemeralParam{TTL: anthropic.CacheControlEphemeralTTLTTL1h}}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Summarise."))},
	}
	m1, err := client.Messages.New(context.Background(), params)
	require.NoError(t, err)
	assert.Equal(t, int64(1650), m1.Usage.CacheCreationInputTokens)
	assert.Equal(t, int64(0), m1.Usage.CacheReadInputTokens)
	assert.Equal(t, int64(3), m1.Usage.InputTokens)
	m2, err := client.Messages.New(context.Background(), params)
	require.NoError(t, err)
	assert.Equal(t, int64(0), m2.Usage.CacheCreationInputTokens)
	assert.Equal(t, int64(1650), m2.Usage.CacheReadInputTokens)
	assert.Equal(t, int64(3), m2.Usage.InputTokens)
}

func TestSDKPresetAnthropicRateLimited(t *testing.T) {
	t.Parallel()
	srv := startPreset(t, "anthropic", oneASecondAll)
	client := anthropicClient(srv)
	_, err := client.Messages.New(context.Background(), helloParams())
	require.NoError(t, err)
	var raw *http.Response
	_, err = client.Messages.New(context.Background(), helloParams(), anthropicoption.WithMaxRetries(0), anthropicoption.WithResponseInto(&raw))
	var apiErr *anthropic.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Contains(t, apiErr.Error(), "rate_limit_error")
	assert.Equal(t, "1", apiErr.Response.Header.Get("retry-after"))
	start := time.Now()
	_, err = client.Messages.New(context.Background(), helloParams())
	require.NoError(t, err, "the SDK waits the retry-after and retries")
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond)
}

// TestSDKPresetOpenAITerminal: openai-go's typed error carries the terminal causes' codes.
func TestSDKPresetOpenAITerminal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name            string
		set             func(*account.Config)
		code, typ, text string
	}{
		{"requests per day", func(c *account.Config) { c.RequestsPerDay = 1 }, "rate_limit_exceeded", "requests", "requests per day (RPD)"},
		{"insufficient quota", func(c *account.Config) { c.TerminalAfter, c.TerminalCause = 1, account.CauseInsufficientQuota },
			"insufficient_quota", "insufficient_quota", "You exceeded your current quota"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := openAIClient(startPreset(t, "openai", c.set))
			_, err := client.Chat.Completions.New(context.Background(), chatParams())
			require.NoError(t, err)
			_, err = client.Chat.Completions.New(context.Background(), chatParams(), openaioption.WithMaxRetries(0))
			var apiErr *openai.Error
			require.True(t, errors.As(err, &apiErr), "got %v", err)
			assert.Equal(t, 429, apiErr.StatusCode)
			assert.Equal(t, c.code, apiErr.Code)
			assert.Equal(t, c.typ, apiErr.Type)
			assert.Contains(t, apiErr.Message, c.text)
		})
	}
}

func TestSDKPresetAzure(t *testing.T) {
	t.Parallel()
	srv := startPreset(t, "azure-openai", oneASecondAll)
	client := openai.NewClient(azure.WithEndpoint(srv.URL(), "2024-10-21"), azure.WithAPIKey("azure-test-key"), azure.WithUnsafeAllowHTTP())
	params := chatParams()
	params.Model = "my-gpt-4o-mini" // the deployment
	c, err := client.Chat.Completions.New(context.Background(), params)
	require.NoError(t, err)
	assert.Equal(t, "my-gpt-4o-mini", c.Model)
	assert.Equal(t, int64(8), c.Usage.CompletionTokens)

	_, err = client.Chat.Completions.New(context.Background(), params, openaioption.WithMaxRetries(0))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.NotEmpty(t, apiErr.Response.Header.Get("retry-after-ms"))
	assert.Equal(t, "429", apiErr.Code)
	assert.Contains(t, apiErr.Message, "exceeded call rate limit")

	start := time.Now()
	_, err = client.Chat.Completions.New(context.Background(), params)
	require.NoError(t, err, "the SDK waits the retry-after-ms and retries")
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond)
}

func genaiClient(t *testing.T, srv *Server) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      "gemini-test-key",
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL() + "/"},
	})
	require.NoError(t, err)
	return c
}

func TestSDKPresetGemini(t *testing.T) {
	t.Parallel()
	srv := startPreset(t, "gemini", rpm(1))
	client := genaiClient(t, srv)
	cfg := &genai.GenerateContentConfig{MaxOutputTokens: 16}
	resp, err := client.Models.GenerateContent(context.Background(), "gemini-2.5-flash", genai.Text("hello there"), cfg)
	require.NoError(t, err)
	require.NotNil(t, resp.UsageMetadata)
	assert.Equal(t, int32(3), resp.UsageMetadata.PromptTokenCount)
	assert.Equal(t, int32(16), resp.UsageMetadata.CandidatesTokenCount)
	assert.Equal(t, int64(16), int64(len(resp.Text())/4))

	_, err = client.Models.GenerateContent(context.Background(), "gemini-2.5-flash", genai.Text("hello there"), cfg)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr), "got %T %v", err, err)
	assert.Equal(t, 429, apiErr.Code)
	assert.Equal(t, "RESOURCE_EXHAUSTED", apiErr.Status)
	var delay, quota string
	for _, d := range apiErr.Details {
		switch d["@type"] {
		case "type.googleapis.com/google.rpc.RetryInfo":
			delay, _ = d["retryDelay"].(string)
		case "type.googleapis.com/google.rpc.QuotaFailure":
			v, _ := d["violations"].([]any)
			require.NotEmpty(t, v)
			quota, _ = v[0].(map[string]any)["quotaId"].(string)
		}
	}
	wait, err := time.ParseDuration(delay)
	require.NoError(t, err, "retryDelay %q", delay)
	assert.True(t, wait > 0 && wait <= time.Minute, "a fixed minute window: the rest of the minute, not %v", wait)
	assert.Equal(t, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", quota)
}
