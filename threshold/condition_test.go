package threshold

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/summary"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// Fuzz targets of the threshold parsers and of the thresholds run.json records (JSON, read back
// without validation when `ratelab report` re-renders a run). Run one with
//
//	go test ./threshold -run '^$' -fuzz '^FuzzParseCondition$' -fuzztime 60s

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in      string
		want    Quantity
		wantErr string
	}{
		{"50", Quantity{50, Number, "50"}, ""},
		{"0.1", Quantity{0.1, Number, "0.1"}, ""},
		{"5%", Quantity{0.05, Percent, "5%"}, ""},
		{" 12.5 % ", Quantity{0.125, Percent, "12.5 %"}, ""},
		{"30s", Quantity{30, Interval, "30s"}, ""},
		{"1m30s", Quantity{90, Interval, "1m30s"}, ""},
		{"x%", Quantity{}, `bad percentage "x%": write e.g. 5%`},
		{"Inf", Quantity{}, `bad value "Inf": want a number (50), a percentage (5%) or a duration (30s)`},
		{"lots", Quantity{}, `bad value "lots": want a number (50), a percentage (5%) or a duration (30s)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseQuantity(tt.in)
			if !testcheck.ErrEqual(t, err, tt.wantErr) {
				return
			}
			assert.InDelta(t, tt.want.Value, got.Value, 1e-12)
			assert.Equal(t, tt.want.Kind, got.Kind)
			assert.Equal(t, tt.want.Text, got.Text)
		})
	}
}

// TestExpectJSONRoundTrip: thresholds written to run.json read back to the same conditions, so
// a re-rendered report evaluates them exactly as the run did.
func TestExpectJSONRoundTrip(t *testing.T) {
	e := expectOf(t, "expect:\n"+
		"  limits: {requests: {effective_per_minute: {within: 5%, of: 50}, gap: false}}\n"+
		"  rate_limited_share: \"< 10%\"\n"+
		"  strategies: {full-jitter: {p95: \"< 30s\", mode: live}}\n")
	b, err := json.Marshal(e)
	require.NoError(t, err)
	var back Expect
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *e, back)

	var q Quantity
	assert.Error(t, json.Unmarshal([]byte(`"soon"`), &q), "a bad quantity is an error")
}

// FuzzParseCondition: an accepted condition writes back (String) to one that reads the same
// and holds for the same values.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"< 30s", "<= 2", "> 0.9", ">= 40", "== 50", "50", "within 5% of 50", "within 2 of 1m", "=5%", "<", "within of", "within 5% of", ">= -1e308", "1h2m3.5s", "within 1e308% of 1e308"} {
		f.Add(s, 1.5)
	}
	f.Fuzz(func(t *testing.T, s string, v float64) {
		c, err := ParseCondition(s)
		if err != nil {
			return
		}
		text := c.String()
		if text == "" {
			t.Fatalf("ParseCondition(%q) has no part", s)
		}
		back, err := ParseCondition(text)
		if err != nil {
			t.Fatalf("ParseCondition(%q) written %q does not read back: %v", s, text, err)
		}
		if back.String() != text {
			t.Fatalf("ParseCondition(%q): %q read back as %q", s, text, back.String())
		}
		if c.Holds(v) != back.Holds(v) {
			t.Fatalf("%q and its written form %q disagree on %g", s, text, v)
		}
		for _, p := range c.Parts() {
			if math.IsNaN(p.Q.Value) || math.IsInf(p.Q.Value, 0) {
				t.Fatalf("ParseCondition(%q): %s is %g", s, p.Key, p.Q.Value)
			}
		}
	})
}

// FuzzExpectJSON decodes thresholds as run.json records them and evaluates them against results
// whose every figure is v: no panic, one placed check per threshold, and the same checks after
// the thresholds are written back to JSON.
func FuzzExpectJSON(f *testing.F) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if e := expectSection(f, data); e != nil {
			b, err := json.Marshal(e)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, 50.0)
		}
	}
	for _, s := range []string{
		`{"limits":{"requests":{"effective_per_minute":{"within":"5%"}}}}`,
		`{"strategies":{"all":{"p95":{"below":"30s"},"mode":"sim"},"x":{"amplification":{"of":"2"}}},"binding":"requests"}`,
		`{"accounting":{"rejected_count":true},"rate_limited_share":{"equals":"0"},"error_share":{"at_most":"1e308%"},"dropped":{"above":"-1"}}`,
		`{"limits":{"tokens":{"gap":false,"algorithm":"gcra","burst":{"at_least":"1e-320"}}}}`,
	} {
		f.Add([]byte(s), math.Inf(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, v float64) {
		var e Expect
		if json.Unmarshal(data, &e) != nil {
			return
		}
		r := fuzzSummary(v)
		checks := Evaluate(&e, r)
		for _, c := range checks {
			// (A subject may be empty: a hand-edited run.json can name a strategy "".)
			if !strings.HasPrefix(c.Path, "expect") || c.Detail == "" {
				t.Fatalf("check without a place or a detail: %#v", c)
			}
		}
		b, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("thresholds that decode do not encode: %v", err)
		}
		var back Expect
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("thresholds written as %s do not read back: %v", b, err)
		}
		again := Evaluate(&back, r)
		if len(again) != len(checks) {
			t.Fatalf("%d checks, %d after a JSON round trip", len(checks), len(again))
		}
		for i := range checks {
			if checks[i] != again[i] {
				t.Fatalf("check %d changed in a JSON round trip: %#v vs %#v", i, checks[i], again[i])
			}
		}
	})
}

// fuzzSummary is a summary whose every figure is v, with one strategy entry per mode.
func fuzzSummary(v float64) *summary.Summary {
	yes := true
	n := int64(0)
	if !math.IsNaN(v) && math.Abs(v) < 1e15 {
		n = int64(v)
	}
	s := &summary.Summary{Binding: &summary.Binding{Dimension: "requests"}, Accounting: &summary.Accounting{RejectedCount: &yes},
		Totals: summary.Totals{Attempts: n, RateLimited: n / 2, Errors: n / 3, Dropped: n}}
	for _, d := range Dimensions() {
		s.Limits = append(s.Limits, summary.Limit{Dimension: d, AdvertisedPerMinute: &v, EffectivePerMinute: &v, Burst: &v, Algorithm: "token-bucket"})
	}
	for _, mode := range []string{"live", "sim"} {
		s.Strategies = append(s.Strategies, summary.Strategy{
			Name: "x", Mode: mode, Clients: 3, Requests: n, Succeeded: n, Attempts: n, RateLimited: n,
			Amplification: &v, MakespanSeconds: &v, GoodputPerSecond: &v, Latency: &summary.Latency{P50: v, P95: v, P99: v, Max: v},
		})
	}
	return s
}

// expectSection decodes the expect: section of a scenario file, nil when it has none.
func expectSection(tb testing.TB, data []byte) *Expect {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		tb.Fatalf("not YAML: %v", err)
	}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "expect" {
			var e Expect
			if err := strictyaml.Decode("", top.Content[i+1], "expect", &e); err != nil {
				tb.Fatal(err)
			}
			return &e
		}
	}
	return nil
}

func TestParseCondition(t *testing.T) {
	tests := []struct {
		in      string
		want    string // String() of the parsed condition
		holds   []float64
		fails   []float64
		wantErr string
	}{
		{"< 30s", "< 30s", []float64{29.9}, []float64{30, 31}, ""},
		{"<=2", "<= 2", []float64{2, 1}, []float64{2.0001}, ""},
		{"> 0.9", "> 0.9", []float64{0.91}, []float64{0.9}, ""},
		{">= 40", ">= 40", []float64{40}, []float64{39.99}, ""},
		{"== 50", "== 50", []float64{50}, []float64{50.001}, ""},
		{"= 0", "== 0", []float64{0}, []float64{1e-6}, ""},
		{"50", "== 50", []float64{50}, []float64{49}, ""},
		{"within 5% of 50", "within 5% of 50", []float64{47.5, 52.5, 50}, []float64{47.4, 52.6}, ""},
		{"within 2 of 50", "within 2 of 50", []float64{48, 52}, []float64{47.9}, ""},
		{"within 5%", "", nil, nil, `bad condition "within 5%": write e.g. "within 5% of 50"`},
		{"< soon", "", nil, nil, `bad condition "< soon": bad value "soon": want a number (50), a percentage (5%) or a duration (30s)`},
		{"about 5", "", nil, nil, `bad condition "about 5": write e.g. {below: 30s}, {within: 5%, of: 50}, "< 0.1", ">= 40" or "within 5% of 50"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCondition(tt.in)
			if !testcheck.ErrEqual(t, err, tt.wantErr) {
				return
			}
			assert.Equal(t, tt.want, c.String())
			for _, v := range tt.holds {
				assert.True(t, c.Holds(v), "%s should hold for %v", tt.in, v)
			}
			for _, v := range tt.fails {
				assert.False(t, c.Holds(v), "%s should fail for %v", tt.in, v)
			}
		})
	}
}

// TestConditionMapping: the mapping form combines parts, all of which must hold.
func TestConditionMapping(t *testing.T) {
	c := expectOf(t, "expect: {dropped: {above: 1, at_most: 10}}\n").Dropped
	assert.Equal(t, "> 1 and <= 10", c.String())
	assert.False(t, c.Holds(1))
	assert.True(t, c.Holds(10))
	assert.False(t, c.Holds(10.5))
}
