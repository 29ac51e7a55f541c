package limiter

import (
	"math"
	"math/bits"
	"time"
)

// Exact arithmetic.
//
// A rate is Limit units per Window nanoseconds, rarely a whole number of units per nanosecond or
// nanoseconds per unit (60 s / 7). Rounding it to a float would let decisions drift by a
// nanosecond or a billionth of a token, and then a request retried at now+RetryAfter could be
// denied again. So amounts are kept as mixed numbers (an integer part plus a numerator over a
// fixed denominator: Window for token amounts, Limit for instants) and every product goes
// through 128 bits (math/bits). Magnitudes saturate instead of wrapping.

const (
	maxInt = math.MaxInt64
	// unset marks an instant not yet seen.
	unset = math.MinInt64
	// maxDebt bounds how far below zero a bucket can be charged and how far past now an instant
	// can be pushed, so sums of two of them never overflow.
	maxDebt = 1 << 62
)

// u128 is an unsigned 128-bit integer, enough for any product of two int64 amounts.
type u128 struct{ hi, lo uint64 }

// mul returns a·b.
func mul(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

// add64 returns x+y (the callers' sums stay far below 2^128).
func (x u128) add64(y uint64) u128 {
	lo, carry := bits.Add64(x.lo, y, 0)
	return u128{x.hi + carry, lo}
}

// shl1 returns 2·x (the callers' values stay below 2^127).
func (x u128) shl1() u128 {
	return u128{x.hi<<1 | x.lo>>63, x.lo << 1}
}

// sub64 returns x−y; it requires y <= x.
func (x u128) sub64(y uint64) u128 {
	lo, borrow := bits.Sub64(x.lo, y, 0)
	return u128{x.hi - borrow, lo}
}

// sub returns x−y; it requires y <= x.
func (x u128) sub(y u128) u128 {
	lo, borrow := bits.Sub64(x.lo, y.lo, 0)
	return u128{x.hi - y.hi - borrow, lo}
}

// less reports whether x < y.
func (x u128) less(y u128) bool {
	return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo
}

// divmod returns floor(x/d) and the remainder; ok is false when the quotient exceeds maxInt.
// d must be > 0.
func (x u128) divmod(d uint64) (q, r uint64, ok bool) {
	if x.hi >= d {
		return 0, 0, false
	}
	q, r = bits.Div64(x.hi, x.lo, d)
	return q, r, q <= maxInt
}

// ceilDiv returns ceil(x/d), saturated at maxInt. d must be > 0.
func (x u128) ceilDiv(d uint64) int64 {
	q, r, ok := x.divmod(d)
	if !ok {
		return maxInt
	}
	if r != 0 {
		if q == maxInt {
			return maxInt
		}
		q++
	}
	return int64(q)
}

// mulDiv returns floor(a·b/d) and the remainder; ok is false when the quotient exceeds maxInt.
func mulDiv(a, b, d uint64) (q, r uint64, ok bool) {
	return mul(a, b).divmod(d)
}

// addSat returns a+b clamped to [-maxDebt, maxDebt], also when the int64 sum would overflow.
func addSat(a, b int64) int64 {
	s := a + b
	// Overflow is possible only when a and b share a sign and s does not.
	if a > 0 && b > 0 && s < 0 || s > maxDebt {
		return maxDebt
	}
	if a < 0 && b < 0 && s >= 0 || s < -maxDebt {
		return -maxDebt
	}
	return s
}

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

// at is observe without recording.
func (c *clock) at(now time.Time) int64 {
	// unset is the smallest int64, so nothing is earlier than it.
	return max(now.UnixNano(), c.last)
}
