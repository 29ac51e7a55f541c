package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/summary"
)

// readSummary reads dir/summary.json.
func readSummary(t *testing.T, dir string) summary.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, report.SummaryFile))
	require.NoError(t, err)
	var s summary.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// compareArgs are the flags of a small comparison against a token bucket of rpm requests per
// minute holding burst, with token limits out of the way.
func compareArgs(dir, rpm, burst string, more ...string) []string {
	return append([]string{"compare", "--target", "mock", "--rpm", rpm, "--burst", burst, "--algorithm", "token-bucket",
		"--itpm", "1000000000", "--otpm", "1000000000", "--out", dir, "--quiet"}, more...)
}

// assertBound checks that no entry's makespan beats its lower bound.
func assertBound(t *testing.T, s summary.Summary) {
	t.Helper()
	for _, st := range s.Strategies {
		require.NotNil(t, st.MakespanSeconds, st.Name)
		require.NotNil(t, st.MakespanLowerBoundSeconds, st.Name)
		assert.GreaterOrEqual(t, *st.MakespanSeconds, *st.MakespanLowerBoundSeconds*0.999,
			"%s (%s, %d clients) finished in %.3f s, under the %.3f s the limits allow", st.Name, st.Mode, st.Clients,
			*st.MakespanSeconds, *st.MakespanLowerBoundSeconds)
	}
}

func TestCompareList(t *testing.T) {
	code, out, _ := runCLI(context.Background(), "compare", "--list")
	require.Equal(t, exitOK, code)
	for _, name := range backoff.Names() {
		assert.Contains(t, out, name)
	}
	assert.Contains(t, out, "max-attempts=3")
}

func TestCompareUsageErrors(t *testing.T) {
	tests := []usageCase{
		{"unknown mode", []string{"--mode", "fast"}, `--mode "fast": want live, sim or both`},
		{"sim needs the mock", []string{"--target", "https://api.example.com", "--model", "m", "--mode", "sim"}, "needs --target mock"},
		{"probe flag", []string{"--stages", "10s:5/s"}, "--stages is a probe flag"},
		{"unknown strategy", []string{"--strategies", "full-jiter"}, `unknown strategy "full-jiter" (did you mean "full-jitter"?)`},
		{"bad parameter", []string{"--strategies", "full-jitter(base=-1s)"}, "parameter base"},
		{"listed twice", []string{"--strategies", "full-jitter,full-jitter"}, "full-jitter is listed twice"},
		{"no clients", []string{"--clients", "0"}, `--clients "0": want client counts`},
		{"clients twice", []string{"--clients", "5,5"}, "5 is listed twice"},
		{"rate without duration", []string{"--rate", "5/s"}, "need both --rate R and --duration D"},
		{"clients with rate", []string{"--rate", "5/s", "--duration", "1s", "--clients", "3"}, "--clients is for clients"},
		{"no requests", []string{"--requests", "0"}, "--requests 0"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"mock flag with a URL", []string{"--target", "https://api.example.com", "--model", "m", "--rpm", "5"}, "--rpm configures the embedded mock"},
	}
	checkUsageErrors(t, runCLI, []string{"compare", "--out", t.TempDir()}, tests)
}

// TestCompareSim: a simulated comparison writes every output, its report re-renders byte for
// byte, the same seed gives the same strategies, and the terminal shows the ranked table.
func TestCompareSim(t *testing.T) {
	dir := t.TempDir()
	args := compareArgs(dir, "600", "10", "--clients", "20,50", "--requests", "5", "--seed", "4",
		"--strategies", "exponential,full-jitter,header-pacing,client-limiter(rpm=600)")
	code, _, stderr := runCLI(context.Background(), args...)
	require.Equal(t, exitOK, code, stderr)
	for _, f := range []string{"run.json", record.AttemptsFile, report.SummaryFile, report.MarkdownFile, report.CSVFile} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	s := readSummary(t, dir)
	require.Len(t, s.Strategies, 8)
	for _, st := range s.Strategies {
		assert.Equal(t, "sim", st.Mode)
		assert.Equal(t, int64(st.Clients*5), st.Requests, st.Name)
		assert.NotEmpty(t, st.Params, st.Name)
	}
	assertBound(t, s)
	// Without jitter the 50-client fleet retries in lock-step waves: summary.json's
	// peak_retries_per_second (100 ms bins) shows it against full jitter.
	peak := map[string]float64{}
	for _, st := range s.Strategies {
		if st.Clients == 50 {
			peak[st.Name] = st.PeakRetriesPerSecond
		}
	}
	assert.Greater(t, peak["exponential"], 2*peak["full-jitter"], "peak retries/s at 50 clients: %v", peak)
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.True(t, run.Target.Simulated)
	assert.False(t, run.Target.Embedded, "no server runs in simulation")
	assert.Len(t, run.Segments, 8)
	assert.Equal(t, "exponential/sim/20", run.Segments[0].Label)
	assert.NotEmpty(t, run.Known)
	for i := 1; i < len(run.Segments); i++ {
		assert.InDelta(t, run.Segments[i-1].EndS, run.Segments[i].StartS, 1e-9, "segments lie end to end")
	}

	testutil.AssertRerender(t, dir)

	// Same seed, same strategies; the terminal ranks them.
	dir2 := t.TempDir()
	args = compareArgs(dir2, "600", "10", "--clients", "20,50", "--requests", "5", "--seed", "4",
		"--strategies", "exponential,full-jitter,header-pacing,client-limiter(rpm=600)")
	code, out, stderr := runCLI(context.Background(), removeArg(args, "--quiet")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, s.Strategies, readSummary(t, dir2).Strategies)
	assert.Contains(t, out, "Strategies (ranked by share of requests served, then makespan)")
	assert.Contains(t, out, "ampl.")
	assert.Contains(t, out, "p95")
	assert.Contains(t, stderr, "[8/8] client-limiter(rpm=600) sim ×50")
}

// removeArg returns args without every occurrence of a.
func removeArg(args []string, a string) []string {
	var out []string
	for _, x := range args {
		if x != a {
			out = append(out, x)
		}
	}
	return out
}

// TestCompareBoundSim: in virtual time no strategy, under a bucket or a window algorithm, beats
// the lower bound summary.json states. (Pacing under 2% 429s and exponential's synchronized
// spikes are checked in sim; the other algorithms run under the build tag long.)
func TestCompareBoundSim(t *testing.T) {
	for _, alg := range []string{"token-bucket", "fixed-window"} {
		t.Run("bound/"+alg, func(t *testing.T) { checkBoundAllStrategies(t, alg) })
	}
}

// checkBoundAllStrategies runs every strategy in virtual time against one algorithm and checks
// that none beats the lower bound.
func checkBoundAllStrategies(t *testing.T, alg string) {
	dir := t.TempDir()
	args := []string{"compare", "--target", "mock", "--rpm", "600", "--window", "5s", "--algorithm", alg,
		"--itpm", "1000000000", "--otpm", "1000000000", "--out", dir, "--quiet",
		"--clients", "50", "--requests", "4", "--strategies", "all", "--seed", "2"}
	code, _, stderr := runCLI(context.Background(), args...)
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, dir)
	require.Len(t, s.Strategies, len(backoff.Names()))
	assertBound(t, s)
}

// TestCompareBoth runs each strategy live against the embedded mock and in virtual time: the two
// agree within 10% on attempts and makespan, neither beats the lower bound, pacing stays under
// 2% 429s live too, and the terminal says how far they agree. A 20/s bucket (burst 10) and 100
// requests keep it to about ten seconds; TestCompareBothTenPerSecond (build tag long) runs the
// issue's 10/s case with more strategies.
func TestCompareBoth(t *testing.T) {
	if testing.Short() {
		t.Skip("live traffic for a few seconds")
	}
	// Live timing on a loaded machine (the race detector, other packages' tests) can lag the
	// schedule for a second; a miss is measured again, up to three runs, and the last run is
	// checked in full.
	var dir, out string
	var s summary.Summary
	for try := 1; try <= 3; try++ {
		dir = t.TempDir()
		args := compareArgs(dir, "1200", "10", "--mode", "both", "--clients", "20", "--requests", "5",
			"--strategies", "header-pacing,client-limiter(rpm=1200)", "--seed", "7")
		code, o, stderr := runCLI(context.Background(), removeArg(args, "--quiet")...)
		require.Equal(t, exitOK, code, stderr)
		out, s = o, readSummary(t, dir)
		misses := disagreements(s, 0.10)
		if len(misses) == 0 {
			break
		}
		t.Logf("run %d: %s", try, strings.Join(misses, "; "))
	}
	require.Len(t, s.Strategies, 4)
	assertBound(t, s)
	assertAgree(t, s, 0.10)
	for _, st := range s.Strategies {
		assert.LessOrEqual(t, float64(st.RateLimited), 0.02*float64(st.Attempts), "%s %s", st.Name, st.Mode)
	}
	assert.Contains(t, out, "Simulation vs live")
	assert.Contains(t, out, "Simulation and live agree within")
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.True(t, run.Target.Embedded)
	assert.True(t, run.Target.Simulated)
	assert.True(t, strings.Contains(strings.Join(s.Findings, " "), "Simulated and live runs agree"))
	testutil.AssertRerender(t, dir)
}

// TestCompareOpenArrivals: --rate and --duration make arrivals open: every strategy gets the
// same arrivals, entries have no client count, and the report re-renders identically.
func TestCompareOpenArrivals(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(context.Background(), compareArgs(dir, "600", "10", "--rate", "20/s", "--duration", "5s",
		"--strategies", "full-jitter,retry-after")...)
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, dir)
	require.Len(t, s.Strategies, 2)
	for _, st := range s.Strategies {
		assert.Equal(t, int64(100), st.Requests, st.Name)
		assert.Zero(t, st.Clients)
	}
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.Equal(t, "full-jitter/sim/open", run.Segments[0].Label)
	assert.Equal(t, "20/s", run.Workload.Rate)
	testutil.AssertRerender(t, dir)
}

// assertAgree checks that every strategy's simulated attempts and makespan are within tol of
// its live ones.
func assertAgree(t *testing.T, s summary.Summary, tol float64) {
	t.Helper()
	as := summary.Agreements(&s)
	require.NotEmpty(t, as)
	for _, a := range as {
		assert.LessOrEqual(t, a.AttemptsDiff, tol, "%s: attempts live %d, sim %d", a.Name, a.LiveAttempts, a.SimAttempts)
		require.True(t, a.HasMakespan, a.Name)
		assert.LessOrEqual(t, a.MakespanDiff, tol, "%s: makespan live %.3f s, sim %.3f s", a.Name, a.LiveMakespan, a.SimMakespan)
	}
}

// disagreements lists the strategies whose simulated attempts or makespan differ from the live
// ones by more than tol.
func disagreements(s summary.Summary, tol float64) []string {
	var out []string
	for _, a := range summary.Agreements(&s) {
		if a.AttemptsDiff > tol || !a.HasMakespan || a.MakespanDiff > tol {
			out = append(out, fmt.Sprintf("%s: attempts live %d, sim %d; makespan live %.3f s, sim %.3f s",
				a.Name, a.LiveAttempts, a.SimAttempts, a.LiveMakespan, a.SimMakespan))
		}
	}
	return out
}

// TestCompareBudget: --max-requests bounds the whole comparison; segments never started are left
// out of run.json, and a run stopped by its budget is complete, not partial.
func TestCompareBudget(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(context.Background(), compareArgs(dir, "600", "10", "--clients", "20", "--requests", "10",
		"--strategies", "full-jitter,exponential", "--max-requests", "150")...)
	require.Equal(t, exitOK, code, stderr)
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.Equal(t, "--max-requests 150 reached", run.StopReason)
	assert.False(t, run.Partial)
	require.Len(t, run.Segments, 1)
	s := readSummary(t, dir)
	require.Len(t, s.Strategies, 1)
	assert.Equal(t, int64(150), s.Totals.Attempts)
}
