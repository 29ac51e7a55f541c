package record

import (
	"math"
	"strconv"
)

// pow10 are the powers of ten AppendRounded's integer path divides by.
var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// AppendRounded appends f rounded to prec decimals in its shortest form, without exponent or
// trailing zeros: the bytes of strconv.AppendFloat(buf, math.Round(f*10^prec)/10^prec, 'f',
// -1, 64), the form of every number in attempts.jsonl and attempts.csv. A rounded value of
// at most 15 significant digits is written from its integer count of 10^-prec, which is that
// shortest form (15-digit decimals are told apart by float64) at a fraction of the cost;
// others go through strconv. f must not be NaN or ±Inf.
func AppendRounded(buf []byte, f float64, prec int) []byte {
	p := math.Pow10(prec)
	r := math.Round(f * p)
	if prec < 0 || prec >= len(pow10) || !(math.Abs(r) < 1e15) {
		return strconv.AppendFloat(buf, r/p, 'f', -1, 64)
	}
	n := int64(r)
	if n < 0 || (n == 0 && math.Signbit(r)) {
		buf = append(buf, '-')
		n = -n
	}
	unit := pow10[prec]
	buf = strconv.AppendInt(buf, n/unit, 10)
	frac := n % unit
	if frac == 0 {
		return buf
	}
	for frac%10 == 0 {
		frac /= 10
		prec--
	}
	var digits [15]byte
	for i := prec - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	buf = append(buf, '.')
	return append(buf, digits[:prec]...)
}
