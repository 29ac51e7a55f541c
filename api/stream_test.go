package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// want is what a Stream should report after a whole body.
type want struct {
	events, deltas int
	in, out        int64
	done           bool
	failure        string
}

func (w want) check(t *testing.T, s *Stream, how string) {
	t.Helper()
	got := want{s.Events, s.Deltas, s.InputTokens, s.OutputTokens, s.Done, s.Failure()}
	assert.Equal(t, w, got, how)
}

// TestStreamFixtures: the streams the official Go SDKs were checked against
// (streaming-research.md §1.3, 1.4, 2.1, 2.2) read to the same text counts and usage, whole or
// cut into chunks at every byte.
func TestStreamFixtures(t *testing.T) {
	tests := []struct {
		file string
		api  API
		want want
	}{
		// 8 events (ping counted), two text deltas, usage from message_delta.
		{"anthropic-ok.sse", Anthropic, want{8, 2, 25, 4, true, ""}},
		// message_start's output_tokens (1) is all a stream cut short reports.
		{"anthropic-overloaded.sse", Anthropic, want{4, 1, 25, 1, false, "overloaded_error"}},
		// The role chunk and the finish chunk carry no content; usage on the last chunk.
		{"openai-ok.sse", OpenAI, want{6, 2, 12, 3, true, ""}},
		{"openai-error.sse", OpenAI, want{3, 1, 0, 0, false, "server_error"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			s := NewStream(tt.api)
			_, _ = s.Write(body)
			tt.want.check(t, s, "whole body")
			for size := 1; size <= 7; size++ {
				s.Reset(tt.api)
				for i := 0; i < len(body); i += size {
					_, _ = s.Write(body[i:min(len(body), i+size)])
				}
				tt.want.check(t, s, "chunks of "+string(rune('0'+size)))
			}
		})
	}
}

// TestStreamGrammar: hand-written streams for the edges of the SSE grammar and the endings.
func TestStreamGrammar(t *testing.T) {
	const delta = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
	const stop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	tests := []struct {
		name string
		api  API
		body string
		want want
	}{
		{"clean end without message_stop is closed", Anthropic, delta, want{1, 1, 0, 0, false, StreamClosed}},
		{"CRLF lines and comments", Anthropic, ": keep-alive\r\n" + strings.ReplaceAll(delta+stop, "\n", "\r\n"), want{2, 1, 0, 0, true, ""}},
		{"data padded with spaces", Anthropic, "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":79} }\n\n" + stop, want{2, 0, 0, 79, true, ""}},
		{"nameless anthropic events are skipped", Anthropic, "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"x\"}}\n\n", want{1, 0, 0, 0, false, StreamClosed}},
		{"pending event without its blank line is dropped", Anthropic, delta + "event: message_stop\ndata: {}", want{1, 1, 0, 0, false, StreamClosed}},
		{"empty text delta is no content", Anthropic, strings.Replace(delta, `"Hi"`, `""`, 1) + stop, want{2, 0, 0, 0, true, ""}},
		{"bytes after message_stop are ignored", Anthropic, stop + delta, want{1, 0, 0, 0, true, ""}},
		{"error event without a type", Anthropic, "event: error\ndata: {\"error\":{}}\n\n", want{1, 0, 0, 0, false, StreamError}},
		{"data that is not JSON", Anthropic, "event: content_block_delta\ndata: {oops\n\n", want{1, 0, 0, 0, false, StreamMalformed}},
		{"openai [DONE] without usage", OpenAI, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n", want{2, 1, 0, 0, true, ""}},
		{"openai tool call delta is content", OpenAI, "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}\n\ndata: [DONE]\n\n", want{2, 1, 0, 0, true, ""}},
		{"openai without [DONE] is closed", OpenAI, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n", want{1, 1, 0, 0, false, StreamClosed}},
		{"openai multi-line data joined", OpenAI, "data: {\"choices\":\ndata: [{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n", want{2, 1, 0, 0, true, ""}},
		{"http events are content; the end completes", HTTP, "data: a\n\ndata: b\n\n", want{2, 2, 0, 0, false, ""}},
		{"negative usage reads as 0", OpenAI, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":-5,\"completion_tokens\":2.5}}\n\ndata: [DONE]\n\n", want{2, 0, 0, 0, true, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStream(tt.api)
			_, _ = s.Write([]byte(tt.body))
			tt.want.check(t, s, "")
		})
	}
}

// TestStreamLineBound: a line longer than MaxStreamLine ends the stream as malformed, and the
// reader's buffer never grows past the bound.
func TestStreamLineBound(t *testing.T) {
	s := NewStream(Anthropic)
	chunk := []byte("data: " + strings.Repeat("x", 64<<10))
	for range 40 {
		_, _ = s.Write(chunk)
	}
	assert.Equal(t, StreamMalformed, s.Failure())
	assert.LessOrEqual(t, cap(s.line), 2*MaxStreamLine)
}

func BenchmarkStreamAnthropic(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "anthropic-ok.sse"))
	require.NoError(b, err)
	s := NewStream(Anthropic)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset(Anthropic)
		_, _ = s.Write(body)
	}
}
