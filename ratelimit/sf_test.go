package ratelimit

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serializeSF writes parsed members back in RFC 9651 canonical form (inner lists, whose content
// the parser skips, as "()"), for tests and the fuzz round trip.
func serializeSF(members []sfMember, dict bool) string {
	var b strings.Builder
	for i := range members {
		m := &members[i]
		if i > 0 {
			b.WriteString(", ")
		}
		if dict {
			b.WriteString(m.key)
			if m.val.kind != sfBoolean || m.val.num != 1 {
				b.WriteByte('=')
				writeSFBare(&b, m.val)
			}
		} else {
			writeSFBare(&b, m.val)
		}
		for j := 0; j < m.nparams; j++ {
			b.WriteByte(';')
			b.WriteString(m.params[j].key)
			if v := m.params[j].val; v.kind != sfBoolean || v.num != 1 {
				b.WriteByte('=')
				writeSFBare(&b, v)
			}
		}
	}
	return b.String()
}

func writeSFBare(b *strings.Builder, v sfBare) {
	switch v.kind {
	case sfInteger:
		b.WriteString(strconv.FormatInt(v.num, 10))
	case sfDecimal:
		s := strconv.FormatFloat(v.dec, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		b.WriteString(s)
	case sfString:
		b.WriteByte('"')
		for i := 0; i < len(v.str); i++ {
			if c := v.str[i]; c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v.str[i])
		}
		b.WriteByte('"')
	case sfToken:
		b.WriteString(v.str)
	case sfBytes:
		b.WriteString(":" + v.str + ":")
	case sfBoolean:
		b.WriteString("?" + strconv.FormatInt(v.num, 10))
	case sfDate:
		b.WriteString("@" + strconv.FormatInt(v.num, 10))
	case sfDisplayString:
		b.WriteString(`%"` + v.str + `"`)
	case sfInnerList:
		b.WriteString("()")
	}
}

// parseSFLines parses every line and returns all members, or ok=false on a syntax error.
func parseSFLines(lines []string, dict bool) ([]sfMember, bool) {
	var out []sfMember
	for _, line := range lines {
		p := sfParser{s: line, dict: dict}
		for {
			var m sfMember
			ok, err := p.next(&m)
			if err != nil {
				return nil, false
			}
			if !ok {
				break
			}
			out = append(out, m)
		}
	}
	return out, true
}

func TestSFParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		dict bool
		want string // canonical serialization; "" with ok=false for an error
		ok   bool
	}{
		{name: "draft policy", in: `"burst";q=100;w=60,"daily";q=1000;w=86400`, want: `"burst";q=100;w=60, "daily";q=1000;w=86400`, ok: true},
		{name: "draft ratelimit", in: `"default";r=50;t=30`, want: `"default";r=50;t=30`, ok: true},
		{name: "boolean params", in: `1;a;b=?0;c=?1`, want: `1;a;b=?0;c`, ok: true},
		{name: "surrounding and inner whitespace", in: "  foo ,\tbar;x=1 ", want: `foo, bar;x=1`, ok: true},
		{name: "space after semicolon", in: `a; q=1`, want: `a;q=1`, ok: true},
		{name: "escaped string", in: `"a\"b\\c"`, want: `"a\"b\\c"`, ok: true},
		{name: "inner list", in: `(1 "x";y=1 z);p=2, 3`, want: `();p=2, 3`, ok: true},
		{name: "empty inner list", in: `()`, want: `()`, ok: true},
		{name: "decimals", in: `1.5, -0.25, 123456789012.123, 0.0`, want: `1.5, -0.25, 123456789012.123, 0.0`, ok: true},
		{name: "integer bounds", in: `999999999999999, -999999999999999`, want: `999999999999999, -999999999999999`, ok: true},
		{name: "bytes, date, display string, token", in: `:cHsdsRa894==:, @1659578233, %"f%c3%bc", *foo/bar:baz`, want: `:cHsdsRa894==:, @1659578233, %"f%c3%bc", *foo/bar:baz`, ok: true},
		{name: "repeated parameter keeps the last value", in: `a;q=1;q=2`, want: `a;q=2`, ok: true},
		{name: "empty", in: ``, want: ``, ok: true},
		{name: "dictionary -07", in: `limit=100, remaining=50, reset=5`, dict: true, want: `limit=100, remaining=50, reset=5`, ok: true},
		{name: "dictionary booleans and inner list", in: `a, b;x=1, c=(1 2), d=?0`, dict: true, want: `a, b;x=1, c=(), d=?0`, ok: true},

		{name: "trailing comma", in: `1,`},
		{name: "leading comma", in: `,1`},
		{name: "missing comma", in: `1 2`},
		{name: "unterminated string", in: `"abc`},
		{name: "bad escape", in: `"a\b"`},
		{name: "control char in string", in: "\"a\x01\""},
		{name: "decimal without fraction", in: `1.`},
		{name: "decimal with four fraction digits", in: `1.2345`},
		{name: "decimal with thirteen integer digits", in: `1234567890123.5`},
		{name: "integer with sixteen digits", in: `1234567890123456`},
		{name: "upper-case parameter key", in: `a;B=1`},
		{name: "bad boolean", in: `?2`},
		{name: "unterminated inner list", in: `(1 2`},
		{name: "inner list items need a space", in: `(1,2)`},
		{name: "bad byte sequence", in: `:bad!:`},
		{name: "upper-case display escape", in: `%"%C3"`},
		{name: "date must be an integer", in: `@1.5`},
		{name: "list member cannot be key=value", in: `limit=100`},
		{name: "dictionary key cannot be a string", in: `"a"=1`, dict: true},
		{name: "lone minus", in: `-`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members, ok := parseSFLines([]string{tt.in}, tt.dict)
			require.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, tt.want, serializeSF(members, tt.dict))
			}
		})
	}
}

func TestSFStringUnescapes(t *testing.T) {
	members, ok := parseSFLines([]string{`"a\"b\\c", "plain"`}, false)
	require.True(t, ok)
	require.Len(t, members, 2)
	assert.Equal(t, `a"b\c`, members[0].val.str)
	assert.Equal(t, "plain", members[1].val.str)
}

func TestSFManyParams(t *testing.T) {
	members, ok := parseSFLines([]string{`a;p0;p1;p2;p3;p4;p5;p6;p7;p8;p9;pa;pb;pc;pd;pe;pf;q=5`}, false)
	require.True(t, ok)
	require.Len(t, members, 1)
	assert.Equal(t, sfMaxParams, members[0].nparams, "later distinct keys are parsed and dropped")
	_, found := members[0].param("q")
	assert.False(t, found)
}

// sfValidate reports whether every line of a field parses as a List (dict=false) or a
// Dictionary (dict=true), and how many members it has.
func sfValidate(lines []string, dict bool) (int, bool) {
	n := 0
	var m sfMember
	for _, line := range lines {
		p := sfParser{s: line, dict: dict}
		for {
			ok, err := p.next(&m)
			if err != nil {
				return n, false
			}
			if !ok {
				break
			}
			n++
		}
	}
	return n, true
}
