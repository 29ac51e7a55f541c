package limiter

import "time"

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
// Instants are exact: a stamp is ns + num/Limit nanoseconds.
type gcra struct {
	cfg    Config
	burst  int64
	limit  int64 // denominator of every stamp's num
	window int64
	tau    stamp // T·Burst, as a duration
	tat    stamp // absolute Unix time; ns == unset before the first request
	clock
}

// stamp is ns + num/Limit nanoseconds, 0 <= num < Limit.
type stamp struct{ ns, num int64 }

func newGCRA(c Config) *gcra {
	q, r, _ := mulDiv(uint64(c.Burst), uint64(c.Window), uint64(c.Limit)) // validated by New
	return &gcra{
		cfg:    c,
		burst:  c.Burst,
		limit:  c.Limit,
		window: int64(c.Window),
		tau:    stamp{int64(q), int64(r)},
		tat:    stamp{unset, 0},
		clock:  clock{last: unset},
	}
}

// Config returns the limiter's configuration with defaults filled in.
func (g *gcra) Config() Config { return g.cfg }

// after returns s + n·T, saturating at maxDebt nanoseconds; n may be negative.
func (g *gcra) after(s stamp, n int64) stamp {
	neg := n < 0
	if neg {
		n = -n
	}
	q, r, ok := mulDiv(uint64(n), uint64(g.window), uint64(g.limit))
	if !ok || q > maxDebt {
		q, r = maxDebt, 0
	}
	if neg {
		s.ns, s.num = addSat(s.ns, -int64(q)), s.num-int64(r)
		if s.num < 0 {
			s.num += g.limit
			s.ns--
		}
		return s
	}
	s.ns, s.num = addSat(s.ns, int64(q)), s.num+int64(r)
	if s.num >= g.limit {
		s.num -= g.limit
		s.ns++
	}
	return s
}

// from returns max(g.tat, t): the TAT as of instant t.
func (g *gcra) from(t int64) stamp {
	if g.tat.ns < t {
		return stamp{t, 0}
	}
	return g.tat
}

// Allow admits a request of cost units iff new_tat − τ <= now.
func (g *gcra) Allow(now time.Time, cost int64) Decision {
	t := g.observe(now)
	cost = max(clampCost(cost), 0)
	newTat := g.after(g.from(t), cost)
	// new_tat − now <= τ, compared as mixed numbers.
	wait := stamp{newTat.ns - t, newTat.num}
	allowed := wait.ns < g.tau.ns || wait.ns == g.tau.ns && wait.num <= g.tau.num
	if allowed {
		g.tat = newTat
	}
	d := g.state(t)
	d.Allowed = allowed
	if !allowed {
		if cost > g.burst {
			// The request can never pass; say when the bucket is full, or one window.
			d.RetryAfter = d.Reset
			if d.RetryAfter == 0 {
				d.RetryAfter = g.cfg.Window
			}
		} else {
			// retry_after = new_tat − τ − now, rounded up.
			ns, num := wait.ns-g.tau.ns, wait.num-g.tau.num
			if num < 0 {
				num += g.limit
				ns--
			}
			if num > 0 {
				ns++
			}
			d.RetryAfter = time.Duration(ns)
		}
	}
	return d
}

// state returns the header values at instant t: Remaining = floor(Burst − (tat − t)/T),
// Reset = tat − t rounded up.
func (g *gcra) state(t int64) Decision {
	tat := g.from(t)
	ns, num := tat.ns-t, tat.num // tat − t >= 0
	// (tat − t)/T = (ns·Limit + num)/Window tokens; floor(Burst − x) = Burst − ceil(x).
	used := mul(uint64(ns), uint64(g.limit)).add64(uint64(num)).ceilDiv(uint64(g.window))
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
	g.tat = g.after(g.from(t), clampCost(cost))
	if g.tat.ns < t {
		g.tat = stamp{t, 0}
	}
}

// Peek returns the decision a zero-cost request would get at now, on a copy of the state.
func (g *gcra) Peek(now time.Time) Decision {
	c := *g
	return c.Allow(now, 0)
}
