package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// Targets that misbehave. Each test runs the live engine, one open phase and one closed phase
// with a retrying policy from backoff, against a loopback server of its own that hangs,
// resets connections, trickles its body, sends garbage or contradictory rate-limit headers,
// answers 200 with an error body, or refuses forever. Each checks that every attempt ends in a
// clear record (status, error text), that the run ends within a bound derived from its short
// timeouts, and that no goroutine outlives the test.

// leakCheck fails the test if goroutines started during it are still running once it and its
// cleanups are done. Call it first: cleanups run last-registered first.
func leakCheck(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// faultServer starts a loopback server whose handler may block until the request is cancelled
// or the test ends (stop is closed before the server shuts down).
type faultServer struct {
	*httptest.Server
	stop chan struct{}
	mu   sync.Mutex
	hits int
}

func newFaultServer(t *testing.T, h func(s *faultServer, w http.ResponseWriter, r *http.Request)) *faultServer {
	t.Helper()
	s := &faultServer{stop: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits++
		s.mu.Unlock()
		io.Copy(io.Discard, r.Body)
		h(s, w, r)
	}))
	s.Start()
	require.True(t, strings.HasPrefix(s.URL, "http://127.0.0.1:"), s.URL)
	t.Cleanup(func() { close(s.stop); s.Close() })
	return s
}

// Hits returns how many requests reached the handler.
func (s *faultServer) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// block waits until the request is cancelled or the test ends.
func (s *faultServer) block(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.stop:
	}
}

// pause waits d, or less if the request is cancelled or the test ends; false when cut short.
func (s *faultServer) pause(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.stop:
	}
	return false
}

// hijack takes over the connection of w.
func hijack(t *testing.T, w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		panic(http.ErrAbortHandler)
	}
	return conn, rw
}

// reset closes conn with an RST instead of a FIN.
func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// faultRun is what one misbehaving target did to an open and a closed phase.
type faultRun struct {
	open, closed engine.Result
	recs         []record.Attempt
	chains       map[int64][]record.Attempt // by logical request, in attempt order
	wall         time.Duration
}

// Phase shapes every fault test uses: two logical requests from each phase.
const (
	faultOpenRequests   = 2 // 20/s for 100 ms: hits at 0 and 50 ms
	faultClosedClients  = 2
	faultClosedRequests = 1
	faultRequests       = faultOpenRequests + faultClosedClients*faultClosedRequests
)

// runFaults runs an open phase and then a closed phase under strategy against tc.
func runFaults(t *testing.T, tc TargetConfig, strategy string, mod func(*Options)) *faultRun {
	t.Helper()
	strat, err := backoff.Resolve(strategy)
	require.NoError(t, err)
	run := newTestRun(t, tc, func(o *Options) {
		o.Timeout, o.Grace = 100*time.Millisecond, 50*time.Millisecond
		if mod != nil {
			mod(o)
		}
	})
	fr := &faultRun{}
	begin := time.Now()
	fr.open, err = run.Open(context.Background(), engine.OpenPhase{
		Label: "open", Pacer: workload.Constant(workload.Rate{Hits: 20, Per: time.Second}), Duration: 100 * time.Millisecond,
		Fleet: strat.NewFleet(1), Strategy: strat.Label(),
	})
	require.NoError(t, err)
	fr.closed, err = run.Closed(context.Background(), engine.ClosedPhase{
		Label: "closed", Clients: faultClosedClients, Requests: faultClosedRequests,
		Fleet: strat.NewFleet(2), Strategy: strat.Label(),
	})
	require.NoError(t, err)
	fr.wall = time.Since(begin)
	fr.recs = run.records(t)
	fr.chains = chains(t, fr.recs)
	assert.Equal(t, int64(faultOpenRequests), fr.open.Requests, "open phase requests")
	assert.Equal(t, int64(faultClosedClients*faultClosedRequests), fr.closed.Requests, "closed phase requests")
	assert.False(t, fr.open.Stop.Stopped() || fr.closed.Stop.Stopped(), "nothing stopped the phases")
	return fr
}

// chains groups records by logical request and checks each chain: attempts numbered 1, 2, …
// in send order, only the last marked final, one label per request, and every transport
// failure explained.
func chains(t *testing.T, recs []record.Attempt) map[int64][]record.Attempt {
	t.Helper()
	out := map[int64][]record.Attempt{}
	for _, a := range recs {
		out[a.Request] = append(out[a.Request], a)
		if a.Status == 0 && !a.ClientRejected {
			assert.NotEmpty(t, a.Error, "request %d attempt %d: status 0 says why", a.Request, a.Number)
		}
		assert.GreaterOrEqual(t, a.Latency, time.Duration(0))
		assert.GreaterOrEqual(t, a.Sent, a.Scheduled-time.Microsecond, "request %d attempt %d sent before it was due", a.Request, a.Number)
	}
	for id, as := range out {
		for i, a := range as {
			assert.Equal(t, i+1, a.Number, "request %d: attempts in order", id)
			assert.Equal(t, as[0].Run, a.Run, "request %d: one phase", id)
			assert.Equal(t, i == len(as)-1, a.Final, "request %d attempt %d: only the last is final", id, a.Number)
		}
	}
	return out
}

// eachChain checks that every logical request made want attempts (0: any) and calls check on
// each attempt.
func (fr *faultRun) eachChain(t *testing.T, want int, check func(a *record.Attempt, last bool)) {
	t.Helper()
	require.Len(t, fr.chains, faultRequests, "every logical request left a record")
	for id, as := range fr.chains {
		if want > 0 {
			assert.Len(t, as, want, "request %d attempts", id)
		}
		for i := range as {
			check(&as[i], i == len(as)-1)
		}
	}
}

// failedAll checks that both phases counted every request as failed.
func (fr *faultRun) failedAll(t *testing.T) {
	t.Helper()
	assert.Equal(t, int64(faultOpenRequests), fr.open.Failed, "open phase: failed requests")
	assert.Equal(t, int64(faultClosedClients*faultClosedRequests), fr.closed.Failed, "closed phase: failed requests")
	assert.Zero(t, fr.open.Succeeded+fr.closed.Succeeded+fr.open.Abandoned+fr.closed.Abandoned)
}

func httpTarget(url string) TargetConfig { return TargetConfig{API: api.HTTP, URL: url} }

// retry3 retries anything retryable at once, three attempts in all.
const retry3 = "exponential(base=1ms,cap=2ms,max-attempts=3)"

func TestFaultHang(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler func(s *faultServer, w http.ResponseWriter, r *http.Request)
		err     string
	}{
		{"before the response", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			s.block(r)
		}, "timeout after 100ms"},
		{"after the headers", func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"partial":`)
			http.NewResponseController(w).Flush()
			s.block(r)
		}, "read body after status 200: timeout after 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			srv := newFaultServer(t, tc.handler)
			fr := runFaults(t, httpTarget(srv.URL), retry3, nil)
			fr.eachChain(t, 3, func(a *record.Attempt, last bool) {
				assert.Equal(t, 0, a.Status, "a hang is a transport error")
				assert.Equal(t, tc.err, a.Error)
				assert.GreaterOrEqual(t, a.Latency, 100*time.Millisecond, "the per-attempt timeout fired, not earlier")
				assert.Less(t, a.Latency, 1000*time.Millisecond, "the per-attempt timeout fired")
			})
			fr.failedAll(t)
			assert.Equal(t, 3*faultRequests, srv.Hits())
			// Open: both requests overlap (3 × 100 ms); closed: clients in parallel (3 × 100 ms).
			assert.Less(t, fr.wall, 3*time.Second, "no unbounded wait")
		})
	}
}

func TestFaultConnectionReset(t *testing.T) {
	for _, tc := range []struct {
		name   string
		onConn func(conn net.Conn, rw *bufio.ReadWriter) // on the hijacked connection
		errs   []string                                  // the error names one of these
	}{
		{"close before the response", func(conn net.Conn, _ *bufio.ReadWriter) {
			conn.Close()
		}, []string{"server closed the connection without a response (EOF)"}},
		{"RST before the response", func(conn net.Conn, _ *bufio.ReadWriter) {
			reset(conn)
			// An RST that arrives while the request is still being written may read as either.
		}, []string{"connection reset by the server (RST)", "server closed the connection without a response (EOF)"}},
		{"RST in the body", func(conn net.Conn, rw *bufio.ReadWriter) {
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial\":")
			rw.Flush()
			reset(conn)
		}, []string{"read body after status 200: connection reset by the server (RST)", "read body after status 200: server closed the connection mid-response (unexpected EOF)"}},
		{"close in the body", func(conn net.Conn, rw *bufio.ReadWriter) {
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":")
			rw.Flush()
			conn.Close()
		}, []string{"read body after status 200: server closed the connection mid-response (unexpected EOF)"}},
		{"garbage instead of HTTP", func(conn net.Conn, rw *bufio.ReadWriter) {
			rw.WriteString("SSH-2.0-OpenSSH_9.6\r\n\r\n")
			rw.Flush()
			conn.Close()
		}, []string{"malformed HTTP"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			srv := newFaultServer(t, func(_ *faultServer, w http.ResponseWriter, _ *http.Request) {
				conn, rw := hijack(t, w)
				tc.onConn(conn, rw)
			})
			fr := runFaults(t, httpTarget(srv.URL), retry3, nil)
			fr.eachChain(t, 3, func(a *record.Attempt, last bool) {
				assert.Equal(t, 0, a.Status, "a broken connection is a transport error")
				named := false
				for _, e := range tc.errs {
					named = named || strings.Contains(a.Error, e)
				}
				assert.True(t, named, "error %q names one of %q", a.Error, tc.errs)
				assert.NotContains(t, a.Error, srv.URL, "the error names the cause, not the URL")
				assert.Less(t, a.Latency, 100*time.Millisecond, "a reset ends the attempt before the timeout")
			})
			fr.failedAll(t)
			assert.Less(t, fr.wall, 2*time.Second, "no unbounded wait")
		})
	}
}

func TestFaultSlowBody(t *testing.T) {
	// trickle writes body one byte every gap.
	trickle := func(body string, gap time.Duration) func(*faultServer, http.ResponseWriter, *http.Request) {
		return func(s *faultServer, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			rc := http.NewResponseController(w)
			for i := range len(body) {
				if _, err := io.WriteString(w, body[i:i+1]); err != nil || rc.Flush() != nil {
					return
				}
				if !s.pause(r, gap) {
					return
				}
			}
		}
	}
	ok := `{"type":"message","usage":{"input_tokens":7,"output_tokens":3}}`
	t.Run("slower than the timeout", func(t *testing.T) {
		leakCheck(t)
		srv := newFaultServer(t, trickle(ok, 20*time.Millisecond)) // 66 bytes: 1.3 s
		fr := runFaults(t, anthropicTarget(srv.URL), retry3, nil)
		fr.eachChain(t, 3, func(a *record.Attempt, last bool) {
			assert.Equal(t, 0, a.Status, "an answer cut off by the timeout did not succeed")
			assert.Equal(t, "read body after status 200: timeout after 100ms", a.Error)
			assert.Zero(t, a.InputTokens+a.OutputTokens, "no usage from a partial body")
			assert.InDelta(t, 100*time.Millisecond, a.Latency, float64(400*time.Millisecond))
		})
		fr.failedAll(t)
		assert.Less(t, fr.wall, 3*time.Second)
	})
	t.Run("slow but within the timeout", func(t *testing.T) {
		leakCheck(t)
		srv := newFaultServer(t, trickle(ok, time.Millisecond)) // 66 bytes: ≥ 66 ms
		fr := runFaults(t, anthropicTarget(srv.URL), retry3, func(o *Options) { o.Timeout = 2 * time.Second })
		fr.eachChain(t, 1, func(a *record.Attempt, last bool) {
			assert.Equal(t, 200, a.Status)
			assert.Empty(t, a.Error)
			assert.GreaterOrEqual(t, a.Latency, 66*time.Millisecond, "latency runs to the end of the body")
			assert.Equal(t, int64(7), a.InputTokens)
			assert.Equal(t, int64(3), a.OutputTokens)
		})
		assert.Equal(t, int64(faultRequests), fr.open.Succeeded+fr.closed.Succeeded)
	})
}
