package redislimit

import (
	"math"
	"math/bits"
)

// Exact arithmetic for the header values, as package limiter does it (its helpers are not
// exported): products through 128 bits, magnitudes saturating instead of wrapping.

const (
	maxInt = math.MaxInt64
	// unset marks an instant not yet seen.
	unset = math.MinInt64
	// maxDebt is package limiter's bound on debts and pushed instants, in its units.
	maxDebt = 1 << 62
)

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

// mul returns a·b.
func mul(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

// add64 returns x+y.
func (x u128) add64(y uint64) u128 {
	lo, carry := bits.Add64(x.lo, y, 0)
	return u128{x.hi + carry, lo}
}

// sub64 returns x−y; it requires y <= x.
func (x u128) sub64(y uint64) u128 {
	lo, borrow := bits.Sub64(x.lo, y, 0)
	return u128{x.hi - borrow, lo}
}

// shl1 returns 2·x.
func (x u128) shl1() u128 {
	return u128{x.hi<<1 | x.lo>>63, x.lo << 1}
}

// less reports whether x < y.
func (x u128) less(y u128) bool {
	return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo
}

// divmod returns floor(x/d) and the remainder; ok is false when the quotient exceeds maxInt.
func (x u128) divmod(d uint64) (q, r uint64, ok bool) {
	if x.hi >= d {
		return 0, 0, false
	}
	q, r = bits.Div64(x.hi, x.lo, d)
	return q, r, q <= maxInt
}

// ceilDiv returns ceil(x/d), saturated at maxInt.
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

// addSat returns a+b clamped to [−maxDebt, maxDebt].
func addSat(a, b int64) int64 {
	s := a + b
	if a > 0 && b > 0 && s < 0 || s > maxDebt {
		return maxDebt
	}
	if a < 0 && b < 0 && s >= 0 || s < -maxDebt {
		return -maxDebt
	}
	return s
}
