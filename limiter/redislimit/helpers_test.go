package redislimit

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/redistest"
	"github.com/ratelab/ratelab/limiter"
)

// t0 is the first instant of the fake-clock tests: a real date, on a whole microsecond.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// startStore starts a redis-server and opens a store on it, both stopped when t ends.
func startStore(t testing.TB, o Options) (*Store, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t)
	s, err := Open(srv.URL, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, srv
}

// op names for failure messages.
func (o op) String() string {
	switch o {
	case opAllow:
		return "allow"
	case opCharge:
		return "charge"
	}
	return "peek"
}

// event is one call of a generated sequence.
type event struct {
	at   time.Time
	op   op
	cost int64
}

func (e event) String() string {
	return fmt.Sprintf("%s(%d) at t0+%s", e.op, e.cost, e.at.Sub(t0))
}

// windows of the small configs: whole microseconds, round and not.
var windows = []time.Duration{time.Second, 10 * time.Second, time.Minute, 7*time.Second + 123*time.Microsecond}

// randomConfig draws a config for algorithm a. Small configs (Limit <= 40) reach every branch
// often; large ones (Limit up to 10^12 per up to a day, costs to match) drive the script's
// products past 2^53, where doubles alone would round.
func randomConfig(rng *rand.Rand, a limiter.Algorithm, large bool) limiter.Config {
	c := limiter.Config{Algorithm: a, Limit: 1 + rng.Int64N(40), Window: windows[rng.IntN(len(windows))]}
	if rng.IntN(4) == 0 {
		c.Window = time.Duration(1+rng.Int64N(int64(2*time.Minute/time.Microsecond))) * time.Microsecond
	}
	if large {
		c.Limit = 1_000_000 + rng.Int64N(1_000_000_000_000)
		c.Window = time.Duration(1+rng.Int64N(int64(24*time.Hour/time.Microsecond))) * time.Microsecond
	}
	if rng.IntN(3) > 0 {
		c.Burst = 1 + rng.Int64N(3*c.Limit)
	}
	c.NoDelay = rng.IntN(2) == 0
	// The window variants (only the algorithm's own applies).
	c.Start = limiter.WindowStarts[rng.IntN(len(limiter.WindowStarts))]
	c.Rounding = limiter.CounterRoundings[rng.IntN(len(limiter.CounterRoundings))]
	return c
}

// randomSequence draws n events for config c (defaults filled in): simultaneous requests, gaps
// around the mean interval, idle stretches, now and then an earlier instant than the last, and
// (with charges) Charge of either sign and Peek. Instants are whole microseconds.
func randomSequence(rng *rand.Rand, c limiter.Config, n int, charges bool) []event {
	us := func(d int64) time.Duration { return time.Duration(d/int64(time.Microsecond)) * time.Microsecond }
	interval := max(int64(c.Window)/c.Limit, int64(time.Microsecond))
	capacity := max(c.Burst, c.Limit)
	at := t0.Add(us(rng.Int64N(int64(c.Window))))
	seq := make([]event, 0, n)
	for range n {
		switch r := rng.IntN(100); {
		case r < 25:
		case r < 80:
			at = at.Add(us(rng.Int64N(2*interval + 1)))
		case r < 95:
			at = at.Add(us(rng.Int64N(int64(c.Window) + 1)))
		default:
			at = at.Add(us(rng.Int64N(3*int64(c.Window) + 1)))
		}
		e := event{at: at, op: opAllow, cost: 1}
		if rng.IntN(20) == 0 {
			e.at = at.Add(-us(rng.Int64N(int64(c.Window) + 1)))
		}
		switch r := rng.IntN(20); {
		case r == 0:
			e.cost = 0
		case r == 1:
			e.cost = capacity + 1 + rng.Int64N(3)
		default:
			e.cost = 1 + rng.Int64N(max(capacity/4, 8))
		}
		if charges {
			switch r := rng.IntN(10); {
			case r == 0:
				e.op, e.cost = opCharge, rng.Int64N(2*capacity+1)
			case r == 1:
				e.op, e.cost = opCharge, -rng.Int64N(2*capacity+1)
			case r == 2:
				e.op, e.cost = opTry, 0
			}
		}
		seq = append(seq, e)
	}
	return seq
}

// apply runs e on the in-process limiter and returns what the store's method for e returns:
// Allow's decision, Peek's, or for a charge the Peek after it.
func apply(l limiter.Limiter, e event) limiter.Decision {
	switch e.op {
	case opAllow:
		return l.Allow(e.at, e.cost)
	case opCharge:
		l.Charge(e.at, e.cost)
	}
	return l.Peek(e.at)
}
