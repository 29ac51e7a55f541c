package scenario

import (
	"encoding/json"
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
func TestDecodeNode(t *testing.T) {
	var got foreign
	got.Rate = 9 // kept when absent
	err := DecodeNode("m.yaml", node(t, "window: 5s\nname: abc\nburst: 7\ncount: 200\ntags: [a, b]\nnested: {rate: 1.5}\nextra: {x: 1}\nany: {k: [1, 2]}\nuntagged: true\n"), "mock", &got)
	require.NoError(t, err)
	burst := int64(7)
	assert.Equal(t, foreign{
		foreignBase: foreignBase{Window: 5 * time.Second}, Name: "ABC", Burst: &burst, Rate: 9, Count: 200,
		Tags: []string{"a", "b"}, Nested: &foreign{Rate: 1.5}, Extra: map[string]int{"x": 1},
		Any: map[string]any{"k": []any{1, 2}}, Untagged: true,
	}, got)

	err = DecodeNode("m.yaml", node(t, "window: 5\nname: ''\ncount: 300\nrate: x\ntags: a\nnested: {windw: 1s}\nextra: {x: y}\n"), "mock", &got)
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

	assert.EqualError(t, DecodeNode("", node(t, "a: 1"), "", got), "scenario.DecodeNode: want a non-nil pointer, got scenario.foreign")
}

func TestMergeKeysAndExtensions(t *testing.T) {
	s := mustLoad(t, `x-limits: &fast {rate: 5/s, duration: 10s}
mock:
description: &d one line
name: demo
phases:
  - probe: *fast
  - probe: {<<: *fast, duration: 20s}
  - probe:
      <<: [*fast]
      max_inflight: 3
`)
	assert.Equal(t, "one line", s.Description)
	assert.Equal(t, &ProbePhase{Rate: "5/s", Duration: Duration(10 * time.Second), MaxInflight: DefaultMaxInflight, Mode: ModeLive}, s.Phases[0].Probe)
	assert.Equal(t, &ProbePhase{Rate: "5/s", Duration: Duration(20 * time.Second), MaxInflight: DefaultMaxInflight, Mode: ModeLive}, s.Phases[1].Probe, "explicit keys win over merged ones")
	assert.Equal(t, &ProbePhase{Rate: "5/s", Duration: Duration(10 * time.Second), MaxInflight: 3, Mode: ModeLive}, s.Phases[2].Probe)

	assert.Equal(t, []string{`bad.yaml:3:17: phases[0].probe: a merge key (<<) takes a mapping or a list of mappings`},
		problems(t, "mock:\nphases:\n  - probe: {<<: 5, find: true}\n", testOptions()))
}

// TestAliasBomb: a document that expands exponentially through aliases (10^9 values) is refused
// after maxNodes values instead of being walked.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("mock:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("  a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	got := problems(t, b.String(), Options{})
	require.NotEmpty(t, got)
	assert.Contains(t, got[len(got)-1], "document too large: more than 10000 values (aliases included)")
}

// TestMockJSON: the hook's configuration is kept; JSON shows the section as written, or the
// configuration when there is no section.
func TestMockJSON(t *testing.T) {
	s := mustLoad(t, "mock:\n  algorithm: gcra\n  limits: {requests: {per_minute: 60}}\n")
	require.IsType(t, &testMock{}, s.Mock.Config)
	assert.Equal(t, int64(60), s.Mock.Config.(*testMock).Limits.Requests.PerMinute)
	j, err := json.Marshal(s.Mock)
	require.NoError(t, err)
	assert.JSONEq(t, `{"algorithm":"gcra","limits":{"requests":{"per_minute":60}}}`, string(j))

	j, err = json.Marshal(&Mock{Config: &testMock{Algorithm: "gcra"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Algorithm":"gcra","Limits":{"Requests":{"PerMinute":0,"Burst":null}}}`, string(j))

	raw, err := Load("m.yaml", []byte("mock:\n  limits: {requests: {per_minute: 60}}\n"), Options{})
	require.NoError(t, err)
	assert.Nil(t, raw.Mock.Config)
	j, err = json.Marshal(raw.Mock)
	require.NoError(t, err)
	assert.JSONEq(t, `{"limits":{"requests":{"per_minute":60}}}`, string(j))

	empty, err := Load("m.yaml", []byte("mock:\n"), Options{})
	require.NoError(t, err)
	j, err = json.Marshal(empty.Mock)
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(j))
}

// TestScenarioJSON: the resolved scenario's JSON never holds a key and uses the YAML spellings.
func TestScenarioJSON(t *testing.T) {
	s := mustLoad(t, "target: {url: 'https://api.anthropic.com', model: m}\nworkload: {timeout: 90s}\nbudget: {max_duration: 2m}\n")
	j, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"name": "ok",
		"target": {"api": "anthropic", "url": "https://api.anthropic.com", "model": "m", "key_env": "ANTHROPIC_API_KEY", "method": "POST"},
		"workload": {"prompt_tokens": 32, "max_tokens": 16, "timeout": "1m30s"},
		"phases": [{"probe": {"find": true, "max_inflight": 4000, "mode": "live"}}],
		"budget": {"max_duration": "2m0s"},
		"seed": 1,
		"output": {"dir": "out/ok"}
	}`, string(j))
}
