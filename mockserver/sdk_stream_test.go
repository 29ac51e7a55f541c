package mockserver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
)

// Conformance of the streams with the official SDKs: their SSE decoders, stream types and
// accumulators read what the mock writes, and get the text and usage the mock generated.

// streamed is a mock whose replies take generation time: 50 ms to the first token, 400 tokens/s.
func streamed(set func(*account.Config)) func(*account.Config) {
	return func(c *account.Config) {
		c.TTFT, c.OutputTPS = 50*time.Millisecond, 400
		if set != nil {
			set(c)
		}
	}
}

func TestSDKAnthropicStream(t *testing.T) {
	t.Parallel()
	m, srv := startMock(t, streamed(nil))
	p := helloParams()
	p.MaxTokens = 40
	stream := anthropicClient(srv).Messages.NewStreaming(context.Background(), p)
	var msg anthropic.Message
	deltas := 0
	for stream.Next() {
		ev := stream.Current()
		require.NoError(t, msg.Accumulate(ev))
		if ev.Type == "content_block_delta" {
			deltas++
		}
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	assert.Regexp(t, `^msg_01`, msg.ID)
	assert.Equal(t, anthropic.Model("claude-haiku-4-5"), msg.Model)
	require.Len(t, msg.Content, 1)
	assert.Equal(t, string(appendReply(nil, 40)), msg.Content[0].Text, "the text the mock generated")
	assert.Equal(t, anthropic.StopReasonMaxTokens, msg.StopReason)
	assert.Equal(t, int64(3), msg.Usage.InputTokens)
	assert.Equal(t, int64(40), msg.Usage.OutputTokens)
	assert.Equal(t, 40, deltas, "a delta per token at 400 tokens/s")
	st, _ := m.Ledger().AccountStats("fake-test-key")
	assert.Equal(t, int64(40), st.Dimensions["output_tokens"].Units)
}

func TestSDKOpenAIStream(t *testing.T) {
	t.Parallel()
	_, srv := startMock(t, streamed(nil))
	p := chatParams()
	p.MaxTokens = openai.Int(30)
	p.StreamOptions.IncludeUsage = openai.Bool(true)
	stream := openAIClient(srv).Chat.Completions.NewStreaming(context.Background(), p)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		require.True(t, acc.AddChunk(stream.Current()), "the accumulator takes every chunk (one id)")
		chunks++
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	assert.Regexp(t, `^chatcmpl-01`, acc.ID)
	require.Len(t, acc.Choices, 1)
	assert.Equal(t, string(appendReply(nil, 30)), acc.Choices[0].Message.Content)
	assert.Equal(t, "length", acc.Choices[0].FinishReason)
	assert.Equal(t, int64(3), acc.Usage.PromptTokens)
	assert.Equal(t, int64(30), acc.Usage.CompletionTokens, "usage on exactly one chunk (the accumulator adds them up)")
	assert.Equal(t, int64(33), acc.Usage.TotalTokens)
	assert.Equal(t, 1+30+1+1, chunks, "role, a chunk per token, finish, usage")
}

// TestSDKMidStreamErrors: an error inside a 200 stream surfaces as each SDK's error, and no SDK
// retries it (one request reached the mock).
func TestSDKMidStreamErrors(t *testing.T) {
	t.Parallel()
	t.Run("anthropic overloaded_error", func(t *testing.T) {
		t.Parallel()
		m, srv := startMock(t, streamed(func(c *account.Config) { c.StreamErrorRate = 1 }))
		p := helloParams()
		p.MaxTokens = 20
		stream := anthropicClient(srv).Messages.NewStreaming(context.Background(), p)
		var msg anthropic.Message
		for stream.Next() {
			require.NoError(t, msg.Accumulate(stream.Current()))
		}
		var apiErr *anthropic.Error
		require.True(t, errors.As(stream.Err(), &apiErr), "got %v", stream.Err())
		assert.Equal(t, 200, apiErr.StatusCode)
		assert.Equal(t, "overloaded_error", string(apiErr.Type()))
		assert.Regexp(t, `^req_01`, apiErr.RequestID)
		require.Len(t, msg.Content, 1)
		text := msg.Content[0].Text
		assert.NotEmpty(t, text, "some deltas came first")
		assert.Less(t, len(text), 4*20)
		st, _ := m.Ledger().AccountStats("fake-test-key")
		assert.Equal(t, int64(1), st.Requests, "no retry after the 200")
		assert.Equal(t, int64(len(text)/4), st.Dimensions["output_tokens"].Units, "charged what was generated")
	})
	t.Run("openai server_error", func(t *testing.T) {
		t.Parallel()
		m, srv := startMock(t, streamed(func(c *account.Config) { c.StreamErrorRate = 1 }))
		stream := openAIClient(srv).Chat.Completions.NewStreaming(context.Background(), chatParams())
		for stream.Next() {
		}
		var se *ssestream.StreamError
		require.True(t, errors.As(stream.Err(), &se), "got %v", stream.Err())
		assert.Contains(t, se.Message, `"type":"server_error"`)
		st, _ := m.Ledger().AccountStats("sk-test-key")
		assert.Equal(t, int64(1), st.Requests)
	})
	t.Run("anthropic cut off", func(t *testing.T) {
		t.Parallel()
		_, srv := startMock(t, streamed(func(c *account.Config) { c.StreamCloseRate = 1 }))
		stream := anthropicClient(srv).Messages.NewStreaming(context.Background(), helloParams())
		for stream.Next() {
		}
		require.Error(t, stream.Err())
		assert.Contains(t, stream.Err().Error(), "unexpected EOF")
	})
}
