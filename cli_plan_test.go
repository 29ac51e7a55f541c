package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/summary"
)

// writeCSVTrace writes n requests gap apart as a CSV trace.
func writeCSVTrace(t *testing.T, path string, n int, gap time.Duration) {
	var b strings.Builder
	b.WriteString("timestamp,input_tokens,output_tokens\n")
	t0 := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "%s,100,20\n", t0.Add(time.Duration(i)*gap).Format(time.RFC3339))
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

// TestPlanCommand: 200 requests 2 s apart (30/min) against 60/min fit at ×1 and ×2, not at ×4;
// summary.json carries the contract's names.
func TestPlanCommand(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace.csv")
	writeCSVTrace(t, trace, 200, 2*time.Second)
	out := filepath.Join(dir, "plan")
	code, stdout, stderr := runReportCLI(t, "plan", "--trace", trace, "--rpm", "60", "--burst", "5", "--scale", "1,2,4",
		"--strategies", "full-jitter,header-pacing", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "The workload fits up to ×2 of its recorded volume")
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(data, &raw))
	for _, k := range []string{"plan", "plan_max_scale", "plan_slo", "plan_best"} {
		assert.Contains(t, raw, k)
	}
	var s summary.Summary
	require.NoError(t, json.Unmarshal(data, &s))
	require.Len(t, s.Plan, 6)
	for _, e := range s.Plan {
		switch e.Scale {
		case 1:
			assert.Less(t, e.RefusedShare, 0.05, e.Strategy)
		case 4:
			assert.False(t, e.MeetsSLO, e.Strategy)
		}
	}
	require.NotNil(t, s.PlanMaxScale["full-jitter"])
	assert.Equal(t, 2.0, *s.PlanMaxScale["full-jitter"])
	for _, f := range []string{"report.md", "plan-headroom.png", "plan-delay.png"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
}

func TestPlanCommandErrors(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace.csv")
	writeCSVTrace(t, trace, 10, time.Second)
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("timestamp,input_tokens,output_tokens\n2025-01-06T09:00:00Z,1,2\nsoon,1,2\n"), 0o644))
	tests := []usageCase{
		{"no trace", []string{"plan"}, "--trace FILE is required"},
		{"bad slo", []string{"plan", "--trace", trace, "--slo", "p95-delay=fast"}, `--slo: invalid SLO "p95-delay=fast": p95-delay "fast" is not a duration`},
		{"bad scale", []string{"plan", "--trace", trace, "--scale", "1,0"}, `--scale "1,0": want growth factors above 0`},
		{"bad size", []string{"plan", "--trace", trace, "--input-size", "gamma:2"}, `--input-size: invalid size "gamma:2"`},
		{"bad trace line", []string{"plan", "--trace", bad}, `bad.csv line 3: timestamp "soon"`},
		{"missing trace", []string{"plan", "--trace", filepath.Join(dir, "none.csv")}, "no such file"},
		{"limits twice", []string{"plan", "--trace", trace, "--limits", "anthropic", "--rpm", "5"}, "--rpm and --limits both set the limits"},
		{"unknown preset", []string{"plan", "--trace", trace, "--limits", "anthropix"}, `unknown preset "anthropix"`},
	}
	checkUsageErrors(t, runMockCLI, nil, tests)
}
