//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ratelab/ratelab/api"
)

// rxGap is the gap between two events in these tests, and rxBusy how long the reader is
// elsewhere: longer than the gap, so the kernel has merged the events by the time it reads.
const rxGap, rxBusy = 50 * time.Millisecond, 150 * time.Millisecond

// dialUnwatched dials like dialStamped without a watcher: reads keep the kernel's stamp of what
// they consumed, as before the watcher.
func dialUnwatched(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return stampReceives(c, nil), nil
}

// TestWatchedArrivals: segments that arrive rxGap apart while the reader is busy for rxBusy
// are each read with their own arrival instant when the connection is armed. Without the
// watcher the kernel has merged them and every byte carries the newest segment's stamp.
func TestWatchedArrivals(t *testing.T) {
	kernelStamps(t)
	opt := goleak.IgnoreCurrent()
	w := newRxWatcher()
	tests := []struct {
		name    string
		dial    func(ctx context.Context, network, addr string) (net.Conn, error)
		watched bool
	}{
		{"watched", func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return stampReceives(c, w), nil
		}, true},
		{"unwatched (before): the newest stamp", dialUnwatched, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			c, err := tt.dial(context.Background(), "tcp", ln.Addr().String())
			require.NoError(t, err)
			st := stamperOf(c)
			require.NotNil(t, st)
			srv, err := ln.Accept()
			require.NoError(t, err)
			defer srv.Close()

			buf := make([]byte, 256)
			for round := range 2 { // the second round: a reused connection, armed again
				if w, ok := st.(rxWatched); ok {
					w.arm()
				}
				segs := []string{"event: ping\n\n", "data: first delta\n\n", "data: second delta\n\n", "data: third\n\n"}
				wrote := make([]time.Time, len(segs))
				for k, s := range segs {
					if k > 0 {
						time.Sleep(rxGap)
					}
					wrote[k] = time.Now()
					_, err = srv.Write([]byte(s))
					require.NoError(t, err)
				}
				time.Sleep(rxBusy) // the reader is elsewhere: all four wait in the socket
				var got string
				for k := range segs {
					if len(got) >= len(segs[0])+len(segs[1])+len(segs[2])+len(segs[3]) {
						break
					}
					n, err := c.Read(buf)
					require.NoError(t, err)
					got += string(buf[:n])
					at, kernel := arrival(st, time.Now())
					require.True(t, kernel, "round %d read %d", round, k)
					if tt.watched {
						require.Equal(t, segs[k], string(buf[:n]), "round %d: a read stops at a noted arrival", round)
						assert.InDelta(t, 0, at.Sub(wrote[k]).Seconds(), 0.010, "round %d segment %d: its own arrival", round, k)
					} else if k == 0 {
						require.Len(t, got, len(segs[0])+len(segs[1])+len(segs[2])+len(segs[3]), "one read takes all")
						assert.InDelta(t, 0, at.Sub(wrote[3]).Seconds(), 0.010, "round %d: the newest segment's arrival", round)
						assert.Greater(t, at.Sub(wrote[0]), 3*rxGap-10*time.Millisecond)
					}
				}
				if tt.watched {
					require.True(t, w.running())
				}
				disarmStamps(st)
			}
			require.NoError(t, c.Close())
		})
	}
	require.Eventually(t, func() bool { return !w.running() }, 2*time.Second, 10*time.Millisecond, "the thread ends once nothing is armed")
	goleak.VerifyNone(t, opt)
}

// TestReadStreamLateReaderTTFT: through net/http, a reader that gets to the stream rxBusy late
// (after the second and third deltas arrived) still times the first delta by its own
// arrival; without the watcher it is timed by the third's.
func TestReadStreamLateReaderTTFT(t *testing.T) {
	kernelStamps(t)
	const ttft = 100 * time.Millisecond
	stamped := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sseEvent(w, "message_start", `{"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}}`)
		time.Sleep(ttft)
		for k := range 3 {
			if k == 0 {
				stamped <- time.Now()
			} else {
				time.Sleep(rxGap)
			}
			sseEvent(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`)
		}
		sseEvent(w, "message_stop", `{"type":"message_stop"}`)
	}))
	defer srv.Close()

	unwatched := NewTransport(4, "127.0.0.1")
	unwatched.DialContext = dialUnwatched
	tests := []struct {
		name      string
		transport *http.Transport
		watched   bool
	}{
		{"watched", NewTransport(4, "127.0.0.1"), true},
		{"unwatched (before)", unwatched, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer tt.transport.CloseIdleConnections()
			trace := newConnTrace()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, err := http.NewRequestWithContext(trace.context(ctx), http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			sent := time.Now()
			resp, err := tt.transport.RoundTrip(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var s sender
			// The first read (message_start) returns, then the reader is away for rxBusy.
			r := s.readStream(ctx, cancel, &lateOnce{r: resp.Body, hold: ttft + rxBusy}, api.NewStream(api.Anthropic), sent, time.Minute, trace.conn)
			require.Empty(t, r.failure)
			want := (<-stamped).Sub(sent)
			require.True(t, r.kernel)
			if tt.watched {
				assert.InDelta(t, want.Seconds(), r.ttft.Seconds(), 0.010, "ttft %v, server wrote at %v", r.ttft, want)
			} else {
				assert.GreaterOrEqual(t, r.ttft, want+2*rxGap-10*time.Millisecond, "ttft %v, server wrote at %v", r.ttft, want)
			}
		})
	}
}

// lateOnce holds its first read's return for hold: a reader scheduled late once.
type lateOnce struct {
	r    interface{ Read([]byte) (int, error) }
	hold time.Duration
	done bool
}

func (l *lateOnce) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 && !l.done {
		l.done = true
		time.Sleep(l.hold)
	}
	return n, err
}
