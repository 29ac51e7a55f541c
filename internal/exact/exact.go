// Package exact is integer arithmetic that neither rounds nor wraps: 128-bit products and
// quotients, sums that saturate, and instants kept as whole nanoseconds plus a fraction. The
// limiter algorithms decide with it, and limiter/redislimit recomputes their header values with
// it, so that both give the same answer to the nanosecond.
package exact

import (
	"math"
	"math/bits"
)

const (
	// MaxInt is the largest int64, where quotients saturate.
	MaxInt = math.MaxInt64
	// Unset marks an instant not yet seen: the smallest int64, earlier than any instant.
	Unset = math.MinInt64
	// MaxDebt bounds how far below zero a bucket can be charged and how far past now an instant
	// can be pushed, so sums of two of them never overflow.
	MaxDebt = 1 << 62
)

// U128 is an unsigned 128-bit integer, enough for any product of two int64 amounts.
type U128 struct{ Hi, Lo uint64 }

// Mul returns a·b.
func Mul(a, b uint64) U128 {
	hi, lo := bits.Mul64(a, b)
	return U128{hi, lo}
}

// Add64 returns x+y (the callers' sums stay far below 2^128).
func (x U128) Add64(y uint64) U128 {
	lo, carry := bits.Add64(x.Lo, y, 0)
	return U128{x.Hi + carry, lo}
}

// Shl1 returns 2·x (the callers' values stay below 2^127).
func (x U128) Shl1() U128 {
	return U128{x.Hi<<1 | x.Lo>>63, x.Lo << 1}
}

// Sub64 returns x−y; it requires y <= x.
func (x U128) Sub64(y uint64) U128 {
	lo, borrow := bits.Sub64(x.Lo, y, 0)
	return U128{x.Hi - borrow, lo}
}

// Sub returns x−y; it requires y <= x.
func (x U128) Sub(y U128) U128 {
	lo, borrow := bits.Sub64(x.Lo, y.Lo, 0)
	return U128{x.Hi - y.Hi - borrow, lo}
}

// Less reports whether x < y.
func (x U128) Less(y U128) bool {
	return x.Hi < y.Hi || x.Hi == y.Hi && x.Lo < y.Lo
}

// DivMod returns floor(x/d) and the remainder; ok is false when the quotient exceeds MaxInt.
// d must be > 0.
func (x U128) DivMod(d uint64) (q, r uint64, ok bool) {
	if x.Hi >= d {
		return 0, 0, false
	}
	q, r = bits.Div64(x.Hi, x.Lo, d)
	return q, r, q <= MaxInt
}

// CeilDiv returns ceil(x/d), saturated at MaxInt. d must be > 0.
func (x U128) CeilDiv(d uint64) int64 {
	q, r, ok := x.DivMod(d)
	if !ok {
		return MaxInt
	}
	if r != 0 {
		if q == MaxInt {
			return MaxInt
		}
		q++
	}
	return int64(q)
}

// MulDiv returns floor(a·b/d) and the remainder; ok is false when the quotient exceeds MaxInt.
func MulDiv(a, b, d uint64) (q, r uint64, ok bool) {
	return Mul(a, b).DivMod(d)
}

// AddSat returns a+b clamped to [-MaxDebt, MaxDebt], also when the int64 sum would overflow.
func AddSat(a, b int64) int64 {
	s := a + b
	// Overflow is possible only when a and b share a sign and s does not.
	if a > 0 && b > 0 && s < 0 || s > MaxDebt {
		return MaxDebt
	}
	if a < 0 && b < 0 && s >= 0 || s < -MaxDebt {
		return -MaxDebt
	}
	return s
}

// FirstFit returns the least x in (0, window) with count·(window − x) < bound, or false when
// x = 0 already satisfies it (or none in range does). With q, r = bound/count:
// window − x < q when r == 0, else window − x <= q. The sliding window counter finds with it
// the instant in a window at which the previous window's weighted share lets a request fit.
func FirstFit(bound U128, window, count uint64) (int64, bool) {
	q, r, ok := bound.DivMod(count)
	if !ok || q > window || (q == window && r != 0) {
		return 0, false
	}
	x := int64(window - q)
	if r == 0 {
		x++
	}
	if x <= 0 {
		return 0, false
	}
	return x, true
}

// Stamp is NS + Num/den nanoseconds, 0 <= Num < den, for a denominator den the caller keeps
// (GCRA's Limit: its emission interval is Window/Limit nanoseconds).
type Stamp struct{ NS, Num int64 }

// After returns s + n·window/den nanoseconds; n may be negative. The shift saturates at
// MaxDebt nanoseconds, and NS at ±MaxDebt.
func (s Stamp) After(n, window, den int64) Stamp {
	neg := n < 0
	if neg {
		n = -n
	}
	q, r, ok := MulDiv(uint64(n), uint64(window), uint64(den))
	if !ok || q > MaxDebt {
		q, r = MaxDebt, 0
	}
	if neg {
		s.NS, s.Num = AddSat(s.NS, -int64(q)), s.Num-int64(r)
		if s.Num < 0 {
			s.Num += den
			s.NS--
		}
		return s
	}
	s.NS, s.Num = AddSat(s.NS, int64(q)), s.Num+int64(r)
	if s.Num >= den {
		s.Num -= den
		s.NS++
	}
	return s
}

// LessEq reports whether s <= u.
func (s Stamp) LessEq(u Stamp) bool {
	return s.NS < u.NS || s.NS == u.NS && s.Num <= u.Num
}

// CeilSub returns s − u in whole nanoseconds, rounded up; den is the stamps' denominator.
func (s Stamp) CeilSub(u Stamp, den int64) int64 {
	ns, num := s.NS-u.NS, s.Num-u.Num
	if num < 0 {
		num += den
		ns--
	}
	if num > 0 {
		ns++
	}
	return ns
}
