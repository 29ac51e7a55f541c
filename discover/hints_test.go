package discover_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/discover"
	"github.com/ratelab/ratelab/discover/accuracy"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/sim"
)

// TestBodyRetryHint discovers a fixed window of 20 per 10 s whose refusals carry no
// rate-limit headers, only OpenAI's "Please try again in 4.321s" in the error body: discovery
// reads the hint, comes back when it says (no doubling probes across the idle window), and
// spends fewer rest probes than the same limit without the hint.
func TestBodyRetryHint(t *testing.T) {
	cfg := requestsMock(limiter.FixedWindow, 120, 10*time.Second, "none")
	rests := map[api.API]int{}
	for _, a := range []api.API{api.OpenAI, api.Anthropic} {
		m, err := account.New(cfg, 1)
		require.NoError(t, err)
		target, err := probe.NewTarget(probe.TargetConfig{API: a, URL: "http://mock.invalid",
			Key: "k", Model: "m", MaxTokens: 16, PromptTokens: 32, Seed: 1})
		require.NoError(t, err)
		var log bytes.Buffer
		w := record.NewWriter(&log)
		r, err := sim.New(sim.Options{Requests: target.Requests(), Ledger: m, Records: w, Key: "k", Seed: 1,
			Epoch: accuracy.Epoch, Budget: engine.Budget{}})
		require.NoError(t, err)
		run := &record.Run{Schema: record.RunSchema, Started: accuracy.Epoch,
			Workload: record.Workload{PromptTokens: 32, MaxTokens: 16}}
		rep, err := discover.Run(context.Background(), r, discover.Options{Seed: 1, Run: run})
		require.NoError(t, err)
		require.NoError(t, w.Close())
		hints := 0
		require.NoError(t, record.Scan(&log, func(at *record.Attempt) error {
			if at.Phase == discover.PhaseRest {
				rests[a]++
			}
			if at.Status == 429 && at.HasRetryHint {
				hints++
				assert.False(t, at.HasRetryAfter, "the mock's none dialect writes no retry-after")
			}
			return nil
		}))
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
