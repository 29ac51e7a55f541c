package scenario

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets of the scenario's value parsers, which FuzzLoad reaches only through YAML:
// rates, stage lists, threshold conditions, and the thresholds run.json records (JSON, read
// back without validation when `ratelab report` re-renders a run). Run one with
//
//	go test ./scenario -run '^$' -fuzz '^FuzzParseCondition$' -fuzztime 60s

// FuzzScenarioParseRate: an accepted rate is finite and not negative.
func FuzzScenarioParseRate(f *testing.F) {
	for _, s := range []string{"5/s", "300/m", "2/h", "10/1s", "1/500ms", "7", "1e3/1m30s", "0/s", "-1/s", "5/", "1/0s", "NaN/s", "1e300/h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "bad rate") {
				t.Fatalf("ParseRate(%q): error does not say what is wrong: %v", s, err)
			}
			return
		}
		if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
			t.Fatalf("ParseRate(%q) = %g", s, r)
		}
	})
}

// FuzzScenarioParseStages: accepted stages write back (String) to the same stages.
func FuzzScenarioParseStages(f *testing.F) {
	for _, s := range []string{"30s:5/s,60s:20/s", "1m:100/m", "1s:0,1s:10", " 500ms : 3/500ms ", "1h:1e6/s", "0s:1/s", "1s", ",", "1s:5/s,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStages(s)
		if err != nil {
			return
		}
		if len(st) == 0 || len(st) > MaxStages {
			t.Fatalf("ParseStages(%q): %d stages", s, len(st))
		}
		back, err := ParseStages(st.String())
		if err != nil {
			t.Fatalf("ParseStages(%q) written %q does not read back: %v", s, st.String(), err)
		}
		if back.String() != st.String() || len(back) != len(st) {
			t.Fatalf("ParseStages(%q): %q read back as %q", s, st.String(), back.String())
		}
	})
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
		for _, p := range c.parts() {
			if math.IsNaN(p.q.Value) || math.IsInf(p.q.Value, 0) {
				t.Fatalf("ParseCondition(%q): %s is %g", s, p.key, p.q.Value)
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
		if s, err := Load(p, data, testOptions()); err == nil && s.Expect != nil {
			b, err := json.Marshal(s.Expect)
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
		r := fuzzResults(v)
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

// fuzzResults are results whose every figure is v, with one row per mode and a null figure.
func fuzzResults(v float64) Results {
	yes := true
	n := int64(0)
	if !math.IsNaN(v) && math.Abs(v) < 1e15 {
		n = int64(v)
	}
	r := Results{Binding: "requests", RejectedCount: &yes, Attempts: n, RateLimited: n / 2, Errors: n / 3, Dropped: n}
	for _, d := range Dimensions {
		r.Limits = append(r.Limits, LimitResult{Dimension: d, AdvertisedPerMinute: &v, EffectivePerMinute: &v, Burst: &v, Algorithm: "token-bucket"})
	}
	for _, mode := range []string{"live", "sim"} {
		r.Strategies = append(r.Strategies, StrategyResult{
			Name: "x", Mode: mode, Clients: 3, Requests: n, Succeeded: n, Attempts: n, RateLimited: n,
			Amplification: &v, MakespanSeconds: &v, GoodputPerSecond: &v, P50: &v, P95: &v, P99: &v, Max: &v,
		})
	}
	return r
}
