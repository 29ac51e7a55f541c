package limiter

import "time"

// rollingWindow is a fixed window opened by the first request after the previous window ended
// (StartFirstRequest), as in-memory limiters keyed by client often count: the window runs from
// that request for Window, and a request of cost c passes iff count + c <= Limit. Under steady
// traffic the windows follow each other one Window apart; a gap in the traffic stretches the
// period between window starts, so the boundaries are not on a lattice.
//
// Headers: Limit = Limit; Remaining = Limit − count; Reset = window end − now (a request now
// would open a window, so Window when none is open); RetryAfter = window end − now.
type rollingWindow struct {
	cfg    Config
	limit  int64
	window int64
	start  int64 // current window's start; unset before the first call
	count  int64 // units counted in the current window, may exceed limit after Charge
	clock
}

func newRollingWindow(c Config) *rollingWindow {
	return &rollingWindow{cfg: c, limit: c.Limit, window: int64(c.Window), start: unset, clock: clock{last: unset}}
}

// Config returns the limiter's configuration with defaults filled in.
func (f *rollingWindow) Config() Config { return f.cfg }

// advance opens a window at now (or the last instant seen) when none is open, and returns the
// instant.
func (f *rollingWindow) advance(now time.Time) int64 {
	t := f.observe(now)
	if f.start == unset || t-f.start >= f.window {
		f.start, f.count = t, 0
	}
	return t
}

// Allow admits a request iff count + cost <= Limit.
func (f *rollingWindow) Allow(now time.Time, cost int64) Decision {
	t := f.advance(now)
	cost = max(clampCost(cost), 0)
	reset := time.Duration(f.start + f.window - t)
	if cost <= f.limit-f.count {
		f.count += cost
		return Decision{Allowed: true, Limit: f.limit, Remaining: f.limit - f.count, Reset: reset}
	}
	return Decision{Limit: f.limit, Remaining: max(f.limit-f.count, 0), Reset: reset, RetryAfter: reset}
}

// Charge counts cost units in the current window unchecked (opening one when none is open); a
// negative cost uncounts them, never below zero.
func (f *rollingWindow) Charge(now time.Time, cost int64) {
	f.advance(now)
	f.count = max(addSat(f.count, clampCost(cost)), 0)
}

// Peek returns the decision a zero-cost request would get at now, on a copy of the state.
func (f *rollingWindow) Peek(now time.Time) Decision {
	c := *f
	return c.Allow(now, 0)
}
