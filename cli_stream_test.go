package main

import (
	"context"
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
