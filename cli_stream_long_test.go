//go:build long

package main

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/summary"
)

// streamCompareArgs is a streaming comparison of 20 clients against the embedded mock, with
// output tokens binding (Anthropic's actual accounting: charged as generated).
func streamCompareArgs(dir string, more ...string) []string {
	return append([]string{"compare", "--target", "mock", "--stream", "--mode", "both", "--clients", "20",
		"--strategies", "anthropic-sdk", "--rpm", "6000", "--out", dir, "--quiet", "--yes"}, more...)
}

// assertStreamAgree checks the sim-versus-live agreement on a streaming compare:
// attempts within 5%, makespan within 10%, median TTFT within 10%.
func assertStreamAgree(t *testing.T, s summary.Summary) {
	t.Helper()
	ttft := map[string]float64{}
	for _, st := range s.Strategies {
		require.NotNil(t, st.TTFT.V, "%s %s: no ttft_seconds", st.Name, st.Mode)
		require.NotNil(t, st.OutputTPS.V, "%s %s: no output_tokens_per_second", st.Name, st.Mode)
		require.Positive(t, st.RateLimited, "%s %s: the output-token limit never bound", st.Name, st.Mode)
		ttft[st.Name+"/"+st.Mode] = st.TTFT.V.P50
	}
	as := summary.Agreements(&s)
	require.NotEmpty(t, as)
	for _, a := range as {
		t.Logf("%s: attempts live %d sim %d; makespan live %.3f s sim %.3f s; ttft p50 live %.4f s sim %.4f s",
			a.Name, a.LiveAttempts, a.SimAttempts, a.LiveMakespan, a.SimMakespan, ttft[a.Name+"/live"], ttft[a.Name+"/sim"])
		assert.LessOrEqual(t, a.AttemptsDiff, 0.05, "%s: attempts live %d, sim %d", a.Name, a.LiveAttempts, a.SimAttempts)
		require.True(t, a.HasMakespan, a.Name)
		assert.LessOrEqual(t, a.MakespanDiff, 0.10, "%s: makespan live %.3f s, sim %.3f s", a.Name, a.LiveMakespan, a.SimMakespan)
		live, sim := ttft[a.Name+"/live"], ttft[a.Name+"/sim"]
		assert.LessOrEqual(t, math.Abs(live-sim)/live, 0.10, "%s: median ttft live %.4f s, sim %.4f s", a.Name, live, sim)
	}
}

// TestStreamCompareRealistic: the agreement case at realistic speeds (about two minutes
// live; time-compressed versions with a 2 s window vary by ±15% in makespan from seed to seed,
// live and simulated alike): a Sonnet-class model's TTFT 0.8 ± 0.3 s and 60 ± 15 tokens/s (Artificial Analysis
// medians, streaming-research.md §5), 300 output tokens, 8,000 output tokens/min (Anthropic
// Tier 1), 20 clients × 5 requests.
func TestStreamCompareRealistic(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(context.Background(), streamCompareArgs(dir, "--requests", "5", "--seed", "7",
		"--ttft", "800ms", "--ttft-jitter", "300ms", "--output-tps", "60", "--output-tps-jitter", "15",
		"--max-tokens", "300", "--otpm", "8000")...)
	require.Equal(t, exitOK, code, stderr)
	assertStreamAgree(t, readSummary(t, dir))
}
