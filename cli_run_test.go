package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
)

// writeScenario writes a scenario file into a fresh directory and returns its path.
func writeScenario(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	return p
}

// simScenario compares one strategy in virtual time with a threshold on its amplification.
const simScenario = `name: sim-check
mock: {limits: {requests: {per_minute: 600, burst: 10}}}
phases:
  - probe: {find: true, mode: sim}
  - compare: {strategies: [retry-after], clients: 10, requests: 5, mode: sim}
expect:
  limits: {requests: {effective_per_minute: {within: 10%%, of: 600}}}
  strategies:
    retry-after: {failed: 0, amplification: %q}
`

func TestRunThresholds(t *testing.T) {
	tests := []struct {
		name     string
		cond     string
		wantCode int
	}{
		{"pass", "< 100", exitOK},
		{"fail", "< 1", exitThreshold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeScenario(t, "s.yaml", fmt.Sprintf(simScenario, tt.cond))
			out := filepath.Join(t.TempDir(), "run")
			code, stdout, stderr := runCLI(context.Background(), "run", file, "--out", out, "--seed", "9")
			require.Equal(t, tt.wantCode, code, stderr)
			assert.Contains(t, stdout, "Thresholds:")
			assert.Contains(t, stdout, "ok   requests effective per minute")
			md, err := os.ReadFile(filepath.Join(out, report.MarkdownFile))
			require.NoError(t, err)
			assert.Contains(t, string(md), "## Thresholds")
			run, err := record.ReadRun(out)
			require.NoError(t, err)
			assert.Equal(t, int64(9), run.Seed, "--seed overrides the file")
			assert.Equal(t, "run", run.Command)
			if tt.wantCode == exitThreshold {
				assert.Contains(t, stderr, "1 threshold(s) failed")
				assert.Contains(t, stderr, "FAIL retry-after (sim, 10 clients) amplification")
				assert.Contains(t, string(md), "**FAIL** retry-after (sim, 10 clients) amplification")
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	bad := writeScenario(t, "bad.yaml", "phases:\n  - probe:\n      stagez: 1\n  - compare: {strategies: [full-jiter]}\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"every problem with its position", []string{bad}, []string{
			"run: invalid scenario:\n",
			bad + ":1:1: target: missing: give target.url (a real API) or mock: (the embedded mock server)",
			bad + `:3:7: phases[0].probe: unknown field "stagez"; did you mean "stages"?`,
			bad + `:4:28: phases[1].compare.strategies[0].name: unknown strategy "full-jiter"; did you mean "full-jitter"?`,
		}},
		{"unknown bundled name", []string{"quikstart"}, []string{`did you mean "quickstart"?`}},
		{"two scenarios", []string{"a", "b"}, []string{"want at most one SCENARIO, got 2 arguments"}},
		{"negative budget", []string{"no-headers", "--max-requests", "-1"}, []string{"--max-requests: must not be negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(context.Background(), append([]string{"run", "--out", t.TempDir()}, tt.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			for _, w := range tt.want {
				assert.Contains(t, stderr, w)
			}
		})
	}
}

// TestRunInterrupted: Ctrl-C during a scenario's live phase exits 130 after writing run.json,
// summary.json and report.md marked partial, with whole lines in the attempt log.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	var keys atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") == probeKey {
			keys.Add(1)
		}
		if n.Add(1) == 4 {
			cancel()
		}
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"usage":{"input_tokens":8,"output_tokens":2}}`)
	}))
	defer srv.Close()
	file := writeScenario(t, "live.yaml", fmt.Sprintf(`target: {url: %q, api: anthropic, model: m}
phases:
  - probe: {rate: 20/s, duration: 10s}
  - compare: {strategies: [none], clients: 2, requests: 5}
`, srv.URL))
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(ctx, "run", file, "--out", out)
	assert.Equal(t, exitInterrupted, code, stderr)
	assert.Contains(t, stderr, "interrupted; partial results written")
	s := readSummary(t, out)
	assert.True(t, s.Partial)
	assert.True(t, s.Totals.Partial)
	assert.Equal(t, "interrupted", s.Totals.StopReason)
	b, err := os.ReadFile(filepath.Join(out, record.AttemptsFile))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(b), "\n"), "whole lines only")
	assert.EqualValues(t, n.Load(), strings.Count(string(b), "\n"))
	assert.EqualValues(t, n.Load(), keys.Load(), "the key from ANTHROPIC_API_KEY was sent")
	assert.FileExists(t, filepath.Join(out, report.MarkdownFile))
	testutil.AssertNoSecret(t, "SECRET", out, stdout, stderr)
}

// TestNoKeyInHelpOrErrors: the key in the environment appears in no help text and no error.
func TestNoKeyInHelpOrErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--help"}, {"probe", "--help"}, {"compare", "--help"}, {"mock", "--help"},
		{"probe", "--target", "https://api.example.invalid", "--model", "m", "--rate", "1/s", "--duration", "1m"},
		{"compare", "--target", "https://api.example.invalid", "--model", "m"},
		{"probe", "--target", "https://api.anthropic.com", "--api-key-env", probeKey, "--model", "m"},
		{"run", writeScenario(t, "r.yaml", "target: {url: 'https://api.example.invalid', model: m}\n")},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			_, stdout, stderr := runCLI(context.Background(), args...)
			testutil.AssertNoSecret(t, "SECRET", "", stdout, stderr)
		})
	}
}
