package backoff

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
)

// hdr is the rate-limit content of a test response, for one dimension.
type hdr struct {
	dim       ratelimit.Dimension
	limit     int64
	remaining int64
	reset     time.Duration
	kind      ratelimit.ResetKind
	window    time.Duration // 0: not stated
	dialect   ratelimit.Dialect
}

func outcomeWith(attempt, status int, sent time.Time, hs ...hdr) Outcome {
	s := &ratelimit.Snapshot{}
	for _, h := range hs {
		st := ratelimit.State{Limit: h.limit, Remaining: h.remaining, Reset: h.reset, ResetKind: h.kind,
			Flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
		if h.window > 0 {
			st.Window, st.Flags = h.window, st.Flags|ratelimit.HasWindow
		}
		s.Dims[h.dim] = st
		s.Dialect = h.dialect
	}
	return Outcome{Attempt: attempt, Status: status, Limits: s, Started: sent, Sent: sent}
}

// headerOutcome is an Anthropic response: 600 requests per minute, remaining and reset as given.
func headerOutcome(attempt, status int, sent time.Time, remaining int64, reset time.Duration) Outcome {
	return outcomeWith(attempt, status, sent, hdr{limit: 600, remaining: remaining, reset: reset,
		kind: ratelimit.ResetRFC3339, dialect: ratelimit.DialectAnthropic})
}

// grantAll asks each policy once at now and returns how many were let through.
func grantAll(now time.Time, ps []Policy) (granted int, waits []time.Duration) {
	for _, p := range ps {
		g := p.Before(now, 1)
		if g.Wait == 0 {
			granted++
		} else {
			waits = append(waits, g.Wait)
		}
	}
	return granted, waits
}

func clients(f Fleet, n int) []Policy {
	ps := make([]Policy, n)
	for i := range ps {
		ps[i] = f.Client(i)
	}
	return ps
}

func TestHeaderPacingKnownRate(t *testing.T) {
	f := mustFleet(t, "header-pacing", 1)
	ps := clients(f, 20)
	// Cold start: one probe in flight until headers are known.
	n, w := grantAll(t0, ps)
	assert.Equal(t, 1, n)
	assert.Equal(t, 50*time.Millisecond, w[0], "the others poll")

	// The probe's response at 100 ms: 9 left after it at t0, 600/min = 10/s, so the bucket is back
	// to its capacity (largest remaining + 1 = 10) by 100 ms: ten may go, the eleventh 100 ms later.
	now := t0.Add(100 * time.Millisecond)
	assert.Equal(t, Decision{}, ps[0].After(now, headerOutcome(1, 200, t0, 9, time.Second)))
	n, w = grantAll(now, ps)
	assert.Equal(t, 10, n)
	require.NotEmpty(t, w)
	assert.Equal(t, 100*time.Millisecond+time.Microsecond, w[0])
	n, _ = grantAll(now.Add(99*time.Millisecond), ps[10:])
	assert.Equal(t, 0, n, "no token before the refill")
	n, _ = grantAll(now.Add(w[0]), ps[10:])
	assert.Equal(t, 1, n, "one refilled token, one grant")
}

func TestHeaderPacingChargesGrantsAfterTheObservedOne(t *testing.T) {
	f := mustFleet(t, "header-pacing(probe=3)", 1)
	ps := clients(f, 12)
	n, _ := grantAll(t0, ps)
	require.Equal(t, 3, n, "three probes")
	// The first probe's response says 9 left when it was sent; probes 2 and 3 were granted after it.
	ps[0].After(t0, headerOutcome(1, 200, t0, 9, time.Second))
	n, _ = grantAll(t0, ps[3:])
	assert.Equal(t, 7, n, "9 − the 2 later probes")
	// A response older than the anchor (probe 2, reporting 8) does not move it back.
	ps[1].After(t0, headerOutcome(1, 200, t0, 8, time.Second))
	assert.Equal(t, uint64(2), f.(*pacerFleet).dims[ratelimit.Requests].seq)
	ps[0].After(t0, headerOutcome(1, 200, t0, 9, time.Second)) // stale: ps[0] has no grant now
	assert.Equal(t, uint64(2), f.(*pacerFleet).dims[ratelimit.Requests].seq)
}

func TestHeaderPacingSpreadsRemainingOverReset(t *testing.T) {
	// IETF legacy headers state no window: 10 remaining over a 5 s reset of one-second resolution
	// (so 6 s) means one attempt every 0.6 s, and the full quota back after 6 s.
	f := mustFleet(t, "header-pacing", 1)
	ps := clients(f, 30)
	grantAll(t0, ps[:1])
	o := outcomeWith(1, 200, t0, hdr{limit: 11, remaining: 10, reset: 5 * time.Second, kind: ratelimit.ResetDeltaS,
		dialect: ratelimit.DialectIETFLegacy})
	ps[0].After(t0, o)
	var sent []time.Duration
	waiting := ps[1:]
	for ms := 0; ms <= 7000; ms += 10 {
		now := t0.Add(time.Duration(ms) * time.Millisecond)
		if g := waiting[0].Before(now, 1); g.Wait == 0 {
			sent = append(sent, now.Sub(t0))
			waiting = waiting[1:]
		}
	}
	require.Len(t, sent, 11, "10 remaining + the quota back in full (capacity 11), then wait for news")
	for i := range 10 {
		want := time.Duration(i+1) * 600 * time.Millisecond
		assert.InDelta(t, want.Seconds(), sent[i].Seconds(), 0.0105, "grant %d", i)
	}
	assert.Equal(t, 6010*time.Millisecond, sent[10], "the 11th, once the quota is back at 6 s (one per tick)")
}

func TestHeaderPacingPausesTheFleetOnRetryAfter(t *testing.T) {
	f := mustFleet(t, "header-pacing", 1)
	ps := clients(f, 3)
	grantAll(t0, ps[:1])
	now := t0.Add(100 * time.Millisecond)
	o := headerOutcome(1, 429, t0, 0, time.Second)
	o = withRetryAfter(o, 2*time.Second)
	d := ps[0].After(now, o)
	assert.Equal(t, Decision{Retry: true, Wait: 2 * time.Second}, d)
	assert.Equal(t, Gate{Wait: 2 * time.Second}, ps[1].Before(now, 1), "everyone waits for retry-after")
	assert.Equal(t, Gate{Wait: time.Second}, ps[2].Before(now.Add(time.Second), 1))
	// After the pause the budget still paces: 0 left at t0, 10/s: long refilled by now+2s.
	assert.Equal(t, Gate{}, ps[0].Before(now.Add(2*time.Second), 2))
}

func TestHeaderPacingWithoutHeadersDoesNotPace(t *testing.T) {
	f := mustFleet(t, "header-pacing", 1)
	ps := clients(f, 5)
	grantAll(t0, ps[:1])
	ps[0].After(t0.Add(time.Millisecond), failed(1, 200))
	n, _ := grantAll(t0.Add(time.Millisecond), ps)
	assert.Equal(t, 5, n)
}

// TestHeaderPacingOnTokens: with output-tokens=100 the output-token budget paces the requests
// (the requests dimension has plenty).
func TestHeaderPacingOnTokens(t *testing.T) {
	tests := []struct {
		name             string
		dialect          ratelimit.Dialect
		kind             ratelimit.ResetKind
		limit, remaining int64
		clients, granted int
		waits            []time.Duration
	}{
		// 250 output tokens left of 6000/min (100/s) allows two requests, then one every
		// second: 50 left, 50 more at 100/s.
		{"openai", ratelimit.DialectOpenAI, ratelimit.ResetDuration, 6000, 250, 6, 2,
			[]time.Duration{500*time.Millisecond + time.Microsecond}},
		// Anthropic rounds token counts to the nearest thousand: "1000" left may be 500, so with
		// 100 output tokens per request only five go at once; the sixth waits 0.5 s at
		// 12000/min, and the next in the queue (1.5 s) is held at most 1 s before it asks again.
		{"anthropic tokens are rounded", ratelimit.DialectAnthropic, ratelimit.ResetRFC3339, 12000, 1000, 8, 5,
			[]time.Duration{500*time.Millisecond + time.Microsecond, time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustFleet(t, "header-pacing(output-tokens=100)", 1)
			ps := clients(f, tc.clients)
			grantAll(t0, ps[:1])
			o := outcomeWith(1, 200, t0,
				hdr{dim: ratelimit.Requests, limit: 1000, remaining: 999, reset: time.Second, kind: tc.kind, dialect: tc.dialect},
				hdr{dim: ratelimit.OutputTokens, limit: tc.limit, remaining: tc.remaining, reset: time.Minute, kind: tc.kind, dialect: tc.dialect})
			ps[0].After(t0, o)
			n, w := grantAll(t0, ps[1:])
			assert.Equal(t, tc.granted, n)
			assert.Equal(t, tc.waits, w[:len(tc.waits)])
		})
	}
}

func TestBudgetWaitFor(t *testing.T) {
	at := t0
	tests := []struct {
		name string
		b    budget
		now  time.Time
		n, k uint64
		wait time.Duration
		ok   bool
	}{
		{"known rate, stock available", budget{cost: 1, rate: 10, cap: 10, stock: 3, stockAt: at}, at, 0, 0, 0, true},
		{"known rate, refill needed", budget{cost: 1, rate: 10, cap: 10, stock: 0.5, stockAt: at}, at, 0, 0, 50*time.Millisecond + time.Microsecond, true},
		{"known rate, debt", budget{cost: 1, rate: 4, cap: 10, stock: -1, stockAt: at}, at.Add(100 * time.Millisecond), 0, 0, 400*time.Millisecond + time.Microsecond, true},
		{"cost above capacity polls", budget{cost: 20, rate: 10, cap: 10, stock: 10, stockAt: at}, at, 0, 0, 0, false},
		{"no rate no reset: what remains", budget{cost: 1, rem: 3, reset: -1, cap: 4}, at, 2, 0, 0, true},
		{"no rate no reset: exhausted polls", budget{cost: 1, rem: 3, reset: -1, cap: 4}, at, 3, 0, 0, false},
		{"spread: 4 over 2s, third grant at 1.5s", budget{cost: 1, at: at, rem: 4, reset: 2 * time.Second, cap: 5}, at.Add(time.Second), 2, 0, 500*time.Millisecond + time.Microsecond, true},
		{"spread: over remaining waits for reset", budget{cost: 1, at: at, rem: 4, reset: 2 * time.Second, cap: 5}, at.Add(time.Second), 4, 0, time.Second + time.Microsecond, true},
		{"spread: after reset the capacity", budget{cost: 1, at: at, rem: 0, reset: 2 * time.Second, cap: 5}, at.Add(2 * time.Second), 4, 0, 0, true},
		{"known rate, two queued ahead", budget{cost: 1, rate: 10, cap: 10, stock: 0.5, stockAt: at}, at, 0, 2, 250*time.Millisecond + time.Microsecond, true},
		{"known rate, queue beyond the cap still gets a time", budget{cost: 1, rate: 10, cap: 2, stock: 2, stockAt: at}, at, 0, 4, 300*time.Millisecond + time.Microsecond, true},
		{"known rate, queue covered now", budget{cost: 1, rate: 10, cap: 10, stock: 3, stockAt: at}, at, 0, 2, 0, true},
		{"spread: queued ahead pushes the slot", budget{cost: 1, at: at, rem: 4, reset: 2 * time.Second, cap: 5}, at.Add(time.Second), 1, 1, 500*time.Millisecond + time.Microsecond, true},
		{"spread: beyond capacity polls", budget{cost: 1, at: at, rem: 0, reset: 2 * time.Second, cap: 5}, at.Add(3 * time.Second), 5, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := tc.b.waitFor(tc.now, tc.n, tc.k)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.wait, w)
		})
	}
}

func TestHeaderPacing429WithoutHeadersEmptiesTheBudget(t *testing.T) {
	f := mustFleet(t, "header-pacing", 1)
	ps := clients(f, 6)
	grantAll(t0, ps[:1])
	now := t0.Add(100 * time.Millisecond)
	ps[0].After(now, headerOutcome(1, 200, t0, 9, time.Second))
	n, _ := grantAll(now, ps[1:4]) // grants 2, 3, 4
	require.Equal(t, 3, n)
	// Grant 2 comes back 429 with no headers at all: the quota is taken as empty when it was sent,
	// and grants 3 and 4 (sent after it) are charged on top: −2, so 3 tokens at 10/s = 300 ms.
	d := ps[1].After(now, Outcome{Attempt: 1, Status: 429, Limits: &ratelimit.Snapshot{}, Started: now, Sent: now})
	assert.Equal(t, Decision{Retry: true}, d, "no retry-after: the shared budget holds the retry")
	assert.Equal(t, Gate{Wait: 300*time.Millisecond + time.Microsecond}, ps[4].Before(now, 1))
}

func TestHeaderPacingServesTheQueueInOrder(t *testing.T) {
	f := mustFleet(t, "header-pacing", 1)
	ps := clients(f, 14)
	grantAll(t0, ps[:1])
	ps[0].After(t0, headerOutcome(1, 200, t0, 9, time.Second))
	n, w := grantAll(t0, ps[:12]) // 9 left at 10/s: nine go, three queue
	require.Equal(t, 9, n)
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{100*ms + time.Microsecond, 200*ms + time.Microsecond, 300*ms + time.Microsecond}, w,
		"queued clients are told to come back one refill apart")
	at := t0.Add(100*ms + time.Microsecond)
	assert.NotZero(t, ps[12].Before(at, 1).Wait, "a newcomer does not take the first queued client's token")
	assert.NotZero(t, ps[10].Before(at, 1).Wait, "nor does the second in the queue")
	assert.Equal(t, Gate{}, ps[9].Before(at, 1), "the first in the queue goes")
}
