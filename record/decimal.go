package record

import (
	"math"
	"strconv"
)

// maxRoundedPrec bounds the decimals AppendRounded writes from an integer count.
const maxRoundedPrec = 15

// AppendRounded appends f rounded to prec decimals in its shortest form, without exponent or
// trailing zeros: the bytes of strconv.AppendFloat(buf, math.Round(f*10^prec)/10^prec, 'f',
// -1, 64), the form of every number in attempts.jsonl and attempts.csv. A rounded value of
// at most 15 significant digits is written from its integer count of 10^-prec, which is that
// shortest form (15-digit decimals are told apart by float64) at a fraction of the cost;
// others go through strconv. f must not be NaN or ±Inf.
func AppendRounded(buf []byte, f float64, prec int) []byte {
	p := math.Pow10(prec)
	r := math.Round(f * p)
	if prec < 0 || prec > maxRoundedPrec || !(math.Abs(r) < 1e15) {
		return strconv.AppendFloat(buf, r/p, 'f', -1, 64)
	}
	n := int64(r)
	if n < 0 || (n == 0 && math.Signbit(r)) {
		buf = append(buf, '-')
		n = -n
	}
	return appendFixed(buf, n, prec)
}
