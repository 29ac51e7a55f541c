package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/probe/backoff"
	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
)

// fakeKey is a recognisable key no output may contain.
const fakeKey = "fake-key-SECRET-7355608"

// llmServer is a loopback stand-in for the Messages API: it counts input tokens with the mock's
// estimator (⌈bytes/4⌉ of the prompt), answers with usage and anthropic rate-limit headers, and
// lets a test choose each call's status.
type llmServer struct {
	*httptest.Server
	calls  atomic.Int64
	status func(call int64) int // nil: always 200
	// refuseFirst answers 429 to the first refuseFirst calls carrying each distinct prompt
	// (each logical request, when prompt sizes differ), whatever the timing.
	refuseFirst int64
	perPrompt   sync.Map // prompt length → *atomic.Int64
	delay       func(call int64) time.Duration
	keys        sync.Map // x-api-key values seen
	stop        chan struct{}
}

func newLLMServer(t *testing.T) *llmServer {
	s := &llmServer{stop: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { close(s.stop); s.Close() })
	return s
}

func (s *llmServer) serve(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	s.keys.Store(r.Header.Get("x-api-key"), true)
	var body struct {
		MaxTokens int64 `json:"max_tokens"`
		Messages  []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) != 1 {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if s.delay != nil {
		select {
		case <-time.After(s.delay(n)):
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		}
	}
	in := (int64(len(body.Messages[0].Content)) + 3) / 4
	h := w.Header()
	h.Set("anthropic-ratelimit-requests-limit", "1000")
	h.Set("anthropic-ratelimit-requests-remaining", strconv.FormatInt(max(0, 1000-n), 10))
	h.Set("anthropic-ratelimit-requests-reset", time.Now().Add(time.Second).UTC().Format(time.RFC3339))
	h.Set("Content-Type", "application/json")
	status := http.StatusOK
	if s.status != nil {
		status = s.status(n)
	}
	if s.refuseFirst > 0 {
		c, _ := s.perPrompt.LoadOrStore(len(body.Messages[0].Content), new(atomic.Int64))
		if c.(*atomic.Int64).Add(1) <= s.refuseFirst {
			status = http.StatusTooManyRequests
		}
	}
	if status == http.StatusTooManyRequests {
		h.Set("retry-after", "0")
	}
	w.WriteHeader(status)
	if status == http.StatusOK {
		fmt.Fprintf(w, `{"type":"message","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":%d,"output_tokens":%d}}`, in, body.MaxTokens)
		return
	}
	fmt.Fprintf(w, `{"type":"error","error":{"type":"rate_limit_error","message":"key %s over limit"}}`, r.Header.Get("x-api-key"))
}

// testRun is an engine writing to a temporary run directory.
type testRun struct {
	*Engine
	dir string
	out *record.Writer
}

func newTestRun(t *testing.T, target TargetConfig, mod func(*Options)) *testRun {
	t.Helper()
	dir := t.TempDir()
	out, err := record.Create(dir)
	require.NoError(t, err)
	tg, err := NewTarget(target)
	require.NoError(t, err)
	o := Options{Target: tg, Records: out, Timeout: 5 * time.Second, Grace: 100 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	e, err := NewEngine(o)
	require.NoError(t, err)
	r := &testRun{Engine: e, dir: dir, out: out}
	t.Cleanup(func() { r.Close(); out.Close() })
	return r
}

func anthropicTarget(url string) TargetConfig {
	return TargetConfig{API: APIAnthropic, URL: url, Key: fakeKey, Model: "claude-test", MaxTokens: 16, PromptTokens: 32, Seed: 1}
}

// records closes the engine and the writer and reads attempts.jsonl back.
func (r *testRun) records(t *testing.T) []record.Attempt {
	t.Helper()
	require.NoError(t, r.Close())
	require.NoError(t, r.out.Close())
	var out []record.Attempt
	require.NoError(t, record.ScanFile(r.dir, func(a *record.Attempt) error {
		out = append(out, *a)
		return nil
	}))
	return out
}

func TestOpenRecordsEveryAttempt(t *testing.T) {
	srv := newLLMServer(t)
	run := newTestRun(t, anthropicTarget(srv.URL), nil)
	res, err := run.Open(context.Background(), OpenPhase{
		Label: "ramp-1", Phase: "ramp", Pacer: Constant(Rate{200, time.Second}), Duration: 250 * time.Millisecond,
	})
	require.NoError(t, err)
	recs := run.records(t)

	require.Len(t, recs, 50, "200/s for 250ms")
	assert.Equal(t, int64(50), res.Requests)
	assert.Equal(t, int64(50), res.Succeeded)
	assert.Equal(t, int64(50), res.Attempts)
	assert.Zero(t, res.Dropped)
	assert.Empty(t, res.StopReason)
	first := 1e9
	seen := map[int64]bool{}
	for _, a := range recs {
		first = min(first, a.ScheduledS)
	}
	for _, a := range recs {
		assert.Equal(t, "ramp-1", a.Run)
		assert.Equal(t, "ramp", a.Phase)
		assert.Equal(t, record.ModeLive, a.Mode)
		assert.False(t, seen[a.Request], "request ids are unique")
		seen[a.Request] = true
		assert.Equal(t, 1, a.Attempt)
		assert.True(t, a.Final)
		// Request k was scheduled at k/200 s after the phase started, exactly.
		assert.InDelta(t, float64(a.Request)/200, a.ScheduledS-first, 1e-6, "request %d", a.Request)
		assert.GreaterOrEqual(t, a.SentS, a.ScheduledS)
		assert.Positive(t, a.LatencyMs)
		assert.Equal(t, 200, a.Status)
		assert.Empty(t, a.Error)
		assert.Equal(t, int64(32), a.InputTokens, "the prompt is exactly --prompt-tokens under the mock's estimator")
		assert.Equal(t, int64(16), a.OutputTokens)
		assert.Equal(t, int64(16), a.MaxTokens)
		assert.Equal(t, ratelimit.DialectAnthropic, a.Dialect)
		req := a.Limits[ratelimit.Requests]
		assert.True(t, req.Has(ratelimit.HasLimit|ratelimit.HasRemaining|ratelimit.HasReset))
		assert.Equal(t, int64(1000), req.Limit)
	}
	st := run.Stats()
	assert.Equal(t, int64(50), st.Attempts)
	assert.Equal(t, int64(50), st.OK)
	assert.Equal(t, int64(50*32), st.InputTokens)
	assert.True(t, st.Limits[ratelimit.Requests].Present())
	_, ok := srv.keys.Load(fakeKey)
	assert.True(t, ok, "the key went in x-api-key")
}

// fixedRetry is a test policy: up to attempts attempts, wait between them, retrying anything
// but a 2xx.
type fixedRetry struct {
	attempts int
	wait     time.Duration
}

func (f fixedRetry) Client(int) backoff.Policy          { return f }
func (f fixedRetry) Before(time.Time, int) backoff.Gate { return backoff.Gate{} }
func (f fixedRetry) After(_ time.Time, o backoff.Outcome) backoff.Decision {
	if o.Succeeded() {
		return backoff.Decision{}
	}
	if o.Attempt >= f.attempts {
		return backoff.Decision{Reason: "max attempts"}
	}
	return backoff.Decision{Retry: true, Wait: f.wait}
}

func TestOpenRetriesThroughFlow(t *testing.T) {
	srv := newLLMServer(t)
	// Each request (told apart by its prompt size) is refused twice, then served.
	srv.refuseFirst = 2
	tc := anthropicTarget(srv.URL)
	tc.PromptTokens, tc.PromptSpread = 1000, 0.5
	run := newTestRun(t, tc, nil)
	sizes := map[int64]bool{}
	for id := range int64(3) {
		sizes[run.Target().PromptTokens(id)] = true
	}
	require.Len(t, sizes, 3, "the three requests have different prompt sizes")
	res, err := run.Open(context.Background(), OpenPhase{
		Label: "retry", Pacer: Constant(Rate{10, time.Second}), Duration: 250 * time.Millisecond,
		Fleet: fixedRetry{attempts: 3, wait: 20 * time.Millisecond}, Strategy: "fixed",
	})
	require.NoError(t, err)
	recs := run.records(t)

	assert.Equal(t, int64(3), res.Requests)
	assert.Equal(t, int64(3), res.Succeeded, "every request succeeds by its third attempt")
	byReq := map[int64][]record.Attempt{}
	for _, a := range recs {
		assert.Equal(t, "fixed", a.Strategy)
		byReq[a.Request] = append(byReq[a.Request], a)
	}
	require.Len(t, byReq, 3)
	total := 0
	for id, as := range byReq {
		total += len(as)
		for i, a := range as {
			assert.Equal(t, i+1, a.Attempt, "request %d: attempts in order", id)
			assert.Equal(t, i == len(as)-1, a.Final, "request %d attempt %d: only the last is final", id, a.Attempt)
			if i > 0 {
				prev := as[i-1]
				assert.Equal(t, 429, prev.Status)
				// The retry was due when its 20ms wait after the previous attempt's end expired.
				assert.InDelta(t, prev.EndS()+0.020, a.ScheduledS, 0.002, "request %d attempt %d scheduled", id, a.Attempt)
				assert.GreaterOrEqual(t, a.SentS, a.ScheduledS)
			}
		}
		assert.Equal(t, 200, as[len(as)-1].Status)
	}
	assert.Equal(t, 9, total, "six refusals plus three successes")
}

func TestOpenWithRegistryStrategy(t *testing.T) {
	srv := newLLMServer(t)
	srv.status = func(int64) int { return http.StatusTooManyRequests }
	strat, err := backoff.Resolve("exponential(base=5ms,cap=10ms,max-attempts=3)")
	require.NoError(t, err)
	run := newTestRun(t, anthropicTarget(srv.URL), nil)
	res, err := run.Open(context.Background(), OpenPhase{
		Label: "exp", Pacer: Constant(Rate{100, time.Second}), Duration: 20 * time.Millisecond,
		Fleet: strat.NewFleet(1), Strategy: strat.Label(),
	})
	require.NoError(t, err)
	recs := run.records(t)
	assert.Equal(t, int64(2), res.Requests)
	assert.Equal(t, int64(2), res.Failed)
	assert.Len(t, recs, 6, "two requests, three attempts each")
	for _, a := range recs {
		if a.Final {
			assert.Equal(t, "max attempts 3 reached (last status 429)", a.GaveUp, "the final record says why the request gave up")
		} else {
			assert.Empty(t, a.GaveUp)
		}
		assert.Empty(t, a.ContentType, "a 429's content type is not kept")
	}
}

// TestFailedResponseContentType: a failed response's media type is recorded (a proxy's HTML
// error page is not the API's JSON error); a success's is not.
func TestFailedResponseContentType(t *testing.T) {
	srv := newLLMServer(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if srv.calls.Load() >= 1 { // the first call succeeds, the others meet a proxy's error page
			w.Header().Set("Content-Type", "Text/HTML; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
			return
		}
		srv.serve(w, r)
	})
	run := newTestRun(t, anthropicTarget(srv.URL), nil)
	_, err := run.Open(context.Background(), OpenPhase{Label: "t", Pacer: Constant(Rate{100, time.Second}), Duration: 20 * time.Millisecond})
	require.NoError(t, err)
	recs := run.records(t)
	require.Len(t, recs, 2)
	var got []string
	for _, a := range recs {
		got = append(got, fmt.Sprintf("%d %q", a.Status, a.ContentType))
	}
	assert.ElementsMatch(t, []string{`200 ""`, `500 "text/html"`}, got)
}

func TestMediaType(t *testing.T) {
	for in, want := range map[string]string{"": "", "application/json": "application/json",
		"Text/HTML; charset=utf-8": "text/html", " text/plain ;x=y": "text/plain"} {
		assert.Equal(t, want, mediaType(in), "%q", in)
	}
}

func TestTransportErrorsAreRecorded(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		srv := newLLMServer(t)
		srv.delay = func(int64) time.Duration { return time.Minute }
		run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.Timeout = 50 * time.Millisecond })
		res, err := run.Open(context.Background(), OpenPhase{Label: "t", Pacer: Constant(Rate{100, time.Second}), Duration: 20 * time.Millisecond})
		require.NoError(t, err, "a timeout is an outcome, not a failure")
		recs := run.records(t)
		require.Len(t, recs, 2)
		for _, a := range recs {
			assert.Equal(t, 0, a.Status)
			assert.Equal(t, "timeout after 50ms", a.Error)
			assert.GreaterOrEqual(t, a.LatencyMs, 50.0)
			assert.Less(t, a.LatencyMs, 2000.0)
			assert.True(t, a.Final)
		}
		assert.Equal(t, int64(2), res.Failed)
		assert.Equal(t, int64(2), run.Stats().TransportErrors)
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		run := newTestRun(t, anthropicTarget("http://"+addr), nil)
		_, err = run.Open(context.Background(), OpenPhase{Label: "t", Pacer: Constant(Rate{100, time.Second}), Duration: 10 * time.Millisecond})
		require.NoError(t, err)
		recs := run.records(t)
		require.Len(t, recs, 1)
		assert.Equal(t, 0, recs[0].Status)
		assert.Contains(t, recs[0].Error, "refused")
		assert.NotContains(t, recs[0].Error, addr+"/v1", "the error names the cause, not the request URL")
	})
}

func TestInflightCapCountsLateAndDropped(t *testing.T) {
	srv := newLLMServer(t)
	srv.delay = func(int64) time.Duration { return 60 * time.Millisecond }
	run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.MaxInflight = 2 })
	pacer := Constant(Rate{100, time.Second})
	res, err := run.Open(context.Background(), OpenPhase{Label: "cap", Pacer: pacer, Duration: 300 * time.Millisecond})
	require.NoError(t, err)
	recs := run.records(t)

	due := int64(HitsBefore(pacer, 300*time.Millisecond))
	require.Equal(t, int64(30), due)
	// Two at a time, 60ms each: about 10 of the 30 hits get a worker before the phase ends.
	assert.Positive(t, res.Dropped)
	assert.Equal(t, due, res.Requests+res.Dropped, "every due hit was either sent or counted as dropped")
	assert.Len(t, recs, int(res.Requests))
	assert.Positive(t, res.Late)
	late := 0
	for _, a := range recs {
		if (a.SentS-a.ScheduledS)*1e3 > float64(record.LateThreshold.Milliseconds()) {
			late++
		}
	}
	assert.Equal(t, int64(late), res.Late, "late counts the records that started late")
	st := run.Stats()
	assert.Equal(t, res.Dropped, st.Dropped)
	assert.Equal(t, res.Late, st.Late)
	assert.LessOrEqual(t, srv.calls.Load(), int64(len(recs)))
}

func TestBudgetGuard(t *testing.T) {
	for _, tc := range []struct {
		name     string
		budget   Budget
		attempts int
		reason   string
	}{
		{"max requests", Budget{MaxRequests: 5}, 5, "--max-requests 5 reached"},
		{"unconfirmed remote host", Budget{Unconfirmed: RemoteFreeRequests}, RemoteFreeRequests, "pass --yes"},
		{"tokens", Budget{Tokens: 3 * 48}, 0, "--budget-tokens 144 reached"},
		{"max duration", Budget{MaxDuration: 100 * time.Millisecond}, 0, "--max-duration 100ms reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newLLMServer(t)
			run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.Budget = tc.budget })
			began := time.Now()
			res, err := run.Open(context.Background(), OpenPhase{Label: "b", Pacer: Constant(Rate{200, time.Second}), Duration: 5 * time.Second})
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
			assert.Contains(t, run.StopReason(), tc.reason)
			assert.Contains(t, res.StopReason, tc.reason)
			var r record.Run
			run.FillRun(&r, time.Now())
			assert.False(t, r.Partial, "a run that stopped at its budget is complete")
			assert.Contains(t, r.StopReason, tc.reason)

			// A later phase does not start.
			res2, err := run.Open(context.Background(), OpenPhase{Label: "after", Pacer: Constant(Rate{200, time.Second}), Duration: time.Second})
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
	res, err := run.Open(ctx, OpenPhase{
		Label: "int", Pacer: Constant(Rate{100, time.Second}), Duration: 10 * time.Second,
		Observe: func(*record.Attempt) bool {
			if seen.Add(1) == 5 {
				once.Do(func() { time.AfterFunc(30*time.Millisecond, cancel) })
			}
			return false
		},
	})
	require.ErrorIs(t, err, ErrInterrupted)
	assert.Equal(t, "interrupted", res.StopReason)

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

	var r record.Run
	run.FillRun(&r, time.Now())
	assert.True(t, r.Partial)
	assert.Equal(t, "interrupted", r.StopReason)
	require.NoError(t, record.WriteRun(run.dir, &r))
	back, err := record.ReadRun(run.dir)
	require.NoError(t, err)
	assert.True(t, back.Partial)

	_, err = run.Open(context.Background(), OpenPhase{Label: "after", Pacer: Constant(Rate{1, time.Second}), Duration: time.Second})
	assert.ErrorIs(t, err, ErrInterrupted, "a phase after an interrupt returns at once")
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
	res, err := run.Open(context.Background(), OpenPhase{
		Label: "find", Kind: "find", Pacer: Constant(Rate{100, time.Second}), Duration: 5 * time.Second,
		Observe: func(a *record.Attempt) bool { return a.Status == 429 },
	})
	require.NoError(t, err)
	assert.Equal(t, StopObserver, res.StopReason)
	assert.Less(t, res.End-res.Start, time.Second)
	assert.Empty(t, run.StopReason(), "an observer stops the phase, not the run")

	res2, err := run.Open(context.Background(), OpenPhase{Label: "next", Pacer: Constant(Rate{100, time.Second}), Duration: 20 * time.Millisecond})
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
	res, err := run.Closed(context.Background(), ClosedPhase{
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
			assert.GreaterOrEqual(t, as[i].SentS, as[i-1].EndS()-1e-6, "client %d attempt %d", c, i)
		}
	}
}

func TestClosedRejectsMoreClientsThanCap(t *testing.T) {
	srv := newLLMServer(t)
	run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.MaxInflight = 2 })
	_, err := run.Closed(context.Background(), ClosedPhase{Label: "x", Clients: 3, Requests: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--max-inflight 2")
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
	_, err := run.Open(context.Background(), OpenPhase{Label: "k", Pacer: Constant(Rate{200, time.Second}), Duration: 50 * time.Millisecond})
	require.NoError(t, err)
	var r record.Run
	run.FillRun(&r, time.Now())
	require.NoError(t, record.WriteRun(run.dir, &r))
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
	assert.Equal(t, APIHTTP, run.Target().API())
	_, err := run.Open(context.Background(), OpenPhase{Label: "h", Pacer: Constant(Rate{100, time.Second}), Duration: 10 * time.Millisecond})
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
	res, err := run.Closed(context.Background(), ClosedPhase{Label: "early", Clients: 1, Requests: 8})
	require.NoError(t, err)
	assert.Equal(t, int64(8), res.Attempts)
	for _, a := range run.records(t) {
		if a.Status != 0 {
			assert.Equal(t, 429, a.Status)
		}
	}
}
