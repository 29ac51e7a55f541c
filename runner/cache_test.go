package runner

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
)

// TestCachePrefixLiveAndSim: a cache-prefixed workload under the anthropic preset reads and
// writes the prompt cache alike on the embedded mock and in the simulator: every admitted
// request reports its 50 prompt tokens as input and its 2,000-token prefix as read or written,
// and the two modes read it about as often (the same requests miss by the seed; only the
// first writes of the shared prefix depend on timing).
func TestCachePrefixLiveAndSim(t *testing.T) {
	s := load(t, "target: {api: anthropic}\nmock: {preset: anthropic}\n"+
		"workload: {prompt_tokens: 50, max_tokens: 8, cache_prefix_tokens: 2000, cache_hit_ratio: 0.75}\n"+
		"phases:\n  - compare: {strategies: [full-jitter], clients: 2, requests: 20, mode: both}\nseed: 1\n")
	o := run(context.Background(), s)
	require.NoError(t, o.err, o.stderr)
	reads := map[string]int{}
	for _, a := range attempts(t, s.Output.Dir) {
		require.Equal(t, 200, a.Status, "%s: %s", a.Mode, a.Error)
		assert.Equal(t, int64(50), a.InputTokens, a.Mode)
		assert.Equal(t, int64(2000), a.CacheReadTokens+a.CacheCreationTokens, a.Mode)
		if a.CacheReadTokens > 0 {
			reads[a.Mode]++
		}
	}
	t.Logf("cache reads of 40 requests: live %d, sim %d", reads[record.ModeLive], reads[record.ModeSim])
	assert.InDelta(t, 30, reads[record.ModeLive], 8, "about 75% read the cache live")
	assert.InDelta(t, reads[record.ModeLive], reads[record.ModeSim], 2, "sim reads as often as live")
}
