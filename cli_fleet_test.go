package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/redistest"
	"github.com/ratelab/ratelab/summary"
)

// TestCompareSharedLimiter compares, live and simulated, clients that back off each on their
// own with clients sharing one limiter in Redis: the shared limiter's simulation (its store
// round trip modelled) agrees with the live run within 10%, and live it is hardly ever refused
// while the uncoordinated clients are refused over and over.
func TestCompareSharedLimiter(t *testing.T) {
	if testing.Short() {
		t.Skip("live traffic for a few seconds")
	}
	srv := redistest.Start(t)
	dir := t.TempDir()
	shared := "client-limiter(rpm=1200,burst=5,store=" + srv.URL + ",key=" + strings.ReplaceAll(t.Name(), "/", "-") + ",rtt=300us)"
	args := compareArgs(dir, "1200", "10", "--mode", "both", "--clients", "20", "--requests", "5",
		"--strategies", "full-jitter,"+shared, "--seed", "7")
	code, _, stderr := runCLI(context.Background(), args...)
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, dir)
	require.Len(t, s.Strategies, 4)
	assertBound(t, s)
	label := "client-limiter(rpm=1200,burst=5,store=" + srv.Addr
	var agreed bool
	for _, a := range summary.Agreements(&s) {
		if !strings.HasPrefix(a.Name, label) {
			continue
		}
		agreed = true
		assert.LessOrEqual(t, a.AttemptsDiff, 0.10, "attempts live %d, sim %d", a.LiveAttempts, a.SimAttempts)
		require.True(t, a.HasMakespan)
		assert.LessOrEqual(t, a.MakespanDiff, 0.10, "makespan live %.3f s, sim %.3f s", a.LiveMakespan, a.SimMakespan)
	}
	require.True(t, agreed, "no sim-vs-live row for %s", label)
	var sharedLive, aloneLive *summary.Strategy
	for i, st := range s.Strategies {
		if st.Mode != "live" {
			continue
		}
		if st.Name == "full-jitter" {
			aloneLive = &s.Strategies[i]
		} else {
			sharedLive = &s.Strategies[i]
		}
	}
	require.NotNil(t, sharedLive)
	require.NotNil(t, aloneLive)
	assert.LessOrEqual(t, float64(sharedLive.RateLimited), 0.05*float64(sharedLive.Attempts), "the shared limiter keeps the fleet under the limit")
	assert.Greater(t, aloneLive.RateLimited, 5*max(sharedLive.RateLimited, 1), "uncoordinated clients are refused far more often")
	assert.NotContains(t, strings.Join(s.Findings, " "), "redis://", "no store URL in the report")
}
