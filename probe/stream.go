package probe

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
)

// DefaultStreamIdle is engine.DefaultStreamIdle.
const DefaultStreamIdle = engine.DefaultStreamIdle

// streamCancelled is the stream_error of a stream cut off because the run stopped.
const streamCancelled = "cancelled"

// streamChunk is the read buffer of a stream: one read takes what the socket holds, up to this.
const streamChunk = 16 << 10

// streamResult is what reading a streamed body found.
type streamResult struct {
	ttft, last time.Duration // send to the first content delta (0: none) and to the last event
	failure    string        // "" when the stream completed
	message    string        // the error event's message
}

// isEventStream reports whether a response is a server-sent event stream.
func isEventStream(h http.Header) bool {
	return api.MediaType(h.Get("Content-Type")) == "text/event-stream"
}

// readStream reads body as an event stream into st, timing its events from sent, with no
// goroutine of its own: each read is timestamped once, and a timer reset by every read that
// brings bytes cancels the attempt (through cancel) when none comes for idle. It reads to the
// end of the body, so the connection can be reused.
func (s *sender) readStream(ctx context.Context, cancel context.CancelFunc, body io.Reader, st *api.Stream,
	sent time.Time, idle time.Duration) streamResult {
	if cap(s.chunk) < streamChunk {
		s.chunk = make([]byte, streamChunk)
	}
	buf := s.chunk[:streamChunk]
	var stalled atomic.Bool
	timer := time.AfterFunc(idle, func() { stalled.Store(true); cancel() })
	defer timer.Stop()
	var r streamResult
	for {
		n, err := body.Read(buf)
		if n > 0 {
			now := time.Now()
			timer.Reset(idle)
			events, deltas := st.Events, st.Deltas
			_, _ = st.Write(buf[:n])
			if st.Events > events {
				r.last = now.Sub(sent)
			}
			if deltas == 0 && st.Deltas > 0 {
				r.ttft = now.Sub(sent)
			}
		}
		if err == nil {
			continue
		}
		r.failure, r.message = st.Failure(), st.ErrorMessage
		if errors.Is(err, io.EOF) || st.Over() {
			return r // a failure after the final event does not undo it
		}
		switch {
		case stalled.Load():
			r.failure = api.StreamStalled
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			r.failure = api.StreamTimeout
		case ctx.Err() != nil:
			r.failure = streamCancelled
		default:
			r.failure = api.StreamClosed
		}
		return r
	}
}
