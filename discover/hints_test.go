package discover_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/discover"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/limiter"
)

// TestBodyRetryHint discovers a fixed window of 20 per 10 s whose refusals carry no
// rate-limit headers, only OpenAI's "Please try again in 4.321s" in the error body: discovery
// reads the hint, comes back when it says (no doubling probes across the idle window), and
// spends fewer rest probes than the same limit without the hint.
func TestBodyRetryHint(t *testing.T) {
	cfg := requestsMock(limiter.FixedWindow, 120, 10*time.Second, "none")
	rests := map[api.API]int{}
	for _, a := range []api.API{api.OpenAI, api.Anthropic} {
		vr := newSimAPI(t, cfg, engine.Budget{}, a)
		rep, err := discover.Run(context.Background(), vr, discover.Options{Seed: 1, Run: vr.run})
		require.NoError(t, err)
		hints := 0
		for _, at := range vr.records(t) {
			if at.Phase == discover.PhaseRest {
				rests[a]++
			}
			if at.Status == 429 && at.HasRetryHint {
				hints++
				assert.False(t, at.HasRetryAfter, "the mock's none dialect writes no retry-after")
			}
		}
		require.NotNil(t, rep.Requests, "%s: no requests limit", a)
		require.NotNil(t, rep.Requests.EffectivePerMinute)
		assert.InEpsilon(t, 120, *rep.Requests.EffectivePerMinute, 0.05, "%s", a)
		if a == api.OpenAI {
			assert.Positive(t, hints, "OpenAI's refusals name a wait in their body")
		} else {
			assert.Zero(t, hints, "Anthropic's refusals name none")
		}
		t.Logf("%s: %d attempts, %d rest probes, %.1f s", a, rep.Attempts, rests[a], rep.Elapsed.Seconds())
	}
	assert.Less(t, rests[api.OpenAI], rests[api.Anthropic], "the body's hint saves rest probes")
}
