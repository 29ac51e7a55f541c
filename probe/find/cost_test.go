package find_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/probe/find/accuracy"
)

// TestDiscoveryCost discovers representative cases of the accuracy matrix (windows of 1 s,
// 10 s and a minute, with and without headers) in virtual time and fails when one costs more
// than it does today, against the goal of two windows' worth of requests and three windows
// of time (1 is on the goal), or stops passing. The bounds are the costs measured with seed 3
// plus a little room; lower them when discovery gets cheaper.
func TestDiscoveryCost(t *testing.T) {
	bounds := map[string]struct{ requests, seconds float64 }{
		"token-bucket/anthropic/600-per-min/1s":   {1.7, 0.6}, // 30 requests, 1.3 s
		"token-bucket/none/600-per-min/1s":        {2.3, 0.9}, // 41, 2.2 s
		"token-bucket/anthropic/120-per-min/10s":  {1.0, 0.3}, // 35, 4.7 s
		"token-bucket/none/120-per-min/10s":       {1.0, 0.3}, // 38, 4.2 s
		"sliding-log/anthropic/600-per-min/10s":   {0.7, 0.4}, // 127, 10.1 s
		"leaky-bucket/none/600-per-min/10s":       {0.6, 0.4}, // 109, 10.7 s
		"token-bucket/anthropic/600-per-min/1m0s": {0.6, 0.1}, // 654, 4.0 s
		"token-bucket/none/600-per-min/1m0s":      {0.6, 0.1}, // 627, 1.7 s
		"sliding-window/none/120-per-min/1m0s":    {0.8, 0.4}, // 161, 62 s
		"fixed-window/anthropic/600-per-min/1m0s": {1.1, 0.7}, // 1,220, 113 s
	}
	cases := map[string]accuracy.Case{}
	for _, c := range accuracy.Matrix() {
		if _, ok := bounds[c.Name]; ok {
			cases[c.Name] = c
		}
	}
	require.Len(t, cases, len(bounds), "a case named here is missing from the matrix")
	for name, b := range bounds {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, err := accuracy.Run(context.Background(), cases[name], 3)
			require.NoError(t, err)
			assert.True(t, o.Pass, "%v", o.Why)
			assert.LessOrEqual(t, o.CostRequests, b.requests, "%d requests", o.Requests)
			assert.LessOrEqual(t, o.CostSeconds, b.seconds, "%.1f s", o.Seconds)
		})
	}
}
