package discover_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/discover/accuracy"
	"github.com/ratelab/ratelab/summary"
)

// TestHeaderAgreement: where the requests headers agree with every refusal and reopening, the
// advertised rate is taken as the enforced one and discovery stops within its goal (a 20 per
// 10 s bucket: 35 requests rather than about a hundred); where they do not (advertised 60/min,
// enforced as 1 per second, refused while remaining says 59), the interval stays the
// behaviour's, the gap is said, and no sentence claims the headers agree.
func TestHeaderAgreement(t *testing.T) {
	cases := map[string]accuracy.Case{}
	for _, c := range accuracy.Matrix() {
		cases[c.Name] = c
	}
	t.Run("agree", func(t *testing.T) {
		t.Parallel()
		o, err := accuracy.Run(context.Background(), cases["token-bucket/anthropic/120-per-min/10s"], 1)
		require.NoError(t, err)
		assert.True(t, o.Pass, "%v", o.Why)
		assert.Equal(t, summary.AlgoTokenBucket, o.Limit.Algorithm)
		assert.Contains(t, o.Limit.Evidence, "The headers agree with every refusal and reopening")
		assert.Contains(t, o.Limit.Evidence, "the advertised 120/min")
		assert.LessOrEqual(t, *o.Limit.EffectiveHigh-*o.Limit.EffectiveLow, 1.0, "the interval is the limit header's precision")
		assert.True(t, o.WithinBudget(), "%.2f× requests, %.2f× time", o.CostRequests, o.CostSeconds)
	})
	t.Run("disagree", func(t *testing.T) {
		t.Parallel()
		o, err := accuracy.Run(context.Background(), cases["advertised-60-enforced-1-per-s/anthropic"], 1)
		require.NoError(t, err)
		assert.True(t, o.Pass, "%v", o.Why)
		assert.NotContains(t, o.Limit.Evidence, "The headers agree")
		assert.NotEmpty(t, o.Limit.Gap)
		assert.Greater(t, *o.Limit.EffectiveHigh-*o.Limit.EffectiveLow, 1.0, "the interval is the behaviour's")
	})
}
