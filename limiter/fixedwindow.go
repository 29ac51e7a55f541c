package limiter

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// fixedWindow counts units in fixed windows; a request of cost c passes iff count + c <= Limit,
// and up to 2·Limit can pass across a boundary. Where the windows lie is Config.Start:
//
//   - StartClock (the default): windows [k·Window, (k+1)·Window) aligned to the Unix epoch, so
//     two runs (or a mock and the simulator) agree on the boundaries.
//   - StartFirstRequest: a window is opened by the first request after the previous one ended
//     and runs for Window, as in-memory limiters keyed by client often count. Under steady
//     traffic the windows follow each other one Window apart; a gap in the traffic stretches
//     the period between window starts, so the boundaries are not on a lattice.
//
// Headers: Limit = Limit; Remaining = Limit − count; Reset = window end − now (always > 0; with
// StartFirstRequest a request now would open a window, so Window when none is open);
// RetryAfter = window end − now, when the count starts again from zero.
type fixedWindow struct {
	cfg          Config
	limit        int64
	window       int64
	firstRequest bool  // Start == StartFirstRequest
	start        int64 // current window's start; unset before the first call
	count        int64 // units counted in the current window, may exceed limit after Charge
	clock
}

func newFixedWindow(c Config) *fixedWindow {
	return &fixedWindow{cfg: c, limit: c.Limit, window: int64(c.Window), firstRequest: c.Start == StartFirstRequest,
		start: unset, clock: clock{last: unset}}
}

// Config returns the limiter's configuration with defaults filled in.
func (f *fixedWindow) Config() Config { return f.cfg }

// advance moves to the window holding now (or the last instant seen), zeroing the count when a
// new window starts (with StartFirstRequest: opening one at the instant when none is open), and
// returns the instant.
func (f *fixedWindow) advance(now time.Time) int64 {
	t := f.observe(now)
	if f.firstRequest {
		if f.start == unset || t-f.start >= f.window {
			f.start, f.count = t, 0
		}
	} else if s := alignDown(t, f.window); s != f.start {
		f.start, f.count = s, 0
	}
	return t
}

// Allow admits a request iff count + cost <= Limit.
func (f *fixedWindow) Allow(now time.Time, cost int64) Decision {
	t := f.advance(now)
	cost = max(clampCost(cost), 0)
	reset := time.Duration(f.start + f.window - t)
	if cost <= f.limit-f.count {
		f.count += cost
		return Decision{Allowed: true, Limit: f.limit, Remaining: f.limit - f.count, Reset: reset}
	}
	// Whether or not cost <= Limit, the window's end is the answer: the count restarts there
	// (and a cost above Limit never passes, the window's end being when the quota is full).
	return Decision{Limit: f.limit, Remaining: max(f.limit-f.count, 0), Reset: reset, RetryAfter: reset}
}

// Charge counts cost units in the current window unchecked (opening one when none is open); a
// negative cost uncounts them, never below zero.
func (f *fixedWindow) Charge(now time.Time, cost int64) {
	f.advance(now)
	f.count = max(exact.AddSat(f.count, clampCost(cost)), 0)
}

// Peek returns the decision a zero-cost request would get at now, on a copy of the state.
func (f *fixedWindow) Peek(now time.Time) Decision {
	c := *f
	return c.Allow(now, 0)
}
