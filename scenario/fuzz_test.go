package scenario

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/internal/strictyaml"
)

// FuzzLoad: whatever the input, Load never panics and returns either a resolved scenario or an
// *strictyaml.Error whose every problem names the file and, except for a few YAML syntax errors the parser
// does not place and an empty file, a line.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("phases:\n  - probe:\n      stagez: 1\n"))
	f.Add([]byte(evalScenario))
	f.Add([]byte("mock:\nphases: &p [*p]\n"))
	f.Add([]byte("x-a: &a {rate: 5/s}\nmock:\nphases: [{probe: {<<: *a, duration: 1s}}]\n"))
	f.Add([]byte("target: {url: 'https://api.anthropic.com', model: m, headers: {A: b}}\nphases: [{compare: {strategies: [all], clients: '1,2'}}]\n"))
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load("f.yaml", data)
		if err == nil {
			if s == nil {
				t.Fatal("nil scenario without an error")
			}
			if _, err := json.Marshal(s); err != nil {
				t.Fatalf("resolved scenario does not encode: %v", err)
			}
			return
		}
		if s != nil {
			t.Fatal("a scenario and an error")
		}
		CheckPlacedProblems(t, err, "f.yaml")
	})
}

// CheckPlacedProblems fails t unless err is a list of problems, each placed in file at a line
// (but invalid YAML and an empty file, which have no line) and saying something. The fuzzers of
// this package and of scenario_test share it.
func CheckPlacedProblems(t *testing.T, err error, file string) {
	t.Helper()
	var se *strictyaml.Error
	if !errors.As(err, &se) || len(se.Problems) == 0 {
		t.Fatalf("error is not a list of problems: %v", err)
	}
	for _, p := range se.Problems {
		unplaced := strings.HasPrefix(p.Msg, "invalid YAML") || strings.HasPrefix(p.Msg, "the file is empty")
		if p.File != file || (p.Line <= 0 && !unplaced) || p.Msg == "" {
			t.Fatalf("problem without a position: %#v", p)
		}
	}
}
