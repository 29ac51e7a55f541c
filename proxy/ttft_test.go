package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ttft is the time from sending a streamed request to reading its first event.
func ttft(t *testing.T, c *http.Client, url string) time.Duration {
	t0 := time.Now()
	resp, err := c.Post(url, "application/json", strings.NewReader(`{"model":"m","stream":true}`))
	require.NoError(t, err)
	buf := make([]byte, 64)
	_, err = io.ReadAtLeast(resp.Body, buf, 1)
	d := time.Since(t0)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return d
}

// TestAddedTTFT measures what the proxy adds to the time to first token on loopback: the same
// streamed request, alternately straight to the upstream and through the proxy (RATELAB_TTFT_N
// pairs, default 300), with the command's heap ballast. It logs the percentiles and fails only
// when the proxy adds more than 5 ms at the median, so that a loaded machine's tail does not
// fail it (BENCHMARKS.md has the figures; TestStreamNotBuffered shows events are not held).
func TestAddedTTFT(t *testing.T) {
	n := 300
	if v, err := strconv.Atoi(os.Getenv("RATELAB_TTFT_N")); err == nil && v > 0 {
		n = v
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	}))
	defer up.Close()
	_, base, _ := startAt(t, up.URL, Config{})
	// The heap ballast `ratelab proxy` holds (cli_mock.go's heapBallast), so that the
	// collector paces as it does in the command.
	ballast := make([]byte, 64<<20)
	defer runtime.KeepAlive(ballast)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	var direct, proxied []time.Duration
	for range 20 { // warm both paths' connections
		ttft(t, c, up.URL+"/v1/messages")
		ttft(t, c, base+"/v1/messages")
	}
	for range n {
		direct = append(direct, ttft(t, c, up.URL+"/v1/messages"))
		proxied = append(proxied, ttft(t, c, base+"/v1/messages"))
	}
	q := func(d []time.Duration, p float64) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[min(len(s)-1, int(p*float64(len(s))))]
	}
	added50, added99 := q(proxied, 0.5)-q(direct, 0.5), q(proxied, 0.99)-q(direct, 0.99)
	t.Logf("TTFT over %d pairs on loopback: direct p50 %v p99 %v; through the proxy p50 %v p99 %v; added p50 %v p99 %v",
		n, q(direct, 0.5), q(direct, 0.99), q(proxied, 0.5), q(proxied, 0.99), added50, added99)
	require.Less(t, added50, 5*time.Millisecond)
}
