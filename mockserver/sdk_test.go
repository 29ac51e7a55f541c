package mockserver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	openaioption "github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/limiter"
)

// Conformance with the official SDKs, which nobody here wrote: their typed decoders read the
// mock's bodies, their retry loops read its headers. The retry cases wait the mock's one-second
// retry-after (the SDKs honour it), so they run in parallel.

func anthropicClient(srv *Server, opts ...anthropicoption.RequestOption) *anthropic.Client {
	c := anthropic.NewClient(append([]anthropicoption.RequestOption{
		anthropicoption.WithBaseURL(srv.URL()), anthropicoption.WithAPIKey("fake-test-key"),
	}, opts...)...)
	return &c
}

func openAIClient(srv *Server, opts ...openaioption.RequestOption) *openai.Client {
	c := openai.NewClient(append([]openaioption.RequestOption{
		openaioption.WithBaseURL(srv.URL() + "/v1/"), openaioption.WithAPIKey("sk-test-key"),
	}, opts...)...)
	return &c
}

func helloParams() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     "claude-haiku-4-5",
		MaxTokens: 16,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello there"))},
	}
}

func chatParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:     "gpt-4o-mini",
		Messages:  []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello there")},
		MaxTokens: openai.Int(8),
	}
}

func TestSDKAnthropicMessage(t *testing.T) {
	t.Parallel()
	_, srv := startMock(t, nil)
	msg, err := anthropicClient(srv).Messages.New(context.Background(), helloParams())
	require.NoError(t, err)
	assert.Regexp(t, `^msg_01`, msg.ID)
	assert.Equal(t, anthropic.Model("claude-haiku-4-5"), msg.Model)
	require.Len(t, msg.Content, 1)
	assert.Equal(t, "text", msg.Content[0].Type)
	assert.Equal(t, int64(16), api.TokensOf(len(msg.Content[0].Text)))
	assert.Equal(t, anthropic.StopReasonMaxTokens, msg.StopReason)
	assert.Equal(t, int64(3), msg.Usage.InputTokens)
	assert.Equal(t, int64(16), msg.Usage.OutputTokens)

	n, err := anthropicClient(srv).Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "claude-haiku-4-5",
		Messages: helloParams().Messages,
		System:   anthropic.MessageCountTokensParamsSystemUnion{OfString: anthropic.String("abcdefgh")},
	})
	require.NoError(t, err)
	assert.Equal(t, int64(5), n.InputTokens)
}

func TestSDKOpenAIChatCompletion(t *testing.T) {
	t.Parallel()
	_, srv := startMock(t, nil)
	c, err := openAIClient(srv).Chat.Completions.New(context.Background(), chatParams())
	require.NoError(t, err)
	assert.Regexp(t, `^chatcmpl-01`, c.ID)
	assert.Equal(t, "gpt-4o-mini", c.Model)
	require.Len(t, c.Choices, 1)
	assert.Equal(t, "length", c.Choices[0].FinishReason)
	assert.Equal(t, int64(8), api.TokensOf(len(c.Choices[0].Message.Content)))
	assert.Equal(t, int64(3), c.Usage.PromptTokens)
	assert.Equal(t, int64(8), c.Usage.CompletionTokens)
	assert.Equal(t, int64(11), c.Usage.TotalTokens)
}

// neverFits is a mock whose input-token limit (1 token per 1 s window) no prompt fits: every
// attempt is a 429 with retry-after 1.
func neverFits(c *account.Config) {
	c.Limits.InputTokens = account.Limit{PerMinute: 60, Window: time.Second, Algorithm: limiter.FixedWindow}
}

// oneASecond is a mock admitting one request per second (a bucket of 1 refilling at 1/s): a
// second request right after the first gets a 429 with retry-after 1, and its retry passes.
func oneASecond(c *account.Config) {
	c.Limits.Requests = account.Limit{PerMinute: 60, Burst: ptr(int64(1))}
}

func TestSDKAnthropicRateLimited(t *testing.T) {
	t.Parallel()
	m, srv := startMock(t, neverFits)
	_, err := anthropicClient(srv).Messages.New(context.Background(), helloParams())
	var apiErr *anthropic.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Regexp(t, `^req_01`, apiErr.RequestID)
	assert.Contains(t, apiErr.Error(), "rate_limit_error")
	st, _ := m.Ledger().AccountStats("fake-test-key")
	assert.Equal(t, int64(3), st.Requests, "one attempt and the SDK's two default retries")
	assert.Equal(t, int64(3), st.Status["429"])
}

func TestSDKOpenAIRateLimited(t *testing.T) {
	t.Parallel()
	m, srv := startMock(t, neverFits)
	_, err := openAIClient(srv).Chat.Completions.New(context.Background(), chatParams())
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Equal(t, "rate_limit_exceeded", apiErr.Code)
	assert.Equal(t, "tokens", apiErr.Type)
	st, _ := m.Ledger().AccountStats("sk-test-key")
	assert.Equal(t, int64(3), st.Requests, "one attempt and the SDK's two default retries")
}

func TestSDKAnthropicRetrySucceeds(t *testing.T) {
	t.Parallel()
	m, srv := startMock(t, oneASecond)
	client := anthropicClient(srv)
	_, err := client.Messages.New(context.Background(), helloParams())
	require.NoError(t, err)
	msg, err := client.Messages.New(context.Background(), helloParams())
	require.NoError(t, err, "the SDK waits the retry-after and retries")
	assert.Equal(t, int64(16), msg.Usage.OutputTokens)
	st, _ := m.Ledger().AccountStats("fake-test-key")
	assert.Equal(t, map[string]int64{"200": 2, "429": 1}, st.Status)

	// Without retries the SDK surfaces the 429 at once.
	_, err = client.Messages.New(context.Background(), helloParams(), anthropicoption.WithMaxRetries(0))
	var apiErr *anthropic.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 429, apiErr.StatusCode)
}

func TestSDKOpenAIRetrySucceeds(t *testing.T) {
	t.Parallel()
	m, srv := startMock(t, oneASecond)
	client := openAIClient(srv)
	_, err := client.Chat.Completions.New(context.Background(), chatParams())
	require.NoError(t, err)
	c, err := client.Chat.Completions.New(context.Background(), chatParams())
	require.NoError(t, err, "the SDK waits the retry-after and retries")
	assert.Equal(t, int64(8), c.Usage.CompletionTokens)
	st, _ := m.Ledger().AccountStats("sk-test-key")
	assert.Equal(t, map[string]int64{"200": 2, "429": 1}, st.Status)
}
