package discover

import (
	"fmt"
	"math"
)

// DefaultCostCap is the multiple of the goal budget (two windows' worth of requests and three
// windows of time) at which discovery stops with the interval it has, when Options.CostCap is
// 0. Issue 13 asks that no discovery cost more than five times the goal; the cap stops at four
// so that the step under way when it is reached stays within five.
const DefaultCostCap = 4

// goalRequests is the cost discovery aims to stay within: two windows' worth of requests,
// a window being the burst the last analysis found (a bucket's capacity, a window's quota).
func (f *finder) goalRequests() float64 {
	if f.window <= 0 {
		return math.Inf(1)
	}
	return 2 * f.window
}

// goalSeconds is the time discovery aims to stay within: three windows, a window being the
// last analysis's (a bucket's: the time to refill its capacity).
func (f *finder) goalSeconds() float64 {
	if f.windowS <= 0 {
		return math.Inf(1)
	}
	return 3 * f.windowS
}

// costCap is Options.CostCap with its default; +Inf when the user turned it off.
func (f *finder) costCap() float64 {
	switch c := f.o.CostCap; {
	case c < 0:
		return math.Inf(1)
	case c == 0:
		return DefaultCostCap
	default:
		return c
	}
}

// overCostCap reports whether discovery has spent its cost cap (in requests or time) against
// the goal that the last analysis's window sets.
func (f *finder) overCostCap() bool {
	c := f.costCap()
	return float64(f.sent()) >= c*f.goalRequests() || f.r.Elapsed().Seconds() >= c*f.goalSeconds()
}

// costCapWords says what the cap is in the target's terms, for the stop reason.
func (f *finder) costCapWords() string {
	return fmt.Sprintf("%g× two windows' worth of requests (%.0f) or three windows of time (%.1f s)",
		f.costCap(), f.costCap()*f.goalRequests(), f.costCap()*f.goalSeconds())
}

// capStop ends discovery at the cost cap, saying so.
func (f *finder) capStop() {
	f.done = "discovery's cost cap is reached (" + f.costCapWords() + "): the interval is wider than the target precision"
}
