package discover_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/discover/accuracy"
)

// TestDiscoveryCost discovers fifteen representative cases of the accuracy matrix (windows of 1 s,
// 10 s and a minute, with and without headers) in virtual time and fails when one costs more
// than it does today, against the goal of two windows' worth of requests and three windows
// of time (1 is on the goal), or stops passing. The bounds are the costs measured with seed 3
// plus a little room; lower them when discovery gets cheaper. Honest intervals (issue 13 item 11)
// and limit headers that state the rate per minute, not the quota per window, raised the short
// windows' costs (token-bucket/anthropic/600-per-min/1s: 30 requests before, 150 now): discovery
// runs until the interval, not a falsely narrow one, is within its precision.
func TestDiscoveryCost(t *testing.T) {
	bounds := map[string]struct{ requests, seconds float64 }{
		"token-bucket/anthropic/600-per-min/1s":   {2.6, 1.2},  // 50 requests, 3.3 s (150, 11.7 s before the header fast path)
		"token-bucket/none/600-per-min/1s":        {5.7, 2.3},  // 103, 6.2 s
		"token-bucket/anthropic/120-per-min/10s":  {0.95, 0.2}, // 35, 4.7 s (119, 28.6 s)
		"token-bucket/none/120-per-min/10s":       {2.6, 0.8},  // 92, 20.5 s
		"sliding-log/anthropic/600-per-min/10s":   {0.7, 0.4},  // 127, 10.1 s
		"leaky-bucket/none/600-per-min/10s":       {1.2, 0.8},  // 216, 21.3 s
		"token-bucket/anthropic/600-per-min/1m0s": {0.6, 0.1},  // 654, 4.0 s
		"token-bucket/none/600-per-min/1m0s":      {0.6, 0.1},  // 627, 1.8 s
		"sliding-window/none/120-per-min/1m0s":    {1.2, 0.6},  // 266, 85 s
		"fixed-window/anthropic/600-per-min/1m0s": {1.1, 0.55}, // 1,220, 88.9 s (1,824, 149 s)
		// Where the headers agree with every refusal and reopening, the advertised rate is the
		// enforced one (infer's header agreement): 313, 227 and 348 requests at seed 1 before.
		"fixed-window/anthropic/600-per-min/10s":   {1.1, 0.7}, // 210, 19.1 s
		"sliding-window/anthropic/600-per-min/10s": {1.2, 0.8}, // 230, 22.8 s
		"token-bucket/anthropic/120-per-min/1m0s":  {0.7, 0.1}, // 153, 13.0 s
		// Stopping once every rate in the interval is within the tolerance of the estimate
		// (withinTolerance): 573 requests, 68.2 s before.
		"sliding-window/none/600-per-min/10s": {2.2, 1.6}, // 420, 47.1 s
		// And, in a window's saturation, once one reopening is placed sharply rather than
		// two: 137 requests, 48.9 s before.
		"fixed-window/none/120-per-min/10s": {2.7, 1.4}, // 105, 39.0 s
		// Windows of 2 per second under agreeing headers: the pin's fractional rival is only
		// the counter the headers describe, and a counter whose limit header would state another
		// rate is no rival for the class (seed 1: 156, 55 and 224 requests before, 39, 36 and 44
		// now; seed 3 moved the log's only, 119 before). The bucket's class still waits for a
		// counter of 2 per second floor-rounded to mispredict: the headers cannot tell them.
		"token-bucket/anthropic/120-per-min/1s": {27.5, 7.5}, // 108, 21.7 s
		"fixed-window/anthropic/120-per-min/1s": {8.3, 1.8},  // 32, 5.0 s
		"sliding-log/anthropic/120-per-min/1s":  {9.5, 2.3},  // 37, 6.5 s
		// The same for a counter of 20 per 10 s (seed 1: 153 requests before, 42 now; seed 3 63
		// either way).
		"sliding-window/anthropic/120-per-min/10s": {1.6, 0.9}, // 63, 26.6 s
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
			t.Logf("%s: %d requests, %.1f s: %.2f× req, %.2f× time", name, o.Requests, o.Seconds, o.CostRequests, o.CostSeconds)
			assert.True(t, o.Pass, "%v", o.Why)
			assert.LessOrEqual(t, o.CostRequests, b.requests, "%d requests", o.Requests)
			assert.LessOrEqual(t, o.CostSeconds, b.seconds, "%.1f s", o.Seconds)
		})
	}
}
