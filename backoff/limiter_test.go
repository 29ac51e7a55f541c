package backoff

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientLimiterSpacesTheFleet(t *testing.T) {
	// 120 rpm = one every 500 ms, burst 2, shared by three clients asking at the same instant.
	f := mustFleet(t, "client-limiter(rpm=120,burst=2)", 1)
	clients := []Policy{f.Client(0), f.Client(1), f.Client(2)}
	var gates []Gate
	for _, c := range clients {
		gates = append(gates, c.Before(t0, 1))
	}
	assert.Equal(t, []Gate{{}, {}, {Wait: 500 * time.Millisecond}}, gates, "burst of 2, the third waits one interval")
	// Asked again early, the reservation holds: the rest of the wait.
	assert.Equal(t, Gate{Wait: 200 * time.Millisecond}, clients[2].Before(t0.Add(300*time.Millisecond), 1))
	// At the reserved instant it goes, without taking a second token.
	assert.Equal(t, Gate{}, clients[2].Before(t0.Add(500*time.Millisecond), 1))
	// The next attempt (client 0's retry) reserves the slot after that.
	assert.Equal(t, Gate{Wait: 500 * time.Millisecond}, clients[0].Before(t0.Add(500*time.Millisecond), 2))

	// Over a long run the fleet sends at the configured rate: 1 + 2 per second over 60 s.
	g := mustFleet(t, "client-limiter(rpm=120,burst=1)", 1)
	sent := 0
	ps := []Policy{g.Client(0), g.Client(1), g.Client(2), g.Client(3)}
	for ms := 0; ms <= 60_000; ms += 10 {
		now := t0.Add(time.Duration(ms) * time.Millisecond)
		for _, p := range ps {
			if p.Before(now, 1) == (Gate{}) {
				sent++
			}
		}
	}
	assert.Equal(t, 121, sent, "burst 1 at t=0 plus 2/s for 60 s")
}

func TestAIMDLimitUpdates(t *testing.T) {
	tests := []struct {
		name     string
		limit    int
		inflight int // when the sampled attempt was admitted
		status   int
		want     int
	}{
		{"drop from 10: min(9, ⌊9.0⌋)", 10, 1, 429, 9},
		{"drop from 20: min(19, 18)", 20, 1, 429, 18},
		{"drop from 100: ×0.9", 100, 5, 503, 90},
		{"drop never below 1", 1, 1, 529, 1},
		{"transport error is a drop", 5, 1, 0, 4},
		{"success at the limit grows by one", 10, 10, 200, 11},
		{"success below the limit keeps it", 10, 9, 200, 10},
		{"other errors keep it", 10, 10, 500, 10},
		{"growth stops at max-limit", 1000, 1000, 200, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAIMD(1, limits{maxAttempts: 10}, tc.limit, 1000, 0.9, 50*time.Millisecond, time.Second, time.Second)
			f.inflight = tc.inflight
			o := failed(1, tc.status)
			f.release(&o, tc.inflight)
			assert.Equal(t, tc.want, f.Limit())
			assert.Equal(t, tc.inflight-1, f.inflight)
		})
	}
	// With ratio 1 the min(limit−1, …) term still makes a drop decrease the limit.
	f := newAIMD(1, limits{maxAttempts: 10}, 10, 1000, 1, 50*time.Millisecond, time.Second, time.Second)
	f.inflight = 1
	o := failed(1, 429)
	f.release(&o, 1)
	assert.Equal(t, 9, f.Limit())
}

func TestAIMDHoldsAtTheLimit(t *testing.T) {
	f := mustFleet(t, "aimd(initial=2,poll=20ms)", 1)
	a, b, c := f.Client(0), f.Client(1), f.Client(2)
	assert.Equal(t, Gate{}, a.Before(t0, 1))
	assert.Equal(t, Gate{}, b.Before(t0, 1))
	assert.Equal(t, Gate{Wait: 20 * time.Millisecond}, c.Before(t0, 1), "two in flight at limit 2")
	// With no latency seen, a slot is taken to turn over every poll/limit: deeper in the queue,
	// longer waits (the 6th queued: 6·20ms/2).
	var deeper []time.Duration
	for i := 3; i < 8; i++ {
		deeper = append(deeper, f.Client(i).Before(t0, 1).Wait)
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{20 * ms, 30 * ms, 40 * ms, 50 * ms, 60 * ms}, deeper)
	assert.Equal(t, Gate{}, a.Before(t0, 1), "asked again, a keeps its slot")
	// a succeeds with 1 in flight at admission (< 2): limit stays 2 and a slot frees.
	ok := failed(1, 200)
	assert.Equal(t, Decision{}, a.After(t0.Add(time.Second), ok))
	assert.Equal(t, Gate{}, c.Before(t0.Add(time.Second), 1))
	// b was admitted with 2 in flight = the limit: its success grows the limit to 3.
	b.After(t0.Add(time.Second), ok)
	assert.Equal(t, 3, f.(*aimdFleet).Limit())
	// c's 429 cuts it to max(1, min(2, ⌊2.7⌋)) = 2 and retries after the server's retry-after.
	d := c.After(t0.Add(2*time.Second), withRetryAfter(failed(1, 429), 3*time.Second))
	assert.Equal(t, Decision{Retry: true, Wait: 3 * time.Second}, d)
	assert.Equal(t, 2, f.(*aimdFleet).Limit())
	assert.Zero(t, f.(*aimdFleet).inflight)
}

// Fleet-shared state is used from many goroutines in live mode; run under -race.
func TestSharedFleetsAreSafeForConcurrentUse(t *testing.T) {
	for _, name := range []string{"header-pacing", "client-limiter(rpm=6000,burst=5)", "aimd"} {
		t.Run(name, func(t *testing.T) {
			f := mustFleet(t, name, 1)
			var wg sync.WaitGroup
			for i := range 8 {
				p := f.Client(i)
				wg.Go(func() {
					now := t0
					for a := 1; a <= 200; a++ {
						now = now.Add(10 * time.Millisecond)
						for p.Before(now, 1).Wait > 0 {
							now = now.Add(time.Millisecond)
						}
						o := headerOutcome(a, 200, now, 9, 500*time.Millisecond)
						p.After(now.Add(time.Millisecond), o)
					}
				})
			}
			wg.Wait()
			if af, ok := f.(*aimdFleet); ok {
				require.Zero(t, af.inflight)
			}
		})
	}
}

func TestAIMDQueuedClientsComeBackInTurn(t *testing.T) {
	f := newAIMD(1, limits{maxAttempts: 10}, 2, 1000, 0.9, 50*time.Millisecond, time.Second, time.Second)
	ps := clients(f, 6)
	ps[0].Before(t0, 1)
	ps[1].Before(t0, 1)
	// A success with 1 s latency teaches the mean latency (limit stays 2: admitted with 1 in flight).
	o := failed(1, 200)
	o.Latency = time.Second
	ps[0].After(t0, o)
	ps[0].Before(t0, 1) // back to two in flight
	// Two slots turn over per second: queued clients come back 0.5 s apart, at most 1 s ahead.
	var waits []time.Duration
	for _, p := range ps[2:] {
		waits = append(waits, p.Before(t0, 1).Wait)
	}
	assert.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, time.Second, time.Second}, waits)
	// A slot frees (a 500: the limit stays 2): the first in the queue gets it; neither a newcomer
	// nor the second jumps ahead.
	o.Status = 500
	ps[1].After(t0, o)
	require.Equal(t, 2, f.Limit())
	assert.NotZero(t, f.Client(6).Before(t0, 1).Wait, "newcomer")
	assert.NotZero(t, ps[3].Before(t0, 1).Wait, "second in the queue")
	assert.Equal(t, Gate{}, ps[2].Before(t0, 1), "first in the queue")
	// The mean latency is an EWMA with weight 0.2: 1 s, then a 2 s sample → 1.2 s.
	o.Latency = 2 * time.Second
	ps[2].After(t0, o)
	assert.InDelta(t, 1.2, f.latency, 1e-12)
}
