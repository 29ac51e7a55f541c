package ratelimit

import (
	"errors"
	"strconv"
)

// This file is a small, allocation-free (except when a quoted string holds escapes) parser for
// the RFC 9651 Structured Field Lists and Dictionaries the IETF RateLimit drafts use. It keeps
// the values of bare items and of up to sfMaxParams parameters per member; inner lists are
// checked for syntax and then skipped (no RateLimit field uses them).

// sfKind is the type of a structured-field bare item.
type sfKind uint8

const (
	sfNone sfKind = iota
	sfInteger
	sfDecimal
	sfString
	sfToken
	sfBytes
	sfBoolean
	sfDate
	sfDisplayString
	sfInnerList
)

// sfBare is one bare item. num holds an Integer, a Date's seconds or a Boolean (0/1); dec a
// Decimal; str a String (unescaped), a Token, a Byte Sequence's base64 text or a Display
// String's percent-encoded text.
type sfBare struct {
	kind sfKind
	num  int64
	dec  float64
	str  string
}

// sfParam is one parameter of a member.
type sfParam struct {
	key string
	val sfBare
}

// sfMaxParams is how many parameters a member keeps; later distinct keys are parsed and dropped.
const sfMaxParams = 16

// sfMember is one list member or dictionary member with its parameters.
type sfMember struct {
	key     string // dictionary key ("" in a list)
	val     sfBare
	params  [sfMaxParams]sfParam
	nparams int
}

// reset empties m without clearing its parameter array (only the first nparams are read).
func (m *sfMember) reset() {
	m.key, m.val, m.nparams = "", sfBare{}, 0
}

// param returns the parameter called key.
func (m *sfMember) param(key string) (sfBare, bool) {
	for i := 0; i < m.nparams; i++ {
		if m.params[i].key == key {
			return m.params[i].val, true
		}
	}
	return sfBare{}, false
}

// optInt reads an optional integer parameter of at least lo. Absent, it gives false; present
// but not such an integer, it counts one malformed field in *bad and gives false.
func (m *sfMember) optInt(key string, lo int64, bad *int) (int64, bool) {
	v, ok := m.param(key)
	if !ok {
		return 0, false
	}
	if v.kind != sfInteger || v.num < lo {
		*bad++
		return 0, false
	}
	return v.num, true
}

// setParam stores a parameter; a repeated key overwrites the earlier value (RFC 9651 §4.2.3.2).
func (m *sfMember) setParam(key string, v sfBare) {
	for i := 0; i < m.nparams; i++ {
		if m.params[i].key == key {
			m.params[i].val = v
			return
		}
	}
	if m.nparams < sfMaxParams {
		m.params[m.nparams] = sfParam{key: key, val: v}
		m.nparams++
	}
}

// errSFSyntax reports a structured field that does not follow RFC 9651; such a field is ignored
// as a whole.
var errSFSyntax = errors.New("structured field: syntax error")

// sfMaxInteger is the largest magnitude of an RFC 9651 Integer.
const sfMaxInteger = 999_999_999_999_999

// sfParser walks the members of one field line. For a field split across several lines, run
// one parser per line: joining the lines with commas gives the same members.
type sfParser struct {
	s    string
	i    int
	dict bool // parse Dictionary members (key[=item]) instead of List members
	// started is set once the first member has been read, so that the next one requires a comma.
	started bool
}

// next reads the next member into m. It returns false, nil at the end of the line and
// false, errSFSyntax when the line is malformed.
func (p *sfParser) next(m *sfMember) (bool, error) {
	m.reset()
	if !p.started {
		p.skipSP()
		if p.i >= len(p.s) {
			return false, nil
		}
	} else {
		p.skipOWS()
		if p.i >= len(p.s) {
			return false, nil
		}
		if p.s[p.i] != ',' {
			return false, errSFSyntax
		}
		p.i++
		p.skipOWS()
		if p.i >= len(p.s) {
			return false, errSFSyntax // trailing comma
		}
	}
	p.started = true
	if p.dict {
		key, ok := p.key()
		if !ok {
			return false, errSFSyntax
		}
		m.key = key
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.i++
			if !p.itemOrInnerList(m) {
				return false, errSFSyntax
			}
			return true, nil
		}
		m.val = sfBare{kind: sfBoolean, num: 1}
		if !p.params(m) {
			return false, errSFSyntax
		}
		return true, nil
	}
	if !p.itemOrInnerList(m) {
		return false, errSFSyntax
	}
	return true, nil
}

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// itemOrInnerList reads an Item (bare item and parameters) or an Inner List into m.
func (p *sfParser) itemOrInnerList(m *sfMember) bool {
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		var inner sfMember
		for {
			p.skipSP()
			if p.i >= len(p.s) {
				return false
			}
			if p.s[p.i] == ')' {
				p.i++
				break
			}
			inner.reset()
			if !p.bare(&inner.val) || !p.params(&inner) {
				return false
			}
			if p.i >= len(p.s) || (p.s[p.i] != ' ' && p.s[p.i] != ')') {
				return false
			}
		}
		m.val = sfBare{kind: sfInnerList}
		return p.params(m)
	}
	return p.bare(&m.val) && p.params(m)
}

// params reads *( ";" *SP key [ "=" bare-item ] ) into m.
func (p *sfParser) params(m *sfMember) bool {
	for p.i < len(p.s) && p.s[p.i] == ';' {
		p.i++
		p.skipSP()
		key, ok := p.key()
		if !ok {
			return false
		}
		v := sfBare{kind: sfBoolean, num: 1}
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.i++
			if !p.bare(&v) {
				return false
			}
		}
		m.setParam(key, v)
	}
	return true
}

// key reads key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ).
func (p *sfParser) key() (string, bool) {
	start := p.i
	if p.i >= len(p.s) {
		return "", false
	}
	if c := p.s[p.i]; !(c >= 'a' && c <= 'z') && c != '*' {
		return "", false
	}
	p.i++
	for p.i < len(p.s) {
		c := p.s[p.i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i], true
}

// bare reads one bare item.
func (p *sfParser) bare(v *sfBare) bool {
	if p.i >= len(p.s) {
		return false
	}
	switch c := p.s[p.i]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(v)
	case c == '"':
		return p.str(v)
	case c == '*' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		return p.token(v)
	case c == ':':
		return p.bytes(v)
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			*v = sfBare{kind: sfBoolean, num: int64(p.s[p.i+1] - '0')}
			p.i += 2
			return true
		}
		return false
	case c == '@':
		p.i++
		if !p.number(v) || v.kind != sfInteger {
			return false
		}
		v.kind = sfDate
		return true
	case c == '%':
		return p.displayString(v)
	}
	return false
}

// number reads an Integer (up to 15 digits) or a Decimal (up to 12 integer and 3 fraction digits).
func (p *sfParser) number(v *sfBare) bool {
	start := p.i
	neg := false
	if p.i >= len(p.s) {
		return false
	}
	if p.s[p.i] == '-' {
		neg = true
		p.i++
	}
	if p.i >= len(p.s) || p.s[p.i] < '0' || p.s[p.i] > '9' {
		return false
	}
	var ip int64
	idigits, fdigits := 0, 0
	decimal := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c >= '0' && c <= '9':
			if decimal {
				fdigits++
				if fdigits > 3 {
					return false
				}
			} else {
				ip = ip*10 + int64(c-'0')
				idigits++
				if idigits > 15 {
					return false
				}
			}
			p.i++
			continue
		case c == '.' && !decimal:
			if idigits > 12 {
				return false
			}
			decimal = true
			p.i++
			continue
		}
		break
	}
	if decimal {
		if fdigits == 0 {
			return false
		}
		// ParseFloat rounds the ≤ 15 significant digits correctly (and does not allocate on
		// success), so the shortest formatting of the result gives the same digits back.
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			return false
		}
		*v = sfBare{kind: sfDecimal, dec: f}
		return true
	}
	if neg {
		ip = -ip
	}
	*v = sfBare{kind: sfInteger, num: ip}
	return true
}

// str reads a String; the result aliases the input unless it contains escapes.
func (p *sfParser) str(v *sfBare) bool {
	p.i++ // opening quote
	start := p.i
	escaped := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\':
			if p.i+1 >= len(p.s) || (p.s[p.i+1] != '"' && p.s[p.i+1] != '\\') {
				return false
			}
			escaped = true
			p.i += 2
			continue
		case c == '"':
			raw := p.s[start:p.i]
			p.i++
			if escaped {
				raw = unescapeSFString(raw)
			}
			*v = sfBare{kind: sfString, str: raw}
			return true
		case c < 0x20 || c > 0x7e:
			return false
		}
		p.i++
	}
	return false
}

// unescapeSFString removes the backslashes of a String's escapes (already validated).
func unescapeSFString(raw string) string {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' {
			i++
		}
		b = append(b, raw[i])
	}
	return string(b)
}

// token reads a Token: ( ALPHA / "*" ) *( tchar / ":" / "/" ).
func (p *sfParser) token(v *sfBare) bool {
	start := p.i
	p.i++
	for p.i < len(p.s) && (isTChar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
		p.i++
	}
	*v = sfBare{kind: sfToken, str: p.s[start:p.i]}
	return true
}

// isTChar reports whether c is an RFC 9110 tchar.
func isTChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// bytes reads a Byte Sequence ":base64:" and keeps the base64 text.
func (p *sfParser) bytes(v *sfBare) bool {
	p.i++
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ':':
			*v = sfBare{kind: sfBytes, str: p.s[start:p.i]}
			p.i++
			return true
		case (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=':
			p.i++
		default:
			return false
		}
	}
	return false
}

// displayString reads a Display String %"…" with lower-case %xx escapes and keeps the escaped
// text (no RateLimit field uses one; the UTF-8 validity of the decoded bytes is not checked).
func (p *sfParser) displayString(v *sfBare) bool {
	if p.i+1 >= len(p.s) || p.s[p.i+1] != '"' {
		return false
	}
	p.i += 2
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '%':
			if p.i+2 >= len(p.s) || !isLowerHex(p.s[p.i+1]) || !isLowerHex(p.s[p.i+2]) {
				return false
			}
			p.i += 3
			continue
		case c == '"':
			*v = sfBare{kind: sfDisplayString, str: p.s[start:p.i]}
			p.i++
			return true
		case c < 0x20 || c > 0x7e:
			return false
		}
		p.i++
	}
	return false
}

func isLowerHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }
