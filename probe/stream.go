package probe

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
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
	kernel     bool          // ttft is from the kernel's receive timestamp (ClockKernel)
	failure    string        // "" when the stream completed
	message    string        // the error event's message
}

// isEventStream reports whether a response is a server-sent event stream.
func isEventStream(h http.Header) bool {
	return api.MediaType(h.Get("Content-Type")) == "text/event-stream"
}

// readStream reads body as an event stream into st, timing its events from sent, with no
// goroutine of its own. Each read is timestamped once: with the kernel's receive instant of
// the bytes when conn knows it (arrival), else with the read instant. A stream that sends
// nothing for idle is cancelled (through cancel) by a watch that each read only touches with
// one atomic store. It reads to the end of the body, so the connection can be reused.
func (s *sender) readStream(ctx context.Context, cancel context.CancelFunc, body io.Reader, st *api.Stream,
	sent time.Time, idle time.Duration, conn rxStamper) streamResult {
	if cap(s.chunk) < streamChunk {
		s.chunk = make([]byte, streamChunk)
	}
	buf := s.chunk[:streamChunk]
	w := watchIdle(sent, idle, cancel)
	defer w.stop()
	var r streamResult
	for {
		n, err := body.Read(buf)
		if n > 0 {
			now := time.Now()
			w.read(now)
			events, deltas := st.Events, st.Deltas
			_, _ = st.Write(buf[:n])
			if st.Events > events {
				at, _ := arrival(conn, now)
				r.last = at.Sub(sent)
			}
			if deltas == 0 && st.Deltas > 0 {
				at, kernel := arrival(conn, now)
				r.ttft, r.kernel = at.Sub(sent), kernel
				disarmStamps(conn) // the later events need no arrival of their own
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
		case w.stalled.Load():
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

// idleWatch cancels a stream that receives nothing for idle. A read stores its instant; the
// timer, when it fires, re-arms itself for what remains of idle after the last read, so the
// reads never reset a timer.
type idleWatch struct {
	sent    time.Time
	idle    time.Duration
	cancel  context.CancelFunc
	lastNs  atomic.Int64 // the last read, nanoseconds after sent
	stalled atomic.Bool
	mu      sync.Mutex // guards timer against the callback's Reset
	timer   *time.Timer
	stopped bool
}

func watchIdle(sent time.Time, idle time.Duration, cancel context.CancelFunc) *idleWatch {
	w := &idleWatch{sent: sent, idle: idle, cancel: cancel}
	w.lastNs.Store(int64(time.Since(sent)))
	w.mu.Lock()
	w.timer = time.AfterFunc(idle, w.fire)
	w.mu.Unlock()
	return w
}

// read notes that bytes arrived at now.
func (w *idleWatch) read(now time.Time) { w.lastNs.Store(int64(now.Sub(w.sent))) }

func (w *idleWatch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	quiet := time.Since(w.sent) - time.Duration(w.lastNs.Load())
	if quiet < w.idle {
		w.timer.Reset(w.idle - quiet)
		return
	}
	w.stalled.Store(true)
	w.cancel()
}

func (w *idleWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
}
