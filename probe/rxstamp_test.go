package probe

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/api"
)

// kernelStamps skips the test unless this build reads receive timestamps and the kernel
// accepts SO_TIMESTAMPING on a loopback TCP connection (64-bit Linux). It keeps a stamped
// connection open for the test: the kernel turns stamping on with deferred work when the
// first socket asks and off when the last one closes, so a test's first segments could come
// unstamped; it returns once a segment was stamped.
func kernelStamps(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c, err := dialStamped(&net.Dialer{})(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	st := stamperOf(c)
	if st == nil {
		t.Skipf("no receive timestamps on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	srv, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	buf := make([]byte, 8)
	for range 100 {
		_, err = srv.Write([]byte("x"))
		require.NoError(t, err)
		_, err = c.Read(buf)
		require.NoError(t, err)
		if st.lastArrival() != 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no receive timestamp in a second")
}

// TestStampedConnArrival: bytes written while the reader is busy elsewhere are stamped with
// the instant they arrived, not the instant the reader got to them.
func TestStampedConnArrival(t *testing.T) {
	kernelStamps(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c, err := dialStamped(&net.Dialer{})(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	st := stamperOf(c)
	if st == nil {
		t.Skip("the kernel refused SO_TIMESTAMPING")
	}
	srv, err := ln.Accept()
	require.NoError(t, err)
	defer srv.Close()

	buf := make([]byte, 64)
	const busy = 60 * time.Millisecond
	for round := range 3 {
		wrote := time.Now()
		_, err = srv.Write([]byte("data: first delta\n\n"))
		require.NoError(t, err)
		time.Sleep(busy) // the reader is elsewhere while the segment waits in the socket
		n, err := c.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "data: first delta\n\n", string(buf[:n]))
		read := time.Now()
		at, kernel := arrival(st, read)
		require.True(t, kernel, "round %d", round)
		assert.GreaterOrEqual(t, read.Sub(at), busy-5*time.Millisecond, "round %d: the stamp is the arrival, not the read", round)
		assert.InDelta(t, 0, at.Sub(wrote).Seconds(), 0.020, "round %d: arrival within 20 ms of the write", round)
	}
	// The peer's close reads as io.EOF, as on any net.Conn.
	require.NoError(t, srv.Close())
	_, err = c.Read(buf)
	require.ErrorIs(t, err, io.EOF)
}

// TestReadStreamKernelTTFT: through net/http, a first delta the reader gets late (every read
// returned 40 ms after it took the bytes) is timed from its arrival; the read instant is
// 40 ms later.
func TestReadStreamKernelTTFT(t *testing.T) {
	kernelStamps(t)
	const ttft, hold = 100 * time.Millisecond, 40 * time.Millisecond
	stamped := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sseEvent(w, "message_start", `{"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}}`)
		time.Sleep(ttft)
		stamped <- time.Now()
		sseEvent(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`)
		sseEvent(w, "message_stop", `{"type":"message_stop"}`)
	}))
	defer srv.Close()

	tests := []struct {
		name      string
		transport *http.Transport
		kernel    bool
	}{
		{"kernel receive timestamps", NewTransport(4, "127.0.0.1"), true},
		{"read instants", &http.Transport{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
			r := s.readStream(ctx, cancel, heldReader{resp.Body, hold}, api.NewStream(api.Anthropic), sent, time.Minute, trace.conn)
			require.Empty(t, r.failure)
			want := (<-stamped).Sub(sent)
			assert.Equal(t, tt.kernel, r.kernel)
			if tt.kernel {
				assert.InDelta(t, want.Seconds(), r.ttft.Seconds(), 0.020, "ttft %v, server wrote at %v", r.ttft, want)
			} else {
				assert.GreaterOrEqual(t, r.ttft, want+hold-5*time.Millisecond, "ttft %v, server wrote at %v", r.ttft, want)
			}
		})
	}
}

// heldReader returns each read's bytes hold after they were read, as a reading goroutine
// that is scheduled late does.
type heldReader struct {
	r    io.Reader
	hold time.Duration
}

func (h heldReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		time.Sleep(h.hold)
	}
	return n, err
}

func TestArrivalClock(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		conn   rxStamper
		want   time.Time
		kernel bool
	}{
		{"no connection", nil, now, false},
		{"nothing stamped yet", fixedStamp(0), now, false},
		{"3 ms before", fixedStamp(now.UnixNano() - 3e6), now.Add(-3 * time.Millisecond), true},
		{"the wall clock stepped back", fixedStamp(now.UnixNano() + 1e9), now, true},
		{"longer ago than a minute", fixedStamp(now.UnixNano() - 61e9), now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, kernel := arrival(tt.conn, now)
			assert.Equal(t, tt.kernel, kernel)
			assert.Equal(t, tt.want.Sub(now), at.Sub(now)) // on the monotonic clock
		})
	}
	assert.Equal(t, "", clockOf(0, 0))
	assert.Equal(t, ClockKernel, clockOf(3, 0))
	assert.Equal(t, ClockRead, clockOf(0, 3))
	assert.Equal(t, ClockMixed, clockOf(1, 3))
}

type fixedStamp int64

func (f fixedStamp) lastArrival() int64 { return int64(f) }
