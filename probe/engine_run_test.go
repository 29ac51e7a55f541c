package probe

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

func TestBudgetGuard(t *testing.T) {
	for _, tc := range []struct {
		name     string
		budget   engine.Budget
		attempts int
		stop     engine.Stop
	}{
		{"max requests", engine.Budget{MaxRequests: 5}, 5, engine.Stop{Kind: engine.StopMaxRequests, Limit: 5}},
		{"unconfirmed remote host", engine.Budget{Unconfirmed: RemoteFreeRequests}, RemoteFreeRequests,
			engine.Stop{Kind: engine.StopUnconfirmed, Limit: RemoteFreeRequests, Host: "127.0.0.1"}},
		{"tokens", engine.Budget{Tokens: 3 * 48}, 0, engine.Stop{Kind: engine.StopTokens, Limit: 144}},
		{"max duration", engine.Budget{MaxDuration: 100 * time.Millisecond}, 0, engine.Stop{Kind: engine.StopMaxDuration, After: 100 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newLLMServer(t)
			run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.Budget = tc.budget })
			began := time.Now()
			res, err := run.Open(context.Background(), engine.OpenPhase{Label: "b", Pacer: workload.Constant(workload.Rate{Hits: 200, Per: time.Second}), Duration: 5 * time.Second})
			require.NoError(t, err, "a budget stop is not an error")
			took := time.Since(began)
			recs := run.records(t)
			assert.Less(t, took, 2*time.Second, "the guard ended the 5s phase early")
			if tc.attempts > 0 {
				assert.Len(t, recs, tc.attempts)
			}
			if tc.budget.Tokens > 0 {
				// 48 tokens per response: the run stops once 144 are consumed; attempts in
				// flight at that moment still finish.
				assert.GreaterOrEqual(t, len(recs), 3)
				assert.Less(t, len(recs), 200, "far fewer than the 1,000 planned")
			}
			got := run.Stopped()
			if tc.stop.Kind == engine.StopTokens {
				assert.GreaterOrEqual(t, got.Consumed, got.Limit, "tokens consumed when it stopped")
				got.Consumed = 0
			}
			if tc.stop.Kind == engine.StopUnconfirmed {
				got.Host, _, _ = strings.Cut(got.Host, ":")
			}
			assert.Equal(t, tc.stop, got)
			assert.Equal(t, run.Stopped(), res.Stop)
			assert.False(t, run.Partial(), "a run that stopped at its budget is complete")
			select {
			case <-run.Done():
			default:
				t.Error("Done is not closed after the stop")
			}

			// A later phase does not start.
			res2, err := run.Open(context.Background(), engine.OpenPhase{Label: "after", Pacer: workload.Constant(workload.Rate{Hits: 200, Per: time.Second}), Duration: time.Second})
			require.NoError(t, err)
			assert.Zero(t, res2.Requests)
		})
	}
}

func TestInterruptWritesWholeLinesAndPartialRun(t *testing.T) {
	srv := newLLMServer(t)
	srv.delay = func(n int64) time.Duration {
		if n > 5 {
			return time.Minute // these are in flight when the interrupt comes
		}
		return 0
	}
	run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.Grace = 50 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	var seen atomic.Int64
	res, err := run.Open(ctx, engine.OpenPhase{
		Label: "int", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 10 * time.Second,
		Observe: func(*record.Attempt) bool {
			if seen.Add(1) == 5 {
				once.Do(func() { time.AfterFunc(30*time.Millisecond, cancel) })
			}
			return false
		},
	})
	require.ErrorIs(t, err, engine.ErrInterrupted)
	assert.Equal(t, engine.Stop{Kind: engine.StopInterrupted}, res.Stop)

	recs := run.records(t)
	b, err := os.ReadFile(filepath.Join(run.dir, record.AttemptsFile))
	require.NoError(t, err)
	require.NotEmpty(t, b)
	assert.Equal(t, byte('\n'), b[len(b)-1], "only whole lines")
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	assert.Len(t, recs, len(lines))
	cancelled := 0
	for _, a := range recs {
		if a.Error == "cancelled: run stopped" {
			cancelled++
		}
	}
	assert.Positive(t, cancelled, "attempts still in flight after the grace were cancelled and recorded")

	assert.True(t, run.Partial())
	assert.Equal(t, engine.Stop{Kind: engine.StopInterrupted}, run.Stopped())

	_, err = run.Open(context.Background(), engine.OpenPhase{Label: "after", Pacer: workload.Constant(workload.Rate{Hits: 1, Per: time.Second}), Duration: time.Second})
	assert.ErrorIs(t, err, engine.ErrInterrupted, "a phase after an interrupt returns at once")
}

func TestObserverStopsPhase(t *testing.T) {
	srv := newLLMServer(t)
	srv.status = func(n int64) int {
		if n >= 4 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	run := newTestRun(t, anthropicTarget(srv.URL), nil)
	res, err := run.Open(context.Background(), engine.OpenPhase{
		Label: "find", Kind: "find", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 5 * time.Second,
		Observe: func(a *record.Attempt) bool { return a.Status == 429 },
	})
	require.NoError(t, err)
	assert.Equal(t, engine.StopObserver, res.Stop.Kind)
	assert.Less(t, res.End-res.Start, time.Second)
	assert.False(t, run.Stopped().Stopped(), "an observer stops the phase, not the run")

	res2, err := run.Open(context.Background(), engine.OpenPhase{Label: "next", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 20 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, int64(2), res2.Requests, "the next phase runs")
	segs := run.Segments()
	require.Len(t, segs, 2)
	assert.Equal(t, "find", segs[0].Kind)
	assert.Equal(t, "probe", segs[1].Kind)
	assert.LessOrEqual(t, segs[0].EndS, segs[1].StartS)
}

func TestClosedFleet(t *testing.T) {
	srv := newLLMServer(t)
	srv.status = func(n int64) int {
		if n%3 == 0 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	run := newTestRun(t, anthropicTarget(srv.URL), nil)
	res, err := run.Closed(context.Background(), engine.ClosedPhase{
		Label: "fixed/3", Clients: 3, Requests: 4, Think: 5 * time.Millisecond,
		Fleet: fixedRetry{attempts: 5, wait: 5 * time.Millisecond}, Strategy: "fixed",
	})
	require.NoError(t, err)
	recs := run.records(t)
	assert.Equal(t, int64(12), res.Requests)
	assert.Equal(t, int64(12), res.Succeeded)

	perClient := map[int]map[int64]bool{}
	for _, a := range recs {
		assert.Equal(t, 3, a.Fleet)
		assert.Equal(t, "fixed", a.Strategy)
		assert.Equal(t, "fixed/3", a.Run)
		if perClient[a.Client] == nil {
			perClient[a.Client] = map[int64]bool{}
		}
		perClient[a.Client][a.Request] = true
	}
	require.Len(t, perClient, 3)
	for c, reqs := range perClient {
		assert.Len(t, reqs, 4, "client %d made 4 logical requests", c)
	}
	// A client's attempts never overlap: each starts after the previous one ended.
	byClient := map[int][]record.Attempt{}
	for _, a := range recs {
		byClient[a.Client] = append(byClient[a.Client], a)
	}
	for c, as := range byClient {
		for i := 1; i < len(as); i++ {
			assert.GreaterOrEqual(t, as[i].Sent, as[i-1].End()-time.Microsecond, "client %d attempt %d", c, i)
		}
	}
}

func TestClosedRejectsMoreClientsThanCap(t *testing.T) {
	srv := newLLMServer(t)
	run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.MaxInflight = 2 })
	_, err := run.Closed(context.Background(), engine.ClosedPhase{Label: "x", Clients: 3, Requests: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exceed the in-flight cap of 2")
}

func TestKeyNeverRecorded(t *testing.T) {
	srv := newLLMServer(t)
	srv.status = func(n int64) int { // the error body echoes the key; it must not be kept
		if n%2 == 0 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	run := newTestRun(t, anthropicTarget(srv.URL), nil)
	_, err := run.Open(context.Background(), engine.OpenPhase{Label: "k", Pacer: workload.Constant(workload.Rate{Hits: 200, Per: time.Second}), Duration: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, record.WriteRun(run.dir, &record.Run{Segments: run.Segments()}))
	run.records(t)
	entries, err := os.ReadDir(run.dir)
	require.NoError(t, err)
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(run.dir, de.Name()))
		require.NoError(t, err)
		assert.NotContains(t, string(b), "SECRET", de.Name())
	}
}

func TestHTTPTarget(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(r.Method + " " + r.URL.Path + " " + r.Header.Get("X-Test") + " " + string(b))
		w.Header().Set("RateLimit-Policy", `"default";q=100;w=60`)
		w.Header().Set("RateLimit", `"default";r=42;t=7`)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	run := newTestRun(t, TargetConfig{URL: srv.URL + "/things", Method: "put", Header: http.Header{"X-Test": {"yes"}}, Body: []byte(`{"a":1}`)}, nil)
	assert.Equal(t, api.HTTP, run.Target().API())
	_, err := run.Open(context.Background(), engine.OpenPhase{Label: "h", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 10 * time.Millisecond})
	require.NoError(t, err)
	recs := run.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, "PUT /things yes {\"a\":1}", got.Load())
	assert.Equal(t, 202, recs[0].Status)
	assert.Zero(t, recs[0].MaxTokens)
	assert.Equal(t, ratelimit.DialectIETF, recs[0].Dialect)
	assert.Equal(t, int64(42), recs[0].Limits[ratelimit.Requests].Remaining)
}

// TestEarlyAnswerDoesNotRaceBodyReuse: a server that answers before reading a large body makes
// RoundTrip return while the transport still writes the body; the next attempt must not reuse
// that buffer (the race detector sees it if it does).
func TestEarlyAnswerDoesNotRaceBodyReuse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusTooManyRequests) // without reading the 800 KB body
	}))
	defer srv.Close()
	tc := anthropicTarget(srv.URL)
	tc.PromptTokens, tc.PromptSpread = 200_000, 0.5
	run := newTestRun(t, tc, nil)
	res, err := run.Closed(context.Background(), engine.ClosedPhase{Label: "early", Clients: 1, Requests: 8})
	require.NoError(t, err)
	assert.Equal(t, int64(8), res.Attempts)
	for _, a := range run.records(t) {
		if a.Status != 0 {
			assert.Equal(t, 429, a.Status)
		}
	}
}
