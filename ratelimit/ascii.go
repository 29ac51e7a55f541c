package ratelimit

import (
	"math"
	"strconv"
)

// trimOWS removes the optional whitespace (SP, HTAB) HTTP allows around a field value.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseCount reads a decimal integer count (limit, remaining, used) with an optional sign.
// It does not allocate, even on failure.
func parseCount(s string) (int64, bool) {
	s = trimOWS(s)
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseBareNumber reads a plain decimal number: an optional sign, digits, and at most one '.'
// with digits on at least one side. No exponents, no hex, no "NaN"/"Inf", so the result is
// always finite. It does not allocate, even on failure.
func parseBareNumber(s string) (float64, bool) {
	s = trimOWS(s)
	if len(s) == 0 || len(s) > 40 {
		return 0, false
	}
	body := s
	if body[0] == '-' || body[0] == '+' {
		body = body[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// digits reads a fixed-width run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// lowerASCII returns c lower-cased if it is an ASCII capital letter.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalFold reports whether s equals lower (which must be lower-case ASCII) ignoring ASCII case.
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != lower[i] {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s starts with lower (lower-case ASCII) ignoring ASCII case.
func hasPrefixFold(s, lower string) bool {
	return len(s) >= len(lower) && equalFold(s[:len(lower)], lower)
}

// cutPrefixFold returns the index of the first of prefixes (lower-case ASCII) that s starts
// with, ignoring ASCII case, and s without it; -1 and s when none does.
func cutPrefixFold(s string, prefixes ...string) (int, string) {
	for i, p := range prefixes {
		if hasPrefixFold(s, p) {
			return i, s[len(p):]
		}
	}
	return -1, s
}
