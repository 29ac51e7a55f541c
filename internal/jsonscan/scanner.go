// Package jsonscan is a small validating JSON reader over a byte slice that never allocates on
// the success path: the mock parses request bodies with it and the attempt log's fast decoder
// reads attempts.jsonl with it. It reads exactly the grammar of RFC 8259, stops at the first
// syntax error (kept with its byte offset, worded as Python's json module words it), and lets
// its caller walk an object member by member, skipping with full validation what it does not
// need. It imports nothing of the project.
package jsonscan

import (
	"iter"
	"strconv"
)

// MaxDepth bounds the nesting of a request body, so a body of 32 MB of '[' cannot exhaust
// the stack.
const MaxDepth = 512

// Scanner is a small validating JSON reader over a request body. It reads exactly the grammar of
// RFC 8259, stops at the first syntax error (kept in err with its byte offset), and never
// allocates on the success path. Request parsing walks it member by member; values it does not
// need are skipped with full validation, so a body is either wholly valid JSON or refused.
type Scanner struct {
	b     []byte
	i     int
	depth int
	err   string // first syntax error; "" while the input is valid
	errAt int
}

// Reset points the scanner at the start of b, with no error.
func (s *Scanner) Reset(b []byte) { *s = Scanner{b: b} }

// Err returns the first syntax error and its byte offset; "" while the input is valid.
func (s *Scanner) Err() (msg string, at int) { return s.err, s.errAt }

// Failed reports whether a syntax error was recorded.
func (s *Scanner) Failed() bool { return s.err != "" }

// Pos returns the cursor's byte offset.
func (s *Scanner) Pos() int { return s.i }

// Fail records a syntax error msg at byte offset at, unless one is recorded already; it returns
// false, for the caller to return.
func (s *Scanner) Fail(msg string, at int) bool {
	if s.err == "" {
		s.err, s.errAt = msg, at
	}
	return false
}

func (s *Scanner) ws() {
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

// Peek returns the next non-space byte without consuming it, 0 at the end.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// End checks that nothing but white space follows the top-level value.
func (s *Scanner) End() bool {
	if s.err != "" {
		return false
	}
	s.ws()
	if s.i != len(s.b) {
		return s.Fail("Extra data", s.i)
	}
	return true
}

func (s *Scanner) enter() bool {
	s.depth++
	if s.depth > MaxDepth {
		return s.Fail("Maximum nesting depth exceeded", s.i)
	}
	return true
}

// BeginObject consumes '{'.
func (s *Scanner) BeginObject() bool { return s.begin('{', "Expecting '{'") }

// NextMember advances to the next member of the object being read and returns its key (raw,
// still escaped), or ok=false at the closing brace or on error. first must start true.
func (s *Scanner) NextMember(first *bool) (key []byte, ok bool) {
	if s.err != "" {
		return nil, false
	}
	c := s.Peek()
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
			return nil, s.Fail("Expecting ',' delimiter", s.i)
		}
		s.i++
		c = s.Peek()
	}
	if c != '"' {
		return nil, s.Fail("Expecting property name enclosed in double quotes", s.i)
	}
	key, _, ok = s.strAt()
	if !ok {
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == ':' { // the usual case: no white space before the colon
		s.i++
	} else {
		if s.Peek() != ':' {
			return nil, s.Fail("Expecting ':' delimiter", s.i)
		}
		s.i++
	}
	s.ws()
	*first = false
	return key, true
}

// Members consumes '{' and ranges over the object's members, yielding each key (raw, still
// escaped) with the scanner at its value, which the loop body must read or Skip. It ends at the
// closing brace or at the first syntax error; a loop left early leaves the object unfinished.
func (s *Scanner) Members() iter.Seq[[]byte] {
	return func(yield func(key []byte) bool) {
		s.BeginObject()
		for first := true; ; {
			key, ok := s.NextMember(&first)
			if !ok || !yield(key) {
				return
			}
		}
	}
}

// BeginArray consumes '['.
func (s *Scanner) BeginArray() bool { return s.begin('[', "Expecting '['") }

// begin consumes open ('{' or '['), failing with msg when the next byte is another.
func (s *Scanner) begin(open byte, msg string) bool {
	if s.err != "" {
		return false
	}
	if s.Peek() != open {
		return s.Fail(msg, s.i)
	}
	s.i++
	return s.enter()
}

// NextElem advances to the next element of the array being read; false at the closing bracket
// or on error. first must start true.
func (s *Scanner) NextElem(first *bool) bool {
	if s.err != "" {
		return false
	}
	c := s.Peek()
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
			return s.Fail("Expecting ',' delimiter", s.i)
		}
		s.i++
		if s.Peek() == ']' {
			return s.Fail("Expecting value", s.i)
		}
	}
	*first = false
	return true
}

// Skip reads and discards one value of any type.
func (s *Scanner) Skip() bool {
	switch s.Peek() {
	case '{':
		if !s.BeginObject() {
			return false
		}
		for first := true; ; {
			if _, ok := s.NextMember(&first); !ok {
				break
			}
			if !s.Skip() {
				return false
			}
		}
	case '[':
		if !s.BeginArray() {
			return false
		}
		for first := true; s.NextElem(&first); {
			if !s.Skip() {
				return false
			}
		}
	case '"':
		s.Str()
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s.Number()
	default:
		s.Literal()
	}
	return s.err == ""
}

// Kind names the JSON type of the value at the cursor, as the error messages say it.
func (s *Scanner) Kind() string {
	switch s.Peek() {
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

// ErrorPosition renders a syntax error's offset as "line L column C (char P)", as Python's json
// module does (lines and columns from 1, char from 0).
func (s *Scanner) ErrorPosition() string {
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

// Null consumes a null literal when one is next, and reports whether it did.
func (s *Scanner) Null() bool {
	if s.err == "" && s.Peek() == 'n' && len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// Bool reads true or false; ok is false for null too (consumed, with no error recorded).
func (s *Scanner) Bool() (v, ok bool) {
	lit, ok := s.Literal()
	return ok && lit[0] == 't', ok && lit[0] != 'n'
}
