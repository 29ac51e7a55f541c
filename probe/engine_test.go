package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
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
	return TargetConfig{API: api.Anthropic, URL: url, Key: fakeKey, Model: "claude-test", MaxTokens: 16, PromptTokens: 32, Seed: 1}
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
	res, err := run.Open(context.Background(), engine.OpenPhase{
		Label: "ramp-1", Phase: "ramp", Pacer: workload.Constant(workload.Rate{Hits: 200, Per: time.Second}), Duration: 250 * time.Millisecond,
	})
	require.NoError(t, err)
	recs := run.records(t)

	require.Len(t, recs, 50, "200/s for 250ms")
	assert.Equal(t, int64(50), res.Requests)
	assert.Equal(t, int64(50), res.Succeeded)
	assert.Equal(t, int64(50), res.Attempts)
	assert.Zero(t, res.Dropped)
	assert.False(t, res.Stop.Stopped())
	first := time.Duration(math.MaxInt64)
	seen := map[int64]bool{}
	for _, a := range recs {
		first = min(first, a.Scheduled)
	}
	for _, a := range recs {
		assert.Equal(t, "ramp-1", a.Run)
		assert.Equal(t, "ramp", a.Phase)
		assert.Equal(t, record.ModeLive, a.Mode)
		assert.False(t, seen[a.Request], "request ids are unique")
		seen[a.Request] = true
		assert.Equal(t, 1, a.Number)
		assert.True(t, a.Final)
		// Request k was scheduled at k/200 s after the phase started, exactly.
		assert.InDelta(t, float64(a.Request)/200, record.Seconds(a.Scheduled-first), 1e-6, "request %d", a.Request)
		assert.GreaterOrEqual(t, a.Sent, a.Scheduled)
		assert.Positive(t, a.Latency)
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
	res, err := run.Open(context.Background(), engine.OpenPhase{
		Label: "retry", Pacer: workload.Constant(workload.Rate{Hits: 10, Per: time.Second}), Duration: 250 * time.Millisecond,
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
			assert.Equal(t, i+1, a.Number, "request %d: attempts in order", id)
			assert.Equal(t, i == len(as)-1, a.Final, "request %d attempt %d: only the last is final", id, a.Number)
			if i > 0 {
				prev := as[i-1]
				assert.Equal(t, 429, prev.Status)
				// The retry was due when its 20ms wait after the previous attempt's end expired.
				assert.InDelta(t, record.Seconds(prev.End()+20*time.Millisecond), record.Seconds(a.Scheduled), 0.002, "request %d attempt %d scheduled", id, a.Number)
				assert.GreaterOrEqual(t, a.Sent, a.Scheduled)
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
	res, err := run.Open(context.Background(), engine.OpenPhase{
		Label: "exp", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 20 * time.Millisecond,
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
	_, err := run.Open(context.Background(), engine.OpenPhase{Label: "t", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 20 * time.Millisecond})
	require.NoError(t, err)
	recs := run.records(t)
	require.Len(t, recs, 2)
	var got []string
	for _, a := range recs {
		got = append(got, fmt.Sprintf("%d %q", a.Status, a.ContentType))
	}
	assert.ElementsMatch(t, []string{`200 ""`, `500 "text/html"`}, got)
}

func TestTransportErrorsAreRecorded(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		srv := newLLMServer(t)
		srv.delay = func(int64) time.Duration { return time.Minute }
		run := newTestRun(t, anthropicTarget(srv.URL), func(o *Options) { o.Timeout = 50 * time.Millisecond })
		res, err := run.Open(context.Background(), engine.OpenPhase{Label: "t", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 20 * time.Millisecond})
		require.NoError(t, err, "a timeout is an outcome, not a failure")
		recs := run.records(t)
		require.Len(t, recs, 2)
		for _, a := range recs {
			assert.Equal(t, 0, a.Status)
			assert.Equal(t, "timeout after 50ms", a.Error)
			assert.GreaterOrEqual(t, a.Latency, 50*time.Millisecond)
			assert.Less(t, a.Latency, 2000*time.Millisecond)
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
		_, err = run.Open(context.Background(), engine.OpenPhase{Label: "t", Pacer: workload.Constant(workload.Rate{Hits: 100, Per: time.Second}), Duration: 10 * time.Millisecond})
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
	pacer := workload.Constant(workload.Rate{Hits: 100, Per: time.Second})
	res, err := run.Open(context.Background(), engine.OpenPhase{Label: "cap", Pacer: pacer, Duration: 300 * time.Millisecond})
	require.NoError(t, err)
	recs := run.records(t)

	due := int64(workload.HitsBefore(pacer, 300*time.Millisecond))
	require.Equal(t, int64(30), due)
	// Two at a time, 60ms each: about 10 of the 30 hits get a worker before the phase ends.
	assert.Positive(t, res.Dropped)
	assert.Equal(t, due, res.Requests+res.Dropped, "every due hit was either sent or counted as dropped")
	assert.Len(t, recs, int(res.Requests))
	assert.Positive(t, res.Late)
	late := 0
	for _, a := range recs {
		if a.Sent-a.Scheduled > record.LateThreshold {
			late++
		}
	}
	assert.Equal(t, int64(late), res.Late, "late counts the records that started late")
	st := run.Stats()
	assert.Equal(t, res.Dropped, st.Dropped)
	assert.Equal(t, res.Late, st.Late)
	assert.LessOrEqual(t, srv.calls.Load(), int64(len(recs)))
}
