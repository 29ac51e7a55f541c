package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStreamProbeFaults: a streamed probe against the embedded mock with stream faults records
// each failure as its own outcome, counted in totals.stream_errors and the streaming section.
func TestStreamProbeFaults(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(context.Background(), "probe", "--target", "mock", "--stream", "--rate", "40/s", "--duration", "1s",
		"--ttft", "20ms", "--output-tps", "1000", "--rpm", "6000", "--stream-error-rate", "0.3", "--stream-close-rate", "0.3",
		"--stream-stall-rate", "0.2", "--stream-idle-timeout", "200ms", "--seed", "5", "--out", dir, "--quiet", "--yes")
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, dir)
	require.NotNil(t, s.Streaming)
	require.NotNil(t, s.Totals.StreamErrors)
	kinds := map[string]int64{}
	for _, f := range s.Streaming.Failures {
		kinds[f.Kind] = f.Count
	}
	assert.Positive(t, kinds["overloaded_error"])
	assert.Positive(t, kinds["closed"])
	assert.Positive(t, kinds["stalled"])
	assert.Equal(t, kinds["overloaded_error"]+kinds["closed"]+kinds["stalled"], *s.Totals.StreamErrors)
	assert.Equal(t, s.Totals.Attempts, s.Totals.OK+s.Totals.RateLimited+s.Totals.Overloaded+s.Totals.Errors+*s.Totals.StreamErrors)
	assert.Equal(t, s.Streaming.Completed, s.Totals.OK)
}

// TestStreamPerComparePhase: a compare phase's stream overrides the workload's, so one scenario
// runs streamed and non-streamed traffic side by side (here in virtual time).
func TestStreamPerComparePhase(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`mock:
  ttft: 100ms
  output_tps: 200
workload:
  max_tokens: 40
phases:
  - compare: {strategies: [anthropic-sdk], clients: [4], requests: 3, mode: sim, stream: true}
  - compare: {strategies: [full-jitter], clients: [4], requests: 3, mode: sim}
`), 0o644))
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(context.Background(), "run", file, "--quiet", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, out)
	require.Len(t, s.Strategies, 2)
	streamed, plain := s.Strategies[0], s.Strategies[1]
	require.NotNil(t, streamed.TTFT.V)
	assert.InDelta(t, 0.1, streamed.TTFT.V.P50, 0.001, "the mock's ttft in virtual time")
	assert.False(t, plain.TTFT.On, "the non-streamed phase has no stream figures")
	require.NotNil(t, plain.Latency)
	assert.InDelta(t, 0.1+39.0/200, plain.Latency.P50, 0.01, "a non-streamed body arrives with its last token")
}
