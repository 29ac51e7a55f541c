package backoff

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSREAdaptiveProbability(t *testing.T) {
	tests := []struct {
		name              string
		k                 float64
		requests, accepts int
		want              float64
	}{
		{"no history", 2, 0, 0, 0},
		{"all accepted", 2, 100, 100, 0},
		{"half accepted at K=2 is still zero", 2, 100, 50, 0},
		{"a third accepted at K=2", 2, 99, 33, (99.0 - 66) / 100},
		{"nothing accepted", 2, 9, 0, 9.0 / 10},
		{"K=1.1 is more aggressive", 1.1, 100, 50, (100 - 55.0) / 101},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSREAdaptive(1, limits{}, tc.k, 2*time.Minute, time.Second, time.Second).Client(0).(*sreAdaptive)
			// spread the history over the last 100 s of the window
			for i := range tc.requests {
				s.win.req[s.win.slot(t0.Add(time.Duration(i)*time.Second))]++
			}
			for i := range tc.accepts {
				s.win.acc[s.win.slot(t0.Add(time.Duration(i)*time.Second))]++
			}
			now := t0.Add(100 * time.Second)
			assert.InDelta(t, tc.want, s.rejectProbability(now), 1e-12)
			// History older than the 2-minute window no longer counts.
			assert.Zero(t, s.rejectProbability(now.Add(3*time.Minute)))
		})
	}
}

func TestSREAdaptiveRejectsWithTheDraws(t *testing.T) {
	const seed, client = 9, 4
	p := mustFleet(t, "sre-adaptive", seed).Client(client)
	r := ClientRand(seed, client)
	var requests, accepts float64
	now := t0
	rejected := 0
	for i := range 400 {
		now = now.Add(100 * time.Millisecond) // 400 attempts within the 2-minute window
		// Expected: p from the counts so far, a draw only when p > 0.
		pr := max(0, (requests-2*accepts)/(requests+1))
		wantReject := pr > 0 && r.Float64() < pr
		g := p.Before(now, 1)
		require.Equal(t, wantReject, g.Reject, "attempt %d (p=%.3f)", i, pr)
		requests++
		o := failed(1, 429)
		if g.Reject {
			o = Outcome{Attempt: 1, ClientRejected: true, Limits: failed(1, 0).Limits, Started: now}
			rejected++
		} else if i%4 == 0 { // the backend accepts one attempt in four
			o.Status = 200
			accepts++
		}
		if !o.ClientRejected {
			// a full-jitter retry draw is made for every failed attempt (retry-after absent)
			d := p.After(now, o)
			if d.Retry {
				r.Float64()
			}
			continue
		}
		d := p.After(now, o)
		assert.True(t, d.Retry, "a local rejection backs off and retries")
		r.Float64()
	}
	// Accepting a quarter of what is sent, the backend is far below K = 2: the client ends up
	// rejecting most attempts locally.
	assert.Greater(t, rejected, 200)

	// A backend that accepts everything is never throttled.
	q := mustFleet(t, "sre-adaptive", seed).Client(client)
	for i := range 400 {
		now = now.Add(100 * time.Millisecond)
		require.False(t, q.Before(now, 1).Reject, "attempt %d", i)
		q.After(now, failed(1, 200))
	}
}

func TestRetryBudget(t *testing.T) {
	p := mustFleet(t, "retry-budget", 1).Client(0)
	retries, requests := 0, 0
	now := t0
	for req := range 200 {
		requests++
		for a := 1; ; a++ {
			d := p.After(now, failed(a, 503)) // every attempt fails
			if !d.Retry {
				if a < 3 {
					assert.Contains(t, d.Reason, "retry budget spent", "request %d", req)
				} else {
					assert.Contains(t, d.Reason, "max attempts 3")
				}
				break
			}
			require.Less(t, a, 3, "at most 3 attempts")
			// the retry was allowed only while retries < 10% of requests
			require.Less(t, float64(retries), 0.1*float64(requests), "request %d", req)
			retries++
			now = now.Add(d.Wait)
		}
	}
	assert.Equal(t, 20, retries, "200 requests buy 20 retries at 10%")

	// A healthy client keeps its budget for the odd failure.
	q := mustFleet(t, "retry-budget", 1).Client(0)
	for range 30 {
		q.After(now, failed(1, 200))
	}
	assert.True(t, q.After(now, failed(1, 429)).Retry)
	assert.True(t, q.After(now, failed(2, 429)).Retry, "31 requests, 1 retry: 2 < 3.1")
	assert.False(t, q.After(now, failed(3, 429)).Retry, "max 3 attempts")
}

func TestDeterminism(t *testing.T) {
	schedule := func(spec string, seed int64, client int) string {
		f := mustFleet(t, spec, seed)
		p := f.Client(client)
		out := ""
		now := t0
		for req := range 5 {
			for a := 1; a <= 5; a++ {
				g := p.Before(now, a)
				o := failed(a, 429)
				o.ClientRejected = g.Reject
				d := p.After(now, o)
				out += fmt.Sprintf("%d.%d:%v/%v/%v ", req, a, g, d.Retry, d.Wait)
				if !d.Retry {
					break
				}
				now = now.Add(d.Wait + time.Duration(a)*time.Second)
			}
		}
		return out
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			a := schedule(name, 11, 2)
			assert.Equal(t, a, schedule(name, 11, 2), "same seed and client, same decisions")
			switch name {
			case "none", "constant", "exponential", "retry-budget", "aimd", "client-limiter", "header-pacing":
				// no per-attempt draws in these schedules
			default:
				assert.NotEqual(t, a, schedule(name, 11, 3), "another client draws differently")
				assert.NotEqual(t, a, schedule(name, 12, 2), "another seed draws differently")
			}
		})
	}
}

func TestClientSeedsIndependentOfOrder(t *testing.T) {
	seen := map[[2]uint64]bool{}
	for seed := range int64(20) {
		for i := range 200 {
			a, b := ClientSeeds(seed, i)
			require.False(t, seen[[2]uint64{a, b}], "seed %d client %d collides", seed, i)
			seen[[2]uint64{a, b}] = true
		}
	}
	// Creating clients in any order gives each the same source.
	f := mustFleet(t, "full-jitter", 3)
	first := waitsOf(f.Client(5))
	_ = f.Client(0)
	assert.Equal(t, first, waitsOf(mustFleet(t, "full-jitter", 3).Client(5)))
	x := rand.New(rand.NewPCG(ClientSeeds(3, 5)))
	assert.Equal(t, x.Uint64(), ClientRand(3, 5).Uint64())
}

func waitsOf(p Policy) []time.Duration { w, _ := waits(p, 10); return w }
