package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpecialBytes checks the eight-byte scan against plainByte: the first byte it marks is the
// first byte that is not plain, for every byte value in every position and for random words.
func TestSpecialBytes(t *testing.T) {
	firstSpecial := func(w [8]byte) int {
		for i, c := range w {
			if !plainByte[c] {
				return i
			}
		}
		return 8
	}
	scan := func(w [8]byte) int {
		m := specialBytes(binary.LittleEndian.Uint64(w[:]))
		if m == 0 {
			return 8
		}
		return bits.TrailingZeros64(m) / 8
	}
	var words [][8]byte
	for pos := range 8 {
		for c := range 256 {
			w := [8]byte{'a', 'b', 0x80, 'd', 0xff, ' ', '~', '!'}
			w[pos] = byte(c)
			words = append(words, w)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		var w [8]byte
		for i := range w {
			w[i] = []byte{'"', '\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 'x'}[rng.IntN(14)]
		}
		words = append(words, w)
	}
	for _, w := range words {
		require.Equal(t, firstSpecial(w), scan(w), "% x", w)
	}
}

// TestWalk reads an object member by member, every kind of value.
func TestWalk(t *testing.T) {
	var s Scanner
	s.Reset([]byte(` {"a": "x\ny", "n": -12, "f": 1.5e3, "t": true, "z": null, "l": [1, {"k": []}], "o": {}} `))
	require.True(t, s.BeginObject())
	var got []string
	for first := true; ; {
		key, ok := s.NextMember(&first)
		if !ok {
			break
		}
		got = append(got, string(key)+":"+s.Kind())
		switch string(key) {
		case "a":
			raw, n, ok := s.Str()
			require.True(t, ok)
			assert.Equal(t, `x\ny`, string(raw))
			assert.Equal(t, 3, n, "unescaped length")
		case "n":
			text, ok := s.Number()
			require.True(t, ok)
			v, ok := Int(text)
			assert.True(t, ok)
			assert.Equal(t, int64(-12), v)
		case "f":
			text, _ := s.Number()
			_, ok := Int(text)
			assert.False(t, ok, "1.5e3 is not an integer literal")
			v, ok := WholeNumber(text)
			assert.True(t, ok)
			assert.Equal(t, int64(1500), v)
		case "t":
			v, ok := s.Bool()
			assert.True(t, v && ok)
		case "z":
			assert.True(t, s.Null())
		default:
			require.True(t, s.Skip())
		}
	}
	assert.True(t, s.End())
	assert.False(t, s.Failed())
	assert.Equal(t, []string{"a:string", "n:number", "f:number", "t:boolean", "z:null", "l:array", "o:object"}, got)
}

// TestMembers checks the member range: every key in order with the scanner at its value, a
// nested object walked the same way, and the range ending at the first syntax error.
func TestMembers(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`{"a": 1, "o": {"k": "v", "l": []}, "e\"": {}}`))
	var got []string
	for key := range s.Members() {
		got = append(got, string(key))
		if string(key) != "o" {
			require.True(t, s.Skip())
			continue
		}
		for inner := range s.Members() {
			got = append(got, "o."+string(inner)+":"+s.Kind())
			require.True(t, s.Skip())
		}
	}
	assert.True(t, s.End())
	assert.Equal(t, []string{"a", "o", "o.k:string", "o.l:array", `e\"`}, got)

	s.Reset([]byte(`{"a": 1 "b": 2}`))
	got = got[:0]
	for key := range s.Members() {
		got = append(got, string(key))
		s.Skip()
	}
	assert.Equal(t, []string{"a"}, got, "the range stops at the missing comma")
	msg, _ := s.Err()
	assert.Equal(t, "Expecting ',' delimiter", msg)

	s.Reset([]byte(`[1]`))
	for range s.Members() {
		t.Fatal("an array has no members")
	}
	msg, _ = s.Err()
	assert.Equal(t, "Expecting '{'", msg)
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, msg, pos string }{
		{"trailing comma", `{"a": 1,}`, "Expecting property name enclosed in double quotes", "line 1 column 9 (char 8)"},
		{"extra data", "{}\n{}", "Extra data", "line 2 column 1 (char 3)"},
		{"bad escape", `{"a": "\q"}`, "Invalid \\escape", "line 1 column 8 (char 7)"},
		{"lone surrogate", `{"a": "\udc00"}`, "lone low surrogate in string", "line 1 column 8 (char 7)"},
		{"control character", "{\"a\": \"\t\"}", "Invalid control character at", "line 1 column 8 (char 7)"},
		{"deep", strings.Repeat("[", MaxDepth+1), "Maximum nesting depth exceeded", "line 1 column 514 (char 513)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Scanner
			s.Reset([]byte(tc.in))
			assert.False(t, s.Skip() && s.End())
			msg, _ := s.Err()
			assert.Equal(t, tc.msg, msg)
			assert.Equal(t, tc.pos, s.ErrorPosition())
		})
	}
	for _, text := range []string{"9223372036854775808", "-9223372036854775809", "", "-", "1.0"} {
		_, ok := Int([]byte(text))
		assert.False(t, ok, text)
	}
	v, ok := Int([]byte("-9223372036854775808"))
	assert.True(t, ok)
	assert.Equal(t, int64(-1<<63), v)
}
