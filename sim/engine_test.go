package sim

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// records reads back an attempt log.
func records(t *testing.T, buf *bytes.Buffer) []record.Attempt {
	t.Helper()
	var out []record.Attempt
	require.NoError(t, record.Scan(bytes.NewReader(buf.Bytes()), func(a *record.Attempt) error {
		out = append(out, *a)
		return nil
	}))
	return out
}

func mustRate(t *testing.T, s string) workload.Rate {
	t.Helper()
	r, err := workload.ParseRate(s)
	require.NoError(t, err)
	return r
}

// TestClosedUnlimited: with no limit binding, every client makes its requests back to back,
// each taking the mock's latency plus the think time, and every record carries the fields the
// live engine writes.
func TestClosedUnlimited(t *testing.T) {
	cfg := bucketConfig(1_000_000, 0, "anthropic")
	cfg.Latency = 250 * time.Millisecond
	var buf bytes.Buffer
	r := newRunner(t, cfg, &buf, 1)
	res, err := r.Closed(context.Background(), engine.ClosedPhase{Label: "c", Clients: 3, Requests: 4,
		Think: 50 * time.Millisecond, Strategy: "none", Fleet: fleet(t, "none", 1)})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, engine.Result{Label: "c", Start: 0, End: 4*250*time.Millisecond + 3*50*time.Millisecond,
		Requests: 12, Succeeded: 12, Attempts: 12}, res)
	recs := records(t, &buf)
	require.Len(t, recs, 12)
	for i := 0; i < 12; i += 3 {
		clients := []int{recs[i].Client, recs[i+1].Client, recs[i+2].Client}
		assert.ElementsMatch(t, []int{0, 1, 2}, clients, "every client once at each instant, in a seeded order")
	}
	for i, a := range recs {
		assert.Equal(t, record.ModeSim, a.Mode)
		assert.Equal(t, "c", a.Run)
		assert.Equal(t, "none", a.Strategy)
		assert.Equal(t, 3, a.Fleet)
		assert.Equal(t, int64(i/3), a.Request/3, "request ids numbered in start order, instant by instant")
		assert.Equal(t, 1, a.Number)
		assert.True(t, a.Final)
		assert.Equal(t, 200, a.Status)
		assert.Equal(t, 250*time.Millisecond, a.Latency)
		assert.Equal(t, time.Duration(i/3)*300*time.Millisecond, a.Sent)
		assert.Equal(t, a.Sent, a.Scheduled)
		assert.Equal(t, int64(workload.DefaultPromptTokens), a.InputTokens)
		assert.Equal(t, int64(workload.DefaultMaxTokens), a.OutputTokens)
		assert.Equal(t, int64(workload.DefaultMaxTokens), a.MaxTokens)
		assert.Equal(t, ratelimit.DialectAnthropic, a.Dialect)
		assert.True(t, a.HasServerDate)
	}
	assert.Equal(t, []record.Segment{{Label: "c", Kind: "compare", Strategy: "none", Mode: record.ModeSim, Clients: 3,
		StartS: 0, EndS: 1.15}}, r.Segments())
	st := r.Stats()
	assert.Equal(t, int64(12), st.Attempts)
	assert.Equal(t, int64(12), st.OK)
	assert.Equal(t, 12*int64(workload.DefaultPromptTokens), st.InputTokens)
}

// TestRetriesFollowTheFlow: a burst of 2 refilling at 1/s with three clients: the third client to
// arrive is refused, and the constant strategy retries exactly one pause later; the records
// number the attempts and mark only the last one final.
func TestRetriesFollowTheFlow(t *testing.T) {
	var buf bytes.Buffer
	r := newRunner(t, bucketConfig(60, 2, "anthropic"), &buf, 1)
	res, err := r.Closed(context.Background(), engine.ClosedPhase{Label: "c", Clients: 3, Requests: 1,
		Strategy: "constant(pause=1s)", Fleet: fleet(t, "constant(pause=1s)", 1)})
	require.NoError(t, err)
	assert.Equal(t, int64(4), res.Attempts)
	assert.Equal(t, int64(3), res.Succeeded)
	require.NoError(t, r.Close())
	recs := records(t, &buf)
	require.Len(t, recs, 4)
	third := recs[2]
	assert.Equal(t, 429, third.Status)
	assert.False(t, third.Final)
	assert.True(t, third.HasRetryAfter)
	assert.Equal(t, time.Second, third.RetryAfter)
	assert.Equal(t, int8(1), third.ShouldRetry)
	retry := recs[3]
	assert.Equal(t, third.Client, retry.Client)
	assert.Equal(t, third.Request, retry.Request)
	assert.Equal(t, 2, retry.Number)
	assert.Equal(t, time.Second, retry.Sent)
	assert.Equal(t, time.Second, retry.Scheduled, "a retry is due when its pause ends")
	assert.Equal(t, 200, retry.Status)
	assert.True(t, retry.Final)
}

// TestOpenArrivals: hits arrive exactly when the pacer says, each logical request is client i
// of the fleet, nothing is dropped or late, and the phase ends when the last request ends.
func TestOpenArrivals(t *testing.T) {
	cfg := bucketConfig(1_000_000, 0, "anthropic")
	cfg.Latency = 100 * time.Millisecond
	var buf bytes.Buffer
	r := newRunner(t, cfg, &buf, 1)
	res, err := r.Open(context.Background(), engine.OpenPhase{Label: "o", Pacer: workload.Constant(mustRate(t, "4/s")),
		Duration: 2 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, int64(8), res.Requests)
	assert.Equal(t, int64(8), res.Succeeded)
	assert.Equal(t, 1850*time.Millisecond, res.End)
	require.NoError(t, r.Close())
	for i, a := range records(t, &buf) {
		assert.Equal(t, time.Duration(i)*250*time.Millisecond, a.Sent)
		assert.Equal(t, 0, a.Client)
		assert.Equal(t, 0, a.Fleet)
		assert.Equal(t, "", a.Strategy)
	}
	assert.Equal(t, "probe", r.Segments()[0].Kind)
}

// TestPhasesContinueTheClock: a second phase starts where the first ended, Sleep lets the
// bucket refill, and Offset shifts every record time.
func TestPhasesContinueTheClock(t *testing.T) {
	m, err := account.New(bucketConfig(60, 5, "anthropic"), 1)
	require.NoError(t, err)
	var buf bytes.Buffer
	r, err := New(Options{Requests: anthropicRequests, Ledger: m, Records: record.NewWriter(&buf), Key: "k", Offset: 100 * time.Second})
	require.NoError(t, err)
	ctx := context.Background()
	p := engine.ClosedPhase{Label: "a", Clients: 5, Requests: 1}
	res, err := r.Closed(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.Succeeded, "the burst admits five")
	require.NoError(t, r.Sleep(ctx, 3*time.Second))
	assert.Equal(t, 103*time.Second, r.Elapsed())
	p.Label = "b"
	res, err = r.Closed(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Succeeded, "three seconds refilled three")
	assert.Equal(t, 103*time.Second, res.Start)
	require.NoError(t, r.Close())
	segs := r.Segments()
	require.Len(t, segs, 2)
	assert.Equal(t, 100.0, segs[0].StartS)
	assert.Equal(t, 103.0, segs[1].StartS)
	recs := records(t, &buf)
	assert.Equal(t, 103*time.Second, recs[len(recs)-1].Sent)
}

// TestTimeout: a leaky bucket's queueing delay beyond the timeout becomes a transport error at
// the timeout, as the live client's would.
func TestTimeout(t *testing.T) {
	cfg := bucketConfig(60, 10, "anthropic")
	cfg.Algorithm = limiter.LeakyBucket
	m, err := account.New(cfg, 1)
	require.NoError(t, err)
	var buf bytes.Buffer
	r, err := New(Options{Requests: anthropicRequests, Ledger: m, Records: record.NewWriter(&buf), Key: "k", Timeout: 2500 * time.Millisecond})
	require.NoError(t, err)
	res, err := r.Closed(context.Background(), engine.ClosedPhase{Label: "t", Clients: 5, Requests: 1})
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Succeeded, "delays 0, 1 and 2 s fit in 2.5 s")
	assert.Equal(t, int64(2), res.Failed)
	require.NoError(t, r.Close())
	recs := records(t, &buf)
	for _, a := range recs[3:] {
		assert.Equal(t, 0, a.Status)
		assert.Equal(t, "timeout after 2.5s", a.Error)
		assert.Equal(t, 2500*time.Millisecond, a.Latency)
	}
	assert.Equal(t, int64(2), r.Stats().TransportErrors)
}

// TestStops: the observer, the attempt budget and a cancelled context each halt the phase the
// way the live engine does: no new request starts, waiting ones are abandoned.
func TestStops(t *testing.T) {
	cfg := bucketConfig(600, 5, "anthropic")
	p := func(observe engine.Observer) engine.ClosedPhase {
		return engine.ClosedPhase{Label: "s", Clients: 20, Requests: 5, Fleet: fleet(t, "full-jitter", 1), Observe: observe}
	}
	t.Run("observer", func(t *testing.T) {
		r := newRunner(t, cfg, nil, 1)
		n := 0
		res, err := r.Closed(context.Background(), p(func(a *record.Attempt) bool { n++; return a.Status == 429 }))
		require.NoError(t, err)
		assert.Equal(t, engine.StopObserver, res.Stop.Kind)
		assert.Equal(t, int64(n), res.Attempts)
		assert.Equal(t, res.Requests, res.Succeeded+res.Failed+res.Abandoned)
		assert.Positive(t, res.Abandoned)
		assert.False(t, r.Stopped().Stopped(), "an observer stops the phase, not the run")
	})
	t.Run("max requests", func(t *testing.T) {
		m, err := account.New(cfg, 1)
		require.NoError(t, err)
		r, err := New(Options{Requests: anthropicRequests, Ledger: m, Records: record.NewWriter(&bytes.Buffer{}), Key: "k",
			Budget: engine.Budget{MaxRequests: 30}})
		require.NoError(t, err)
		res, err := r.Closed(context.Background(), p(nil))
		require.NoError(t, err)
		assert.Equal(t, int64(30), res.Attempts)
		assert.Equal(t, engine.Stop{Kind: engine.StopMaxRequests, Limit: 30}, r.Stopped())
		res, err = r.Closed(context.Background(), p(nil))
		require.NoError(t, err)
		assert.Zero(t, res.Requests, "a stopped run starts nothing")
		assert.False(t, r.Partial())
	})
	t.Run("interrupt", func(t *testing.T) {
		r := newRunner(t, cfg, nil, 1)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := r.Closed(ctx, p(nil))
		assert.True(t, errors.Is(err, engine.ErrInterrupted))
		assert.Zero(t, res.Requests)
		assert.True(t, r.Partial())
		assert.Equal(t, engine.Stop{Kind: engine.StopInterrupted}, r.Stopped())
	})
	t.Run("max duration", func(t *testing.T) {
		m, err := account.New(cfg, 1)
		require.NoError(t, err)
		r, err := New(Options{Requests: anthropicRequests, Ledger: m, Records: record.NewWriter(&bytes.Buffer{}), Key: "k",
			Budget: engine.Budget{MaxDuration: 3 * time.Second}})
		require.NoError(t, err)
		res, err := r.Closed(context.Background(), p(nil))
		require.NoError(t, err)
		assert.Equal(t, engine.Stop{Kind: engine.StopMaxDuration, After: 3 * time.Second}, r.Stopped())
		assert.Less(t, res.End, 4*time.Second)
	})
}

// TestDeterministic: the same seed gives the same attempt log byte for byte; another seed does
// not.
func TestDeterministic(t *testing.T) {
	run := func(seed int64) []byte {
		cfg := bucketConfig(600, 10, "anthropic")
		cfg.Latency, cfg.LatencyJitter, cfg.OverloadRate = 30*time.Millisecond, 20*time.Millisecond, 0.02
		var buf bytes.Buffer
		r := newRunner(t, cfg, &buf, seed)
		for _, s := range []string{"full-jitter", "decorrelated-jitter", "header-pacing", "sre-adaptive", "aimd"} {
			_, err := r.Closed(context.Background(), engine.ClosedPhase{Label: s, Clients: 30, Requests: 5, Fleet: fleet(t, s, seed), Strategy: s})
			require.NoError(t, err)
		}
		require.NoError(t, r.Close())
		return buf.Bytes()
	}
	a, b, c := run(3), run(3), run(4)
	assert.Greater(t, len(a), 10000)
	assert.True(t, bytes.Equal(a, b), "same seed, different logs")
	assert.False(t, bytes.Equal(a, c), "different seeds, same log")
}

// indexFleet records the client indices it hands policies to.
type indexFleet struct {
	backoff.Fleet
	got []int
}

func (f *indexFleet) Client(i int) backoff.Policy {
	f.got = append(f.got, i)
	return f.Fleet.Client(i)
}

// TestClosedShare: two shares of a closed phase run the whole fleet's clients between them,
// each under its fleet index (its policy's index and the records' client field) with its
// requests, and record the whole fleet's size.
func TestClosedShare(t *testing.T) {
	const clients, requests = 5, 3
	perClient := func(share engine.Share) (map[int]int, []int) {
		var buf bytes.Buffer
		r := newRunner(t, bucketConfig(1_000_000, 0, "anthropic"), &buf, 1)
		f := &indexFleet{Fleet: fleet(t, "full-jitter", 1)}
		res, err := r.Closed(context.Background(), engine.ClosedPhase{Label: "c", Clients: clients, Requests: requests,
			Strategy: "full-jitter", Fleet: f, Share: share})
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, clients, r.Segments()[0].Clients, "the segment is the whole fleet's sweep point")
		out := map[int]int{}
		for _, a := range records(t, &buf) {
			assert.Equal(t, clients, a.Fleet)
			out[a.Client]++
		}
		assert.Equal(t, int64(len(f.got)*requests), res.Requests)
		return out, f.got
	}
	whole, _ := perClient(engine.Share{})
	even, evenIdx := perClient(engine.Share{Index: 0, Count: 2})
	odd, oddIdx := perClient(engine.Share{Index: 1, Count: 2})
	assert.Equal(t, []int{0, 2, 4}, evenIdx)
	assert.Equal(t, []int{1, 3}, oddIdx)
	merged := map[int]int{}
	for c, n := range even {
		merged[c] += n
	}
	for c, n := range odd {
		merged[c] += n
	}
	assert.Equal(t, whole, merged)
	assert.Equal(t, map[int]int{0: requests, 1: requests, 2: requests, 3: requests, 4: requests}, whole)
}
