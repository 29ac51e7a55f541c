package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// misbehaving is an upstream whose path says how it misbehaves.
func misbehaving(release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/cut":
			// Promises 1,000 bytes, sends 10, hangs up.
			conn, buf, _ := http.NewResponseController(w).Hijack()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"usage\":{")
			buf.Flush()
			conn.Close()
		case "/hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/stream":
			w.Header().Set("Content-Type", "text/event-stream")
			for {
				if _, err := io.WriteString(w, "event: ping\ndata: {}\n\n"); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, anthropicAnswer)
		}
	}
}

// raw sends bytes on a new connection to the proxy and returns what came back before it
// closed (or 2 s passed).
func raw(t *testing.T, base, msg string, closeWrite bool) string {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	c, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, msg)
	require.NoError(t, err)
	if closeWrite {
		c.(*net.TCPConn).CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(bufio.NewReader(c))
	return string(b)
}

func TestMisbehavingPeers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, base, rec := start(t, misbehaving(release), Config{Timeout: 300 * time.Millisecond})
	get := func(path string) int {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(`{"model":"m"}`))
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	assert.Equal(t, 200, get("/ok"))
	get("/cut")                        // the upstream cuts its answer
	assert.Equal(t, 502, get("/hang")) // the upstream never answers: --timeout
	out := raw(t, base, "POST /ok HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", false)
	assert.Contains(t, out, "400 Bad Request", "malformed header: refused by the server, never forwarded")
	// The client promises 1,000 bytes of body and hangs up after 5.
	raw(t, base, "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":", true)
	// The client leaves in the middle of a stream.
	resp, err := http.Post(base+"/stream", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	io.ReadAtLeast(resp.Body, make([]byte, 64), 64)
	resp.Body.Close()
	assert.Equal(t, 200, get("/ok"), "the proxy still serves")

	require.Eventually(t, func() bool { return len(rec.all()) == 6 }, 5*time.Second, 10*time.Millisecond,
		"every exchange but the malformed one is recorded")
	byErr := map[string]int{}
	for _, a := range rec.all() {
		assert.True(t, a.Observed)
		byErr[a.Error]++
		switch {
		case strings.HasPrefix(a.Error, "read body after status 200"):
			assert.Equal(t, 0, a.Status, "a cut 2xx did not succeed")
		case strings.HasPrefix(a.Error, "upstream silent"):
			assert.Equal(t, 0, a.Status)
		case a.Error == "the client closed the connection before the answer ended":
			assert.Equal(t, 200, a.Status)
		}
	}
	assert.Equal(t, 2, byErr[""], "the two good requests: %v", byErr)
	assert.Equal(t, 1, byErr["upstream silent for 300ms (--timeout)"], "%v", byErr)
	assert.Equal(t, 1, byErr["the client closed the connection before the answer ended"], "%v", byErr)
	// The client hanging up mid-body: the body's read error or its context, whichever the
	// transport sees first.
	assert.Equal(t, 1, byErr["the client's request body was cut"]+byErr["the client closed the connection"], "%v", byErr)
	cut := 0
	for e, n := range byErr {
		if strings.HasPrefix(e, "read body after status 200") {
			cut += n
		}
	}
	assert.Equal(t, 1, cut, "%v", byErr)
}

func TestNoOpenRelay(t *testing.T) {
	_, base, rec := start(t, misbehaving(nil), Config{})
	out := raw(t, base, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", false)
	assert.Contains(t, out, "405")
	// An absolute URI names another host: the request still goes to the upstream.
	out = raw(t, base, "POST http://example.com/ok HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", false)
	assert.Contains(t, out, `"msg_1"`, "answered by the upstream")
	require.Eventually(t, func() bool { return len(rec.all()) == 1 }, 2*time.Second, 5*time.Millisecond)
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8088": true, "localhost:0": true, "[::1]:80": true, "127.9.9.9:1": true,
		":8088": false, "0.0.0.0:8088": false, "192.168.1.5:80": false, "[::]:80": false, "example.com:80": false, "nonsense": false,
	} {
		assert.Equal(t, want, Loopback(addr), addr)
	}
}
