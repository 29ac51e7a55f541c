package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/probe/record"
)

// refusedURL is a loopback address nothing listens on: every connection is refused.
const refusedURL = "http://127.0.0.1:1/"

// TestNoSuccessExits1: a probe in which no request succeeded exits 1 with one line on stderr
// saying why, and run.json says it failed (it used to exit 0, "completed").
func TestNoSuccessExits1(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI(context.Background(), "probe", "--target", refusedURL, "--rate", "10/s", "--duration", "500ms",
		"--yes", "--quiet", "--out", out)
	require.Equal(t, exitFailure, code, stderr)
	assert.Equal(t, []string{"ratelab: probe: no request succeeded: none of 5 attempts got a 2xx (5 × connection refused)"}, errorLines(stderr))
	run, err := record.ReadRun(out)
	require.NoError(t, err)
	assert.Equal(t, "failed: no request succeeded: none of 5 attempts got a 2xx (5 × connection refused)", run.StopReason)
	testutil.AssertRerender(t, out)
}

// TestDeadTargetStops: a run whose target answers nothing but refused connections or HTML 500s
// stops by itself with exit 1 naming the cause, soon after DeadTargetAfter (10 s), instead of
// retrying for the strategies' 15-minute max elapsed. Each case bounds its own time.
func TestDeadTargetStops(t *testing.T) {
	html500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
	}))
	t.Cleanup(html500.Close)
	scenarioFile := writeScenario(t, "dead.yaml", fmt.Sprintf(`target: {url: %q, api: anthropic, model: claude-haiku-4-5}
phases:
  - compare: {strategies: [full-jitter], clients: 2, requests: 2}
`, refusedURL+"v1/messages"))
	tests := []struct {
		name  string
		args  []string
		cause string
	}{
		{"compare, connection refused", []string{"compare", "--target", refusedURL + "v1/messages", "--api", "anthropic",
			"--model", "claude-haiku-4-5", "--clients", "2", "--requests", "2", "--strategies", "full-jitter", "--yes"}, "× connection refused"},
		{"compare, HTML 500s", []string{"compare", "--target", html500.URL + "/v1/messages", "--api", "anthropic",
			"--model", "claude-haiku-4-5", "--clients", "2", "--requests", "2", "--strategies", "full-jitter", "--yes"}, "× HTTP 500"},
		{"probe with retries, connection refused", []string{"probe", "--target", refusedURL, "--rate", "2/s", "--duration", "1m",
			"--strategy", "full-jitter", "--yes"}, "× connection refused"},
		{"scenario, connection refused", []string{"run", scenarioFile, "--yes"}, "× connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out := filepath.Join(t.TempDir(), "run")
			start := time.Now()
			code, _, stderr := runCLI(ctx, append(tt.args, "--quiet", "--out", out)...)
			took := time.Since(start)
			require.Equal(t, exitFailure, code, "exit code after %s: %s", took, stderr)
			assert.Less(t, took, 45*time.Second, "stops soon after 10 s of nothing but errors")
			assert.GreaterOrEqual(t, took, 10*time.Second, "not before 10 s")
			assert.Contains(t, stderr, "the target answered nothing but errors for ")
			assert.Contains(t, stderr, tt.cause)
			assert.Len(t, errorLines(stderr), 1, "one line: %s", stderr)
			assert.NotContains(t, stderr, "resting", "no rest: no limit was ever seen")
			run, err := record.ReadRun(out)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(run.StopReason, "failed: "), run.StopReason)
			assert.Contains(t, run.StopReason, tt.cause)
			testutil.AssertRerender(t, out)
		})
	}
}

// TestInterruptDuringFind: Ctrl-C 3 s into discovery against the mock, in a burst or in one of
// the rests between bursts, exits 130 and run.json says interrupted, not failed (it used to
// exit 1 with "phases[0] (probe): context canceled"); the partial report re-renders
// identically.
func TestInterruptDuringFind(t *testing.T) {
	for _, after := range []time.Duration{1500 * time.Millisecond, 3 * time.Second} {
		t.Run(after.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), after)
			defer cancel()
			out := filepath.Join(t.TempDir(), "run")
			start := time.Now()
			code, _, stderr := runCLI(ctx, "probe", "--target", "mock", "--rpm", "50", "--find", "--quiet", "--yes", "--out", out)
			require.Equal(t, exitInterrupted, code, stderr)
			assert.Less(t, time.Since(start), after+5*time.Second, "stops within the grace period")
			assert.Equal(t, []string{"ratelab: interrupted; partial results written"}, errorLines(stderr))
			run, err := record.ReadRun(out)
			require.NoError(t, err)
			assert.True(t, run.Partial)
			assert.Equal(t, "interrupted", run.StopReason)
			assert.Contains(t, run.Notes[len(run.Notes)-1], "; interrupted")
			testutil.AssertRerender(t, out)
		})
	}
}

// errorLines is stderr's lines but the warnings a busy machine may add (late starts).
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "ratelab: WARNING: ") {
			out = append(out, l)
		}
	}
	return out
}
