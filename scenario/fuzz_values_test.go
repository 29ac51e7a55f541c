package scenario

import (
	"testing"
)

// Fuzz targets of the scenario's value parsers, which FuzzLoad reaches only through YAML:
// stage lists (rates are fuzzed in package workload, threshold conditions in package threshold). Run one with
//
//	go test ./scenario -run '^$' -fuzz '^FuzzScenarioParseStages$' -fuzztime 60s

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
