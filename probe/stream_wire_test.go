package probe

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wire notes, for each attempt of a stream test, when the server began each write of the
// response body and when the client began each read of it. A stream's times are then checked
// against what happened rather than against the server's nominal pauses, which a loaded
// machine stretches: an event cannot arrive before the server began writing it, and a read
// that returned its last byte ended before the client began its next read (or closed the body).
type wire struct {
	mu     sync.Mutex
	server [][]stamp // per attempt, each write
	client [][]stamp // per attempt, each read, and the close last
}

// stamp is one write or read: the body offset it began at, the bytes it wrote ("" for a read)
// and the instant it began.
type stamp struct {
	off  int
	text string
	at   time.Time
}

// serve returns h with each response's writes noted.
func (w *wire) serve(h func(s *faultServer, w http.ResponseWriter, r *http.Request)) func(*faultServer, http.ResponseWriter, *http.Request) {
	return func(s *faultServer, rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.server = append(w.server, nil)
		i := len(w.server) - 1
		w.mu.Unlock()
		h(s, &stampWriter{ResponseWriter: rw, wire: w, i: i}, r)
	}
}

// transport returns rt with each response body's reads noted.
func (w *wire) transport(rt *http.Transport) http.RoundTripper { return &stampTransport{rt, w} }

type stampWriter struct {
	http.ResponseWriter
	wire *wire
	i    int // attempt
	off  int
}

func (sw *stampWriter) Write(p []byte) (int, error) {
	w := sw.wire
	w.mu.Lock()
	w.server[sw.i] = append(w.server[sw.i], stamp{sw.off, string(p), time.Now()})
	w.mu.Unlock()
	n, err := sw.ResponseWriter.Write(p)
	sw.off += n
	return n, err
}

func (sw *stampWriter) Flush() { sw.ResponseWriter.(http.Flusher).Flush() }

type stampTransport struct {
	*http.Transport
	wire *wire
}

func (st *stampTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := st.Transport.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	w := st.wire
	w.mu.Lock()
	w.client = append(w.client, nil)
	i := len(w.client) - 1
	w.mu.Unlock()
	resp.Body = &stampReader{ReadCloser: resp.Body, wire: w, i: i}
	return resp, nil
}

type stampReader struct {
	io.ReadCloser
	wire *wire
	i    int
	off  int
}

func (sr *stampReader) note() {
	w := sr.wire
	w.mu.Lock()
	w.client[sr.i] = append(w.client[sr.i], stamp{off: sr.off, at: time.Now()})
	w.mu.Unlock()
}

func (sr *stampReader) Read(p []byte) (int, error) {
	sr.note()
	n, err := sr.ReadCloser.Read(p)
	sr.off += n
	return n, err
}

func (sr *stampReader) Close() error {
	sr.note()
	return sr.ReadCloser.Close()
}

// window returns the instants between which attempt i's client can have timed the arrival of
// the server's write that matches (the first, or with last the last one): the write's start,
// and the start of the client's first read (or close) after the write's bytes were returned.
func (w *wire) window(t *testing.T, i int, match func(text string) bool, last bool) (from, to time.Time) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Less(t, i, min(len(w.server), len(w.client)), "attempt %d", i)
	k := -1
	for j, s := range w.server[i] {
		if match(s.text) && (k < 0 || last) {
			k = j
		}
	}
	require.GreaterOrEqual(t, k, 0, "attempt %d: no such write", i)
	wr := w.server[i][k]
	end := wr.off + len(wr.text)
	for _, r := range w.client[i] {
		if r.off >= end {
			return wr.at, r.at
		}
	}
	require.Fail(t, "the client never read past the write", "attempt %d, write %q", i, wr.text)
	return
}

// firstDelta and anyWrite match the server's writes.
func firstDelta(text string) bool { return strings.Contains(text, "content_block_delta") }
func anyWrite(string) bool        { return true }

// stampSlack is the rounding of attempts.jsonl (sent_s, ttft_ms and stream_ms to the microsecond).
const stampSlack = 2 * time.Microsecond

// assertWithin asserts from ≤ d ≤ to, give or take stampSlack.
func assertWithin(t *testing.T, d, from, to time.Duration, what string) {
	t.Helper()
	assert.True(t, from-stampSlack <= d && d <= to+stampSlack, "%s %s not within [%s, %s]", what, d, from, to)
}
