package jsonscan

import (
	"math"
	"strconv"
)

// digits returns the index after the run of decimal digits that starts at b[i].
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// Number reads a number and returns its text.
func (s *Scanner) Number() ([]byte, bool) {
	if s.err != "" {
		return nil, false
	}
	s.ws()
	start := s.i
	b := s.b
	i := s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return nil, s.Fail("Expecting value", start)
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		i = digits(b, i)
		if i == d {
			return nil, s.Fail("Expecting digit after '.'", i)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		i = digits(b, i)
		if i == d {
			return nil, s.Fail("Expecting digit in exponent", i)
		}
	}
	s.i = i
	return b[start:i], true
}

// Literal reads true, false or null.
func (s *Scanner) Literal() ([]byte, bool) {
	if s.err != "" {
		return nil, false
	}
	s.ws()
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return s.b[s.i-len(lit) : s.i], true
		}
	}
	return nil, s.Fail("Expecting value", s.i)
}

// Int reads a number's text as an integer literal that fits an int64 (no fraction, no
// exponent: 16, -3); false for any other text.
func Int(text []byte) (int64, bool) {
	neg := len(text) > 0 && text[0] == '-'
	if neg {
		text = text[1:]
	}
	if len(text) == 0 || len(text) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range text {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	case neg && u <= 1<<63:
		return -int64(u), true
	}
	return 0, false
}

// WholeNumber reads a number's text as an integer value: an integer literal, or any number
// without a fractional part that fits an int64 (16.0, 1e3).
func WholeNumber(text []byte) (int64, bool) {
	if v, ok := Int(text); ok {
		return v, true
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}
