package mockserver

import (
	"encoding/binary"
	"math/bits"
	"strconv"
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

// maxJSONDepth bounds the nesting of a request body, so a body of 32 MB of '[' cannot exhaust
// the stack.
const maxJSONDepth = 512

// scanner is a small validating JSON reader over a request body. It reads exactly the grammar of
// RFC 8259, stops at the first syntax error (kept in err with its byte offset), and never
// allocates on the success path. Request parsing walks it member by member; values it does not
// need are skipped with full validation, so a body is either wholly valid JSON or refused.
type scanner struct {
	b     []byte
	i     int
	depth int
	err   string // first syntax error; "" while the input is valid
	errAt int
}

func (s *scanner) fail(msg string, at int) bool {
	if s.err == "" {
		s.err, s.errAt = msg, at
	}
	return false
}

func (s *scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return // the usual case: no white space
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// end checks that nothing but white space follows the top-level value.
func (s *scanner) end() bool {
	if s.err != "" {
		return false
	}
	s.ws()
	if s.i != len(s.b) {
		return s.fail("Extra data", s.i)
	}
	return true
}

func (s *scanner) enter() bool {
	s.depth++
	if s.depth > maxJSONDepth {
		return s.fail("Maximum nesting depth exceeded", s.i)
	}
	return true
}

// beginObject consumes '{'.
func (s *scanner) beginObject() bool {
	if s.err != "" {
		return false
	}
	if s.peek() != '{' {
		return s.fail("Expecting '{'", s.i)
	}
	s.i++
	return s.enter()
}

// nextMember advances to the next member of the object being read and returns its key (raw,
// still escaped), or ok=false at the closing brace or on error. first must start true.
func (s *scanner) nextMember(first *bool) (key []byte, ok bool) {
	if s.err != "" {
		return nil, false
	}
	c := s.peek()
	if c == '}' && *first {
		s.i++
		s.depth--
		return nil, false
	}
	if !*first {
		if c == '}' {
			s.i++
			s.depth--
			return nil, false
		}
		if c != ',' {
			return nil, s.fail("Expecting ',' delimiter", s.i)
		}
		s.i++
		c = s.peek()
	}
	if c != '"' {
		return nil, s.fail("Expecting property name enclosed in double quotes", s.i)
	}
	key, _, ok = s.strAt()
	if !ok {
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == ':' { // the usual case: no white space before the colon
		s.i++
	} else {
		if s.peek() != ':' {
			return nil, s.fail("Expecting ':' delimiter", s.i)
		}
		s.i++
	}
	s.ws()
	*first = false
	return key, true
}

// beginArray consumes '['.
func (s *scanner) beginArray() bool {
	if s.err != "" {
		return false
	}
	if s.peek() != '[' {
		return s.fail("Expecting '['", s.i)
	}
	s.i++
	return s.enter()
}

// nextElem advances to the next element of the array being read; false at the closing bracket
// or on error. first must start true.
func (s *scanner) nextElem(first *bool) bool {
	if s.err != "" {
		return false
	}
	c := s.peek()
	if c == ']' && *first {
		s.i++
		s.depth--
		return false
	}
	if !*first {
		if c == ']' {
			s.i++
			s.depth--
			return false
		}
		if c != ',' {
			return s.fail("Expecting ',' delimiter", s.i)
		}
		s.i++
		if s.peek() == ']' {
			return s.fail("Expecting value", s.i)
		}
	}
	*first = false
	return true
}

// str reads a string at the cursor. raw is its content between the quotes, still escaped (and so
// safe to copy into JSON output); n is its length in bytes once unescaped.
func (s *scanner) str() (raw []byte, n int, ok bool) {
	if s.err != "" {
		return nil, 0, false
	}
	if s.peek() != '"' {
		return nil, 0, s.fail("Expecting string", s.i)
	}
	return s.strAt()
}

// strAt is str for a cursor known to be on the opening quote, with no error recorded: the
// caller has just peeked '"'.
func (s *scanner) strAt() (raw []byte, n int, ok bool) {
	b := s.b
	start := s.i
	i := start + 1
	for {
		run := i
		i = plainRun(b, i)
		n += i - run
		if i == len(b) {
			return nil, 0, s.fail("Unterminated string starting at", start)
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
			return nil, 0, s.fail("Invalid control character at", i)
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
func (s *scanner) escape() (int, bool) {
	at := s.i
	if s.i+1 >= len(s.b) {
		return 0, s.fail("Unterminated string starting at", at)
	}
	switch s.b[s.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i += 2
		return 1, true
	case 'u':
	default:
		return 0, s.fail("Invalid \\escape", at)
	}
	r, ok := s.hex4(s.i + 2)
	if !ok {
		return 0, s.fail("Invalid \\uXXXX escape", at)
	}
	s.i += 6
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, s.fail("lone low surrogate in string", at)
	case r >= 0xD800 && r <= 0xDBFF:
		if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
			if lo, ok := s.hex4(s.i + 2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				s.i += 6
				return 4, true
			}
		}
		return 0, s.fail("no low surrogate in string", at)
	}
	return utf8.RuneLen(r), true
}

func (s *scanner) hex4(at int) (rune, bool) {
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

// number reads a number and returns its text.
func (s *scanner) number() ([]byte, bool) {
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
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, s.fail("Expecting value", start)
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, s.fail("Expecting digit after '.'", i)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, s.fail("Expecting digit in exponent", i)
		}
	}
	s.i = i
	return b[start:i], true
}

// literal reads true, false or null.
func (s *scanner) literal() ([]byte, bool) {
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
	return nil, s.fail("Expecting value", s.i)
}

// skip reads and discards one value of any type.
func (s *scanner) skip() bool {
	switch s.peek() {
	case '{':
		if !s.beginObject() {
			return false
		}
		for first := true; ; {
			if _, ok := s.nextMember(&first); !ok {
				break
			}
			if !s.skip() {
				return false
			}
		}
	case '[':
		if !s.beginArray() {
			return false
		}
		for first := true; s.nextElem(&first); {
			if !s.skip() {
				return false
			}
		}
	case '"':
		s.str()
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s.number()
	default:
		s.literal()
	}
	return s.err == ""
}

// kind names the JSON type of the value at the cursor, as the error messages say it.
func (s *scanner) kind() string {
	switch s.peek() {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// errorPosition renders a syntax error's offset as "line L column C (char P)", as Python's json
// module does (lines and columns from 1, char from 0).
func (s *scanner) errorPosition() string {
	at := min(s.errAt, len(s.b))
	line, col := 1, 1
	for _, c := range s.b[:at] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return "line " + strconv.Itoa(line) + " column " + strconv.Itoa(col) + " (char " + strconv.Itoa(at) + ")"
}

// parseInt reads an integer value: a JSON number without a fractional part (16 or 16.0).
func parseInt(text []byte) (int64, bool) {
	if len(text) > 0 && len(text) < 19 {
		v := int64(0)
		digits := true
		for _, c := range text {
			if c < '0' || c > '9' {
				digits = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if digits {
			return v, true
		}
	}
	if v, err := strconv.ParseInt(string(text), 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}
