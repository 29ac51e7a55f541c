package report

import (
	"math"
	"strconv"
	"strings"
)

// human formats x for prose and tables: three significant digits below 1,000 and whole numbers
// with thousands separators above, without trailing zeros ("0.0123", "41.2", "1.18", "8,000").
func human(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	ax := math.Abs(x)
	if ax >= 999.5 {
		return groupThousands(strconv.FormatFloat(math.Round(x), 'f', 0, 64))
	}
	if ax == 0 {
		return "0"
	}
	// Decimals so that three significant digits show: 41.23 → 1 decimal, 0.01234 → 4.
	dec := 2 - int(math.Floor(math.Log10(ax)))
	if dec < 0 {
		dec = 0
	}
	s := strconv.FormatFloat(x, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// count formats an integer with thousands separators.
func count(n int64) string { return groupThousands(strconv.FormatInt(n, 10)) }

func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if len(s) <= 3 {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	head := len(s) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(s[:head])
	for i := head; i < len(s); i += 3 {
		b.WriteByte(',')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// compact formats a count for a narrow terminal column: exact with separators below 100,000,
// else three significant digits with k or M ("123k", "1.23M").
func compact(n int64) string {
	switch a := math.Abs(float64(n)); {
	case a < 1e5:
		return count(n)
	case a < 999.5e3:
		return human(float64(n)/1e3) + "k"
	default:
		return human(float64(n)/1e6) + "M"
	}
}

// compactF is compact for figures that may have decimals ("49.8", "8,000", "1.23M").
func compactF(x float64) string {
	switch a := math.Abs(x); {
	case a < 1e5:
		return human(x)
	case a < 999.5e3:
		return human(x/1e3) + "k"
	default:
		return human(x/1e6) + "M"
	}
}

// span formats a duration for a narrow terminal column: seconds below 10,000 s, else hours.
func span(sec float64) string {
	if math.Abs(sec) >= 1e4 {
		return human(sec/3600) + " h"
	}
	return seconds(sec)
}

// seconds formats a duration in seconds for prose ("41.2 s").
func seconds(x float64) string { return human(x) + " s" }

// optHuman formats an optional figure, "—" when unknown.
func optHuman(p *float64) string {
	if p == nil {
		return "—"
	}
	return human(*p)
}

// round rounds x to dec decimals.
func round(x float64, dec int) float64 {
	p := math.Pow10(dec)
	return math.Round(x*p) / p
}

// roundSig rounds x to sig significant digits (0 stays 0).
func roundSig(x float64, sig int) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	dec := sig - 1 - int(math.Floor(math.Log10(math.Abs(x))))
	return round(x, dec)
}

// ptr returns a pointer to x.
func ptr(x float64) *float64 { return &x }

// plural returns "s" unless n is 1.
func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
