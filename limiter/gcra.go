package limiter

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// gcra is the generic cell rate algorithm as redis-cell and go-redis/redis_rate run it: one
// theoretical arrival time (TAT) and no drip process. With emission interval T = Window/Limit
// and tolerance τ = T·Burst:
//
//	tat     = max(tat, now)
//	new_tat = tat + T·cost
//	allowed iff new_tat − τ <= now, and then tat = new_tat
//	retry_after = new_tat − τ − now;  reset_after = tat − now
//
// It is a token bucket of Burst tokens refilling at Limit/Window seen from the time axis:
// tokens = Burst − (tat − now)/T. With whole costs it makes exactly the token bucket's
// decisions (a property test holds them equal), and its header values are the same:
// Limit = Burst, Remaining = floor(tokens), Reset = reset_after. (redis-cell's max_burst is
// Burst − 1, and it advertises limit = max_burst + 1 = Burst.)
//
// Instants are exact: an exact.Stamp is NS + Num/Limit nanoseconds.
type gcra struct {
	cfg    Config
	burst  int64
	limit  int64 // denominator of every stamp's Num
	window int64
	tau    exact.Stamp // T·Burst, as a duration
	tat    exact.Stamp // absolute Unix time; NS == unset before the first request
	clock
}

func newGCRA(c Config) *gcra {
	q, r, _ := exact.MulDiv(uint64(c.Burst), uint64(c.Window), uint64(c.Limit)) // validated by New
	return &gcra{
		cfg:    c,
		burst:  c.Burst,
		limit:  c.Limit,
		window: int64(c.Window),
		tau:    exact.Stamp{NS: int64(q), Num: int64(r)},
		tat:    exact.Stamp{NS: unset, Num: 0},
		clock:  clock{last: unset},
	}
}

// Config returns the limiter's configuration with defaults filled in.
func (g *gcra) Config() Config { return g.cfg }

// from returns max(g.tat, t): the TAT as of instant t.
func (g *gcra) from(t int64) exact.Stamp {
	if g.tat.NS < t {
		return exact.Stamp{NS: t, Num: 0}
	}
	return g.tat
}

// Allow admits a request of cost units iff new_tat − τ <= now.
func (g *gcra) Allow(now time.Time, cost int64) Decision {
	t := g.observe(now)
	cost = max(clampCost(cost), 0)
	newTat := g.from(t).After(cost, g.window, g.limit)
	// new_tat − now <= τ, compared as mixed numbers.
	wait := exact.Stamp{NS: newTat.NS - t, Num: newTat.Num}
	allowed := wait.LessEq(g.tau)
	if allowed {
		g.tat = newTat
	}
	d := g.state(t)
	d.Allowed = allowed
	if !allowed && !never(&d, cost, g.burst, g.cfg.Window) {
		// retry_after = new_tat − τ − now, rounded up.
		d.RetryAfter = time.Duration(wait.CeilSub(g.tau, g.limit))
	}
	return d
}

// state returns the header values at instant t: Remaining = floor(Burst − (tat − t)/T),
// Reset = tat − t rounded up.
func (g *gcra) state(t int64) Decision {
	tat := g.from(t)
	ns, num := tat.NS-t, tat.Num // tat − t >= 0
	// (tat − t)/T = (ns·Limit + num)/Window tokens; floor(Burst − x) = Burst − ceil(x).
	used := exact.Mul(uint64(ns), uint64(g.limit)).Add64(uint64(num)).CeilDiv(uint64(g.window))
	reset := ns
	if num > 0 {
		reset++
	}
	return Decision{Limit: g.burst, Remaining: max(g.burst-used, 0), Reset: time.Duration(reset)}
}

// Charge moves the TAT by cost·T whether or not the request would pass (debt pushes it past
// now + τ); a negative cost moves it back, never before now (a full bucket).
func (g *gcra) Charge(now time.Time, cost int64) {
	t := g.observe(now)
	g.tat = g.from(t).After(clampCost(cost), g.window, g.limit)
	if g.tat.NS < t {
		g.tat = exact.Stamp{NS: t, Num: 0}
	}
}

// Peek returns the decision a zero-cost request would get at now, on a copy of the state.
func (g *gcra) Peek(now time.Time) Decision {
	c := *g
	return c.Allow(now, 0)
}
