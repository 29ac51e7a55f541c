//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
			defer c.Close() // disarms
			st := stamperOf(c)
			require.NotNil(t, st)
			srv, err := ln.Accept()
			require.NoError(t, err)
			defer srv.Close()

			buf := make([]byte, 256)
			segs := []string{"event: ping\n\n", "data: first delta\n\n", "data: second delta\n\n", "data: third\n\n"}
			all := len(strings.Join(segs, ""))
			for round := range 2 { // the second round: a reused connection, armed again
				var wrote []time.Time
				// The watcher must peek each segment before the next arrives: on a machine so
				// busy that its thread waited longer than rxGap, send the four again (three tries).
				for try := 1; ; try++ {
					if w, ok := st.(rxWatched); ok {
						w.arm()
					}
					wrote = writeSpaced(t, srv, segs)
					time.Sleep(rxBusy) // the reader is elsewhere: all four wait in the socket
					if !tt.watched || notedArrivals(st) == len(segs) {
						break
					}
					require.Less(t, try, 3, "round %d: the watcher missed arrivals in three tries", round)
					t.Logf("round %d try %d: the watcher noted %d of %d arrivals (machine busy); again", round, try, notedArrivals(st), len(segs))
					disarmStamps(st)
					_, err = io.ReadFull(c, buf[:all])
					require.NoError(t, err)
				}
				var got string
				for k := range segs {
					if len(got) >= all {
						break
					}
					n, err := c.Read(buf)
					require.NoError(t, err)
					got += string(buf[:n])
					at, kernel := arrival(st, time.Now())
					require.True(t, kernel, "round %d read %d", round, k)
					if tt.watched {
						// Its own arrival: after its write began, before the next one's did.
						require.Equal(t, segs[k], string(buf[:n]), "round %d: a read stops at a noted arrival", round)
						next := wrote[k].Add(rxGap)
						if k+1 < len(wrote) {
							next = wrote[k+1]
						}
						assert.True(t, !at.Before(wrote[k].Add(-time.Millisecond)) && at.Before(next),
							"round %d segment %d: arrival %v after its write, the next write %v after", round, k, at.Sub(wrote[k]), next.Sub(wrote[k]))
					} else if k == 0 {
						require.Len(t, got, all, "one read takes all")
						assert.False(t, at.Before(wrote[3]), "round %d: the newest segment's arrival", round)
					}
				}
				if tt.watched {
					require.True(t, w.running())
				}
				disarmStamps(st)
			}
		})
	}
	require.Eventually(t, func() bool { return !w.running() }, 2*time.Second, 10*time.Millisecond, "the thread ends once nothing is armed")
	goleak.VerifyNone(t, opt)
}

// writeSpaced writes segs rxGap apart and returns when each write began.
func writeSpaced(t *testing.T, w io.Writer, segs []string) []time.Time {
	wrote := make([]time.Time, len(segs))
	for k, s := range segs {
		if k > 0 {
			time.Sleep(rxGap)
		}
		wrote[k] = time.Now()
		_, err := w.Write([]byte(s))
		require.NoError(t, err)
	}
	return wrote
}

// notedArrivals returns how many unread arrivals the watcher noted on c.
func notedArrivals(c rxStamper) int {
	sc, ok := c.(*stampConn)
	if !ok || !sc.armed.Load() {
		return 0
	}
	sc.watcher.collect()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.marks)
}

// TestReadStreamLateReaderTTFT: through net/http, a reader that gets to the stream rxBusy late
// (after the second and third deltas arrived) still times the first delta by its own
// arrival; without the watcher it is timed by the third's.
func TestReadStreamLateReaderTTFT(t *testing.T) {
	kernelStamps(t)
	const ttft = 100 * time.Millisecond
	stamped := make(chan time.Time, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(handler)
	defer tlsSrv.Close()

	unwatched := NewTransport(4, "127.0.0.1")
	unwatched.DialContext = dialUnwatched
	overTLS := NewTransport(4, "127.0.0.1")
	overTLS.TLSClientConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig
	tests := []struct {
		name      string
		transport *http.Transport
		url       string
		watched   bool
	}{
		{"watched", NewTransport(4, "127.0.0.1"), srv.URL, true},
		{"watched over TLS", overTLS, tlsSrv.URL, true},
		{"unwatched (before)", unwatched, srv.URL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer tt.transport.CloseIdleConnections()
			// On a machine so busy that the watcher's thread waited longer than rxGap the
			// first delta merges with the second: three tries before the watched case fails.
			for try := 1; ; try++ {
				ttftGot, written := lateStream(t, tt.transport, stamped, tt.url, ttft)
				if !tt.watched {
					assert.GreaterOrEqual(t, ttftGot, written+2*rxGap-10*time.Millisecond, "ttft %v, server wrote at %v", ttftGot, written)
					return
				}
				// Its own arrival: after the server began writing it, before the second delta.
				if ttftGot >= written-time.Millisecond && ttftGot < written+rxGap {
					return
				}
				require.Less(t, try, 3, "ttft %v, server wrote at %v: not the first delta's arrival in three tries", ttftGot, written)
				t.Logf("try %d: ttft %v, server wrote at %v (machine busy?); again", try, ttftGot, written)
			}
		})
	}
}

// lateStream sends one streamed request through tr and reads it with a reader that is away
// for rxBusy after the first read; it returns the ttft read and when the server wrote the first
// delta, both from the send.
func lateStream(t *testing.T, tr *http.Transport, stamped chan time.Time, url string, ttft time.Duration) (time.Duration, time.Duration) {
	trace := newConnTrace()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(trace.context(ctx), http.MethodGet, url, nil)
	require.NoError(t, err)
	sent := time.Now()
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var s sender
	// The first read (message_start) returns, then the reader is away for ttft + rxBusy.
	r := s.readStream(ctx, cancel, &lateOnce{r: resp.Body, hold: ttft + rxBusy}, api.NewStream(api.Anthropic), sent, time.Minute, trace.conn)
	trace.disarm()
	require.Empty(t, r.failure)
	require.True(t, r.kernel)
	return r.ttft, (<-stamped).Sub(sent)
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
