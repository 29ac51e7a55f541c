package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// plainByte marks the bytes a JSON string holds as they are: not '"', '\\' or a control
// character.
var plainByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// specialBytes marks the bytes of x (eight string bytes, the first in the low byte) that end a
// run of plain bytes: '"', '\\' and control characters. Its lowest set bit is the high bit of the
// first such byte; bits above it may be set spuriously (a borrow runs on from a marked byte),
// which the caller never reads. With lo = 0x01 in every byte and hi = 0x80 in every byte, a byte
// of y is zero, or below n ≤ 0x80, where (y − n·lo) & ^y & hi has its high bit:
//
//	(x − 0x20·lo) & ^x & hi            bytes below 0x20
//	(q − lo) & ^q & hi, q = x ^ 0x22·lo   bytes equal to '"'
//	(e − lo) & ^e & hi, e = x ^ 0x5c·lo   bytes equal to '\\'
func specialBytes(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, e := x^(0x22*lo), x^(0x5c*lo)
	return ((x - 0x20*lo) &^ x & hi) | ((q - lo) &^ q & hi) | ((e - lo) &^ e & hi)
}

// Str reads a string at the cursor. raw is its content between the quotes, still escaped (and so
// safe to copy into JSON output); n is its length in bytes once unescaped.
func (s *Scanner) Str() (raw []byte, n int, ok bool) {
	if s.err != "" {
		return nil, 0, false
	}
	if s.Peek() != '"' {
		return nil, 0, s.Fail("Expecting string", s.i)
	}
	return s.strAt()
}

// strAt is Str for a cursor known to be on the opening quote, with no error recorded: the
// caller has just peeked '"'.
func (s *Scanner) strAt() (raw []byte, n int, ok bool) {
	b := s.b
	start := s.i
	i := start + 1
	for {
		run := i
		i = plainRun(b, i)
		n += i - run
		if i == len(b) {
			return nil, 0, s.Fail("Unterminated string starting at", start)
		}
		switch b[i] {
		case '"':
			s.i = i + 1
			return b[start+1 : i], n, true
		case '\\':
			s.i = i
			w, ok := s.escape()
			if !ok {
				return nil, 0, false
			}
			n += w
			i = s.i
		default:
			return nil, 0, s.Fail("Invalid control character at", i)
		}
	}
}

// plainRun returns the index of the first byte at or after i that is not plain (a quote, a
// backslash or a control character), len(b) when there is none: eight bytes at a time while
// eight are left.
func plainRun(b []byte, i int) int {
	for i+8 <= len(b) {
		if m := specialBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	return i
}

// escape reads the escape sequence at the cursor and returns its unescaped length in bytes.
func (s *Scanner) escape() (int, bool) {
	at := s.i
	if s.i+1 >= len(s.b) {
		return 0, s.Fail("Unterminated string starting at", at)
	}
	switch s.b[s.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i += 2
		return 1, true
	case 'u':
	default:
		return 0, s.Fail("Invalid \\escape", at)
	}
	r, ok := s.hex4(s.i + 2)
	if !ok {
		return 0, s.Fail("Invalid \\uXXXX escape", at)
	}
	s.i += 6
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, s.Fail("lone low surrogate in string", at)
	case r >= 0xD800 && r <= 0xDBFF:
		if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
			if lo, ok := s.hex4(s.i + 2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				s.i += 6
				return 4, true
			}
		}
		return 0, s.Fail("no low surrogate in string", at)
	}
	return utf8.RuneLen(r), true
}

func (s *Scanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
