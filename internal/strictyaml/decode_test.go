package strictyaml

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// upper is a foreign type with its own UnmarshalYAML.
type upper string

func (u *upper) UnmarshalYAML(n *yaml.Node) error {
	if n.Value == "" {
		return errors.New("must not be empty")
	}
	*u = upper(strings.ToUpper(n.Value))
	return nil
}

type foreignBase struct {
	Window time.Duration `yaml:"window"`
}

type foreign struct {
	foreignBase `yaml:",inline"`
	Name        upper          `yaml:"name"`
	Burst       *int64         `yaml:"burst"`
	Rate        float64        `yaml:"rate"`
	Count       uint8          `yaml:"count"`
	Tags        []string       `yaml:"tags"`
	Nested      *foreign       `yaml:"nested"`
	Extra       map[string]int `yaml:"extra"`
	Any         any            `yaml:"any"`
	Untagged    bool
}

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &n))
	return &n
}

// TestDecodeNode: the strict decoder works on any tagged struct (e.g. the mock's configuration).
func TestDecode(t *testing.T) {
	var got foreign
	got.Rate = 9 // kept when absent
	err := Decode("m.yaml", node(t, "window: 5s\nname: abc\nburst: 7\ncount: 200\ntags: [a, b]\nnested: {rate: 1.5}\nextra: {x: 1}\nany: {k: [1, 2]}\nuntagged: true\n"), "mock", &got)
	require.NoError(t, err)
	burst := int64(7)
	assert.Equal(t, foreign{
		foreignBase: foreignBase{Window: 5 * time.Second}, Name: "ABC", Burst: &burst, Rate: 9, Count: 200,
		Tags: []string{"a", "b"}, Nested: &foreign{Rate: 1.5}, Extra: map[string]int{"x": 1},
		Any: map[string]any{"k": []any{1, 2}}, Untagged: true,
	}, got)

	err = Decode("m.yaml", node(t, "window: 5\nname: ''\ncount: 300\nrate: x\ntags: a\nnested: {windw: 1s}\nextra: {x: y}\n"), "mock", &got)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, strings.Join([]string{
		"m.yaml:1:9: mock.window: must be a duration with a unit, such as 5s",
		"m.yaml:2:7: mock.name: must not be empty",
		"m.yaml:3:8: mock.count: must be a whole number of at least 0, got \"300\"",
		"m.yaml:4:7: mock.rate: must be a number, got \"x\"",
		"m.yaml:5:7: mock.tags: must be a list, got \"a\"",
		"m.yaml:6:10: mock.nested: unknown field \"windw\"; did you mean \"window\"?",
		"m.yaml:7:12: mock.extra.x: must be a whole number, got \"y\"",
	}, "\n"), se.Error())

	assert.EqualError(t, Decode("", node(t, "a: 1"), "", got), "strictyaml.Decode: want a non-nil pointer, got strictyaml.foreign")
}

// TestAliasBomb: a document that expands exponentially through aliases (10^9 values) is refused
// after maxNodes values instead of being walked.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	var v map[string]nest
	err := Decode("bomb.yaml", node(t, b.String()), "", &v)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Problems[len(se.Problems)-1].Msg, "document too large: more than 10000 values (aliases included)")
}

// nest is a list of lists, as deep as a document goes.
type nest []nest

func TestDuplicateKeys(t *testing.T) {
	var v struct {
		A int            `yaml:"a"`
		M map[string]int `yaml:"m"`
	}
	err := Decode("d.yaml", node(t, "a: 1\na: 2\nm: {x: 1, x: 2}\n"), "", &v)
	require.Error(t, err)
	assert.Equal(t, "d.yaml:2:1: field \"a\" given twice (first at line 1)\nd.yaml:3:11: m: key \"x\" given twice (first at line 3)", err.Error())
}

func TestKeysMustBePlain(t *testing.T) {
	var v struct {
		M map[string]int `yaml:"m"`
	}
	err := Decode("k.yaml", node(t, "m:\n  ? {a: 1}\n  : 1\n  ? [b]\n  : 2\n"), "", &v)
	require.Error(t, err)
	assert.Equal(t, "k.yaml:2:5: m: a key must be a plain name, not a mapping\nk.yaml:4:5: m: a key must be a plain name, not a list", err.Error())
	var w struct {
		A string         `yaml:"a"`
		M map[string]int `yaml:"m"`
	}
	err = Decode("k.yaml", node(t, "a: &x k\nm:\n  *x : 1\n"), "", &w)
	require.Error(t, err)
	assert.Equal(t, "k.yaml:3:3: m: a key must be a plain name, not an alias (*x)", err.Error())
}

func TestLineOf(t *testing.T) {
	line, msg, ok := LineOf("yaml: line 3: cannot unmarshal !!str `x` into int")
	assert.True(t, ok)
	assert.Equal(t, 3, line)
	assert.Equal(t, "cannot unmarshal !!str `x` into int", msg)
	_, _, ok = LineOf("something else")
	assert.False(t, ok)
}
