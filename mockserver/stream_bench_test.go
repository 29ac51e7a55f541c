package mockserver

import (
	"net/http"
	"testing"
)

// flushWriter is a nopWriter that is also an http.Flusher, counting flushes (one per event
// batch written).
type flushWriter struct {
	nopWriter
	flushes int
}

func (w *flushWriter) Flush() { w.flushes++ }

// BenchmarkHandlerStream measures one streamed POST /v1/messages of 1,000 output tokens through
// the handler, without sockets or waits (instant generation: a delta per 16 tokens, 63 deltas,
// 65 flushes), and reports the cost per event flushed.
func BenchmarkHandlerStream(b *testing.B) {
	for _, tc := range []struct {
		name, path, body string
	}{
		{"messages", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":1000,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`},
		{"chat", "/v1/chat/completions", `{"model":"gpt-4o-mini","max_tokens":1000,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there"}]}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m, err := New(benchConfig(), 1)
			if err != nil {
				b.Fatal(err)
			}
			w := &flushWriter{nopWriter: nopWriter{h: http.Header{}}}
			serveLoop(b, m.Handler(), w, tc.path, tc.body)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(w.flushes), "ns/flush")
		})
	}
}
