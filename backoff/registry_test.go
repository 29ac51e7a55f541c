package backoff

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		err  string
	}{
		{in: "full-jitter", want: Spec{Name: "full-jitter"}},
		{in: "  full-jitter  ", want: Spec{Name: "full-jitter"}},
		{in: "full-jitter()", want: Spec{Name: "full-jitter"}},
		{in: "full-jitter(base=100ms,cap=10s)", want: Spec{Name: "full-jitter", Args: []Arg{{"base", "100ms"}, {"cap", "10s"}}}},
		{in: "full-jitter( base = 100ms , cap=10s )", want: Spec{Name: "full-jitter", Args: []Arg{{"base", "100ms"}, {"cap", "10s"}}}},
		{in: "", err: "empty name"},
		{in: "(base=1s)", err: "empty name"},
		{in: "Full-Jitter", err: "lower-case letters"},
		{in: "full-jitter(base=1s", err: "unbalanced"},
		{in: "full-jitter(base=1s))", err: "unbalanced"},
		{in: "full-jitter base=1s)", err: "want name or name(param=value"},
		{in: "full jitter", err: "want lower-case letters"},
		{in: "full-jitter)", err: "want name or name(param=value"},
		{in: "full-jitter(base)", err: `parameter "base": want param=value`},
		{in: "full-jitter(base=)", err: "want param=value"},
		{in: "full-jitter(=1s)", err: "empty name"},
		{in: "full-jitter(base=1s,base=2s)", err: `"base" given twice`},
		{in: "full-jitter(base=1=2)", err: "contains '='"},
		{in: "full-jitter(base=1s)x", err: "unbalanced"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if testcheck.Err(t, err, tc.err) {
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want []string // canonical specs
		err  string
	}{
		{in: "exponential", want: []string{"exponential"}},
		{in: "exponential,full-jitter(base=100ms,cap=10s),retry-after",
			want: []string{"exponential", "full-jitter(base=100ms,cap=10s)", "retry-after"}},
		{in: "a(x=1), b , c(y=2,z=3)", want: []string{"a(x=1)", "b", "c(y=2,z=3)"}},
		{in: "a,,b", err: "empty entry"},
		{in: "a,", err: "empty entry"},
		{in: "", err: "empty entry"},
		{in: "a(x=1", err: "unbalanced"},
		{in: "a(x=1)),b", err: "unbalanced ')'"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseList(tc.in)
			if !testcheck.Err(t, err, tc.err) {
				return
			}
			var names []string
			for _, s := range got {
				names = append(names, s.String())
			}
			assert.Equal(t, tc.want, names)
		})
	}
}

func TestNewErrorsNameTheInputAndTheChoices(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"full-jiter", []string{`unknown strategy "full-jiter"`, `did you mean "full-jitter"?`, "valid strategies: none, constant"}},
		{"jitter", []string{`unknown strategy "jitter"`, "did you mean", "decorrelated-jitter, anthropic-sdk"}},
		{"zzz", []string{`unknown strategy "zzz"; valid strategies:`}},
		{"full-jitter(bsae=1s)", []string{`strategy full-jitter: unknown parameter "bsae"`, `did you mean "base"?`,
			"valid parameters: base, cap, max-attempts, max-elapsed"}},
		{"none(base=1s)", []string{"strategy none: unknown parameter \"base\": it takes no parameters"}},
		{"full-jitter(base=fast)", []string{"strategy full-jitter: parameter base:", `"fast" is not a duration`}},
		{"full-jitter(base=0)", []string{"parameter base: 0 out of range: want base ≥ 1ns"}},
		{"full-jitter(max-attempts=2.5)", []string{`"2.5" is not a whole number`}},
		{"full-jitter(max-attempts=-1)", []string{"want 0 ≤ max-attempts ≤ 1000"}},
		{"aimd(ratio=1.5)", []string{"want 1e-09 ≤ ratio ≤ 1"}},
		{"client-limiter(rpm=NaN)", []string{"not a finite number"}},
		{"constant(pause=-1s)", []string{"want pause ≥ 0s"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Resolve(tc.in)
			testcheck.ErrAll(t, err, tc.want...)
		})
	}
	_, err := ResolveList("exponential,full-jitter(cap=1x)")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "strategy full-jitter: parameter cap")
}

func TestStrategyParamsResolveDefaults(t *testing.T) {
	s, err := Resolve("full-jitter(base=100ms,max-attempts=4)")
	require.NoError(t, err)
	assert.Equal(t, "full-jitter", s.Name())
	assert.Equal(t, "full-jitter(base=100ms,max-attempts=4)", s.Label())
	assert.Equal(t, map[string]any{"base": "100ms", "cap": "30s", "max-attempts": 4, "max-elapsed": "15m0s", "retry-terminal": 0}, s.Params())
	b, err := json.Marshal(s.Params())
	require.NoError(t, err)
	assert.JSONEq(t, `{"base":"100ms","cap":"30s","max-attempts":4,"max-elapsed":"15m0s","retry-terminal":0}`, string(b))

	c, err := Resolve("client-limiter(rpm=600,burst=10)")
	require.NoError(t, err)
	assert.Equal(t, 600.0, c.Params()["rpm"])
	assert.Equal(t, "30s", c.Params()["cap"])

	d, err := Resolve("constant(pause=0.25)")
	require.NoError(t, err)
	assert.Equal(t, "250ms", d.Params()["pause"], "a bare number of seconds")
	n, err := Resolve("none")
	require.NoError(t, err)
	assert.Empty(t, n.Params())
}

func TestDefinitionsAreImmutableAndComplete(t *testing.T) {
	want := []string{"none", "constant", "additive-jitter", "exponential", "full-jitter", "equal-jitter",
		"decorrelated-jitter", "anthropic-sdk", "openai-sdk", "openai-go-sdk", "gemini-sdk", "aws-sdk", "retry-after",
		"header-pacing", "client-limiter",
		"sre-adaptive", "retry-budget", "aimd"}
	assert.Equal(t, want, Names())
	defs := Definitions()
	defs[1].Name = "changed"
	defs[1].Params[0].Default = "99s"
	d, ok := Lookup("constant")
	require.True(t, ok)
	assert.Equal(t, "1s", d.Params[0].Default, "callers cannot change the table")
	for _, d := range Definitions() {
		assert.NotEmpty(t, d.Summary, d.Name)
		s, err := New(Spec{Name: d.Name})
		require.NoError(t, err, "defaults of %s resolve", d.Name)
		require.NotNil(t, s.NewFleet(1).Client(0), d.Name)
		for _, p := range d.Params {
			assert.NotEmpty(t, p.Doc, "%s.%s", d.Name, p.Name)
			_, err := p.parse(p.Default)
			assert.NoError(t, err, "%s.%s default", d.Name, p.Name)
		}
	}
}

func TestListFitsIn100Columns(t *testing.T) {
	var b strings.Builder
	require.NoError(t, List(&b))
	out := b.String()
	for _, name := range Names() {
		assert.Contains(t, out, "\n"+name+" ")
	}
	assert.Contains(t, out, "  base=500ms           duration backoff before the first retry (n = 0)\n")
	assert.Contains(t, out, "max-retry-after=2m")
	for i, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 100, "line %d: %q", i+1, line)
	}
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"full-jitter", "a(b=1,c=2),d", "a((", "x(y=1)),", " a ( b = 1 ) ", "a,b(c=d=e)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		specs, err := ParseList(in)
		if err != nil {
			return
		}
		// Every accepted list round-trips through its canonical form.
		var parts []string
		for _, s := range specs {
			parts = append(parts, s.String())
		}
		again, err := ParseList(strings.Join(parts, ","))
		require.NoError(t, err, "canonical %q of %q", strings.Join(parts, ","), in)
		require.Equal(t, specs, again)
		for _, s := range specs {
			if st, err := New(s); err == nil {
				require.Equal(t, s.Name, st.Name())
			}
		}
	})
}

func FuzzParseParamValue(f *testing.F) {
	for _, s := range []string{"500ms", "0.5", "1e400", "-1", "NaN", "9223372036854775807", "1h2m3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, d := range Definitions() {
			for _, p := range d.Params {
				x, err := p.parse(v)
				if err != nil {
					continue
				}
				// An accepted value is in range and builds a working fleet.
				s, err := New(Spec{Name: d.Name, Args: []Arg{{p.Name, v}}})
				require.NoError(t, err)
				require.NotNil(t, s.NewFleet(1).Client(0))
				require.NotNil(t, x)
			}
		}
	})
}

func TestSpecOfYAMLValues(t *testing.T) {
	spec := SpecOf("full-jitter", map[string]any{"max-attempts": 4, "cap": "10s", "base": 0.25})
	assert.Equal(t, "full-jitter(base=0.25,cap=10s,max-attempts=4)", spec.String())
	s, err := New(spec)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"base": "250ms", "cap": "10s", "max-attempts": 4, "max-elapsed": "15m0s", "retry-terminal": 0}, s.Params())
	_, err = New(SpecOf("full-jitter", map[string]any{"base": true}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `parameter base: "true" is not a duration`)
}
