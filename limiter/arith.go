package limiter

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// Exact arithmetic.
//
// A rate is Limit units per Window nanoseconds, rarely a whole number of units per nanosecond or
// nanoseconds per unit (60 s / 7). Rounding it to a float would let decisions drift by a
// nanosecond or a billionth of a token, and then a request retried at now+RetryAfter could be
// denied again. So amounts are kept as mixed numbers (an integer part plus a numerator over a
// fixed denominator: Window for token amounts, Limit for instants) and every product goes
// through 128 bits (math/bits). Magnitudes saturate instead of wrapping.

// The arithmetic itself lives in internal/exact, shared with limiter/redislimit.
const (
	maxInt = exact.MaxInt
	// unset marks an instant not yet seen.
	unset = exact.Unset
	// maxDebt bounds how far below zero a bucket can be charged and how far past now an instant
	// can be pushed, so sums of two of them never overflow.
	maxDebt = exact.MaxDebt
)

// clampCost bounds a cost to ±maxDebt so that state arithmetic stays in range.
func clampCost(c int64) int64 {
	return min(max(c, -maxDebt), maxDebt)
}

// floorDiv returns floor(a/b) for b > 0, rounding toward minus infinity also for negative a.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// alignDown returns the start of the Window-long, Unix-epoch-aligned window holding t.
func alignDown(t, window int64) int64 {
	return floorDiv(t, window) * window
}

// clock tracks the last instant a limiter has seen, so time never runs backwards.
type clock struct {
	last int64 // Unix nanoseconds; unset before the first call
}

// observe returns now as Unix nanoseconds, or the last instant seen if now is earlier, and
// records it.
func (c *clock) observe(now time.Time) int64 {
	t := c.at(now)
	c.last = t
	return t
}

// drain returns the exact amount whole + frac/window (0 <= frac < window) less elapsed·limit/
// window, and 0 when that is all of it: a leaky bucket's backlog, or what a token bucket misses
// of being full, after elapsed nanoseconds at limit per window.
func drain(whole, frac uint64, elapsed, limit, window int64) (uint64, uint64) {
	if whole == 0 && frac == 0 {
		return 0, 0
	}
	// In units of 1/window: have = whole·window + frac, drained = elapsed·limit.
	have := exact.Mul(whole, uint64(window)).Add64(frac)
	drained := exact.Mul(uint64(elapsed), uint64(limit))
	if !drained.Less(have) {
		return 0, 0
	}
	q, r, _ := have.Sub(drained).DivMod(uint64(window)) // <= whole, fits
	return q, r
}

// at is observe without recording.
func (c *clock) at(now time.Time) int64 {
	// unset is the smallest int64, so nothing is earlier than it.
	return max(now.UnixNano(), c.last)
}
