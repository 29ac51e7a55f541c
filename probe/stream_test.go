package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// sseEvent writes one Anthropic event and flushes it.
func sseEvent(w http.ResponseWriter, name string, data string) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
	w.(http.Flusher).Flush()
}

// anthropicStream writes a Messages stream: message_start, after ttft the first of n text
// deltas, one every gap, then message_delta with n output tokens and message_stop. cut, when
// set, replaces the rest of the stream after the given delta.
func anthropicStream(s *faultServer, w http.ResponseWriter, r *http.Request, ttft, gap time.Duration, n int, cut func(k int) bool) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("anthropic-ratelimit-requests-limit", "1000")
	sseEvent(w, "message_start", `{"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":32,"output_tokens":1}}}`)
	sseEvent(w, "content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	sseEvent(w, "ping", `{"type": "ping"}`)
	if !s.pause(r, ttft) {
		return
	}
	for k := 1; k <= n; k++ {
		if k > 1 && !s.pause(r, gap) {
			return
		}
		sseEvent(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tok"}}`)
		if cut != nil && cut(k) {
			return
		}
	}
	sseEvent(w, "content_block_stop", `{"type":"content_block_stop","index":0}`)
	sseEvent(w, "message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":%d}}`, n))
	sseEvent(w, "message_stop", `{"type":"message_stop"}`)
}

// TestStreamOutcomes: each way a stream ends gives its record fields, and the SDK-like default
// never retries a stream that failed after its 200.
func TestStreamOutcomes(t *testing.T) {
	const ttft, gap, idle = 80 * time.Millisecond, 5 * time.Millisecond, 300 * time.Millisecond
	tests := []struct {
		name     string
		serve    func(s *faultServer, w http.ResponseWriter, r *http.Request)
		strategy string
		failure  string
		events   int
		out      int64
		attempts int
	}{
		{"complete", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			anthropicStream(s, w, r, ttft, gap, 10, nil)
		}, "anthropic-sdk", "", 16, 10, 1},
		{"overloaded error event", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			anthropicStream(s, w, r, ttft, gap, 10, func(k int) bool {
				if k == 3 {
					sseEvent(w, "error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
				}
				return k == 3
			})
		}, "anthropic-sdk", "overloaded_error", 7, 1, 1},
		{"clean close without message_stop", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			anthropicStream(s, w, r, ttft, gap, 10, func(k int) bool { return k == 4 })
		}, "anthropic-sdk", api.StreamClosed, 7, 1, 1},
		{"aborted connection", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			anthropicStream(s, w, r, ttft, gap, 10, func(k int) bool {
				if k == 2 {
					panic(http.ErrAbortHandler)
				}
				return false
			})
		}, "anthropic-sdk", api.StreamClosed, 5, 1, 1},
		{"stall", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			anthropicStream(s, w, r, ttft, gap, 10, func(k int) bool {
				if k == 2 {
					s.block(r)
				}
				return k == 2
			})
		}, "anthropic-sdk", api.StreamStalled, 5, 1, 1},
		{"retried when asked", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			anthropicStream(s, w, r, ttft, gap, 10, func(k int) bool { return k == 4 })
		}, "constant(pause=10ms,max-attempts=2,retry-stream-errors=true)", api.StreamClosed, 7, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			w := new(wire)
			srv := newFaultServer(t, w.serve(tt.serve))
			target := anthropicTarget(srv.URL)
			target.Stream = true
			run := newTestRun(t, target, func(o *Options) {
				o.StreamIdle = idle
				o.Transport = w.transport(NewTransport(engine.DefaultMaxInflight, o.Target.Host()))
			})
			st, err := backoff.Resolve(tt.strategy)
			require.NoError(t, err)
			start := time.Now()
			_, err = run.Closed(context.Background(), engine.ClosedPhase{Label: "s", Clients: 1, Requests: 1, Fleet: st.NewFleet(1)})
			require.NoError(t, err)
			recs := run.records(t)
			require.Len(t, recs, tt.attempts)
			assert.Less(t, time.Since(start), 3*time.Second)
			for i, a := range recs {
				sent := run.Start().Add(a.Sent)
				assert.True(t, a.Stream)
				assert.Equal(t, 200, a.Status)
				assert.Equal(t, tt.failure, a.StreamError)
				assert.Equal(t, tt.events, a.StreamEvents)
				assert.Equal(t, tt.out, a.OutputTokens)
				assert.Equal(t, int64(32), a.InputTokens)
				require.True(t, a.HasTTFT)
				// The first delta's arrival, and the last event's, are timed between the
				// server's write and the client's next read: ttft ≥ the server's 80 ms pause.
				from, to := w.window(t, i, firstDelta, false)
				assertWithin(t, a.TTFT, from.Sub(sent), to.Sub(sent), "ttft_ms")
				from, to = w.window(t, i, anyWrite, true)
				assertWithin(t, a.StreamDuration, from.Sub(sent), to.Sub(sent), "stream_ms")
				assert.GreaterOrEqual(t, a.Latency, a.StreamDuration)
				if tt.failure == api.StreamStalled {
					// Idle after the last event, the watch cancels (when exactly is
					// TestIdleWatch's, in virtual time).
					assert.GreaterOrEqual(t, a.Latency, a.StreamDuration+idle-stampSlack, "latency_ms")
				}
				if tt.failure == "" {
					assert.Equal(t, record.OutcomeOK, a.Outcome())
					assert.Empty(t, a.Error)
				} else {
					assert.Equal(t, record.OutcomeStreamError, a.Outcome())
					assert.Contains(t, a.Error, tt.failure)
				}
			}
			last := recs[len(recs)-1]
			assert.True(t, last.Final)
			if tt.failure != "" && tt.attempts == 1 {
				assert.Contains(t, last.GaveUp, "not retried, as the official SDKs")
			}
		})
	}
}

// TestStreamRequestBody: a streamed request asks for a stream, and for openai for the usage.
func TestStreamRequestBody(t *testing.T) {
	for _, a := range []api.API{api.Anthropic, api.OpenAI} {
		tg, err := NewTarget(TargetConfig{API: a, URL: "http://127.0.0.1:1", Model: "m", MaxTokens: 5, PromptTokens: 3, Stream: true})
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.Unmarshal(tg.AppendBody(nil, 1), &body))
		assert.Equal(t, true, body["stream"])
		if a == api.OpenAI {
			assert.Equal(t, map[string]any{"include_usage": true}, body["stream_options"])
		} else {
			assert.NotContains(t, body, "stream_options")
		}
	}
}

// TestStreamOpenAIChunks: an openai stream's usage comes from its final chunk.
func TestStreamOpenAIChunks(t *testing.T) {
	leakCheck(t)
	srv := newFaultServer(t, func(s *faultServer, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}`
		for range 5 {
			fmt.Fprintf(w, "data: %s\n\n", chunk)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, `data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":32,"completion_tokens":5}}`+"\n\ndata: [DONE]\n\n")
	})
	target := TargetConfig{API: api.OpenAI, URL: srv.URL, Model: "gpt", MaxTokens: 16, PromptTokens: 32, Seed: 1, Stream: true}
	run := newTestRun(t, target, nil)
	_, err := run.Open(context.Background(), engine.OpenPhase{Label: "o", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 50 * time.Millisecond})
	require.NoError(t, err)
	recs := run.records(t)
	require.NotEmpty(t, recs)
	for _, a := range recs {
		assert.Equal(t, "", a.StreamError)
		assert.Equal(t, 7, a.StreamEvents)
		assert.Equal(t, int64(5), a.OutputTokens)
		assert.Equal(t, int64(32), a.InputTokens)
		line := string(a.AppendJSON(nil))
		for _, k := range []string{`"stream":true`, `"ttft_ms":`, `"stream_ms":`, `"stream_events":7`, `"stream_error":""`} {
			assert.True(t, strings.Contains(line, k), "%s lacks %s", line, k)
		}
	}
}
