package infer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/discover/accuracy"
	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// TestDiscoveryCases discovers a few mocks in virtual time and checks the inferred limits
// against what the mock enforces (the full matrix is the accuracy suite, `go test -tags
// accuracy ./discover/`).
func TestDiscoveryCases(t *testing.T) {
	cases := map[string]accuracy.Case{}
	for _, c := range accuracy.Matrix() {
		cases[c.Name] = c
	}
	for _, name := range []string{
		"token-bucket/anthropic/600-per-min/10s",
		"fixed-window/none/600-per-min/10s",
		"sliding-log/none/600-per-min/10s",
		"leaky-bucket/anthropic/600-per-min/1s",
		"gcra/none/120-per-min/10s",
		"advertised-60-enforced-1-per-s/anthropic",
		"count-rejected/token-bucket/anthropic",
		"output-tokens-precharged/token-bucket/anthropic",
	} {
		t.Run(name, func(t *testing.T) {
			c, ok := cases[name]
			require.True(t, ok, "no such case")
			o, err := accuracy.Run(context.Background(), c, 3)
			require.NoError(t, err)
			assert.True(t, o.Pass, "%s: %s (inferred %+v)", name, strings.Join(o.Why, "; "), o.Limit)
		})
	}
}

func TestGapAndAccountingInWords(t *testing.T) {
	cases := map[string]accuracy.Case{}
	for _, c := range accuracy.Special() {
		cases[c.Name] = c
	}
	o, err := accuracy.Run(context.Background(), cases["advertised-60-enforced-1-per-s/anthropic"], 3)
	require.NoError(t, err)
	assert.Equal(t, "advertised 60/min, enforced as 1/s: bursts above 1 are rejected", o.Limit.Gap)
	require.NotNil(t, o.Limit.AdvertisedPerMinute)
	assert.Equal(t, 60.0, *o.Limit.AdvertisedPerMinute)
	assert.Contains(t, o.Result.Findings, "Requests: advertised 60/min, enforced as 1/s: bursts above 1 are rejected.")

	o, err = accuracy.Run(context.Background(), cases["count-rejected/token-bucket/none"], 3)
	require.NoError(t, err)
	require.NotNil(t, o.Result.Accounting.RejectedCount)
	assert.True(t, *o.Result.Accounting.RejectedCount)
	assert.Contains(t, o.Result.Accounting.Evidence, "Refused attempts consume quota")

	o, err = accuracy.Run(context.Background(), cases["output-tokens-precharged/token-bucket/anthropic"], 3)
	require.NoError(t, err)
	require.NotNil(t, o.Result.Accounting.OutputPrecharged)
	assert.True(t, *o.Result.Accounting.OutputPrecharged)
	require.NotNil(t, o.Result.Binding)
	assert.Equal(t, "output_tokens", o.Result.Binding.Dimension)
}

func TestDeterministic(t *testing.T) {
	c := accuracy.Special()[1] // count-rejected, anthropic headers
	var outs [2][]byte
	for i := range outs {
		o, err := accuracy.Run(context.Background(), c, 5)
		require.NoError(t, err)
		outs[i], err = json.Marshal(o.Result)
		require.NoError(t, err)
	}
	assert.Equal(t, string(outs[0]), string(outs[1]))
}

func TestThinEvidence(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	run := &record.Run{Schema: record.RunSchema, Started: start}
	t.Run("nothing", func(t *testing.T) {
		res := infer.NewAnalyzer(run).Result()
		assert.Nil(t, res.Limits)
		assert.Nil(t, res.Binding)
	})
	t.Run("never refused", func(t *testing.T) {
		a := infer.NewAnalyzer(run)
		for i := range 50 {
			a.Add(&record.Attempt{Run: "probe", Sent: time.Duration(i) * 100 * time.Millisecond, Status: 200, Number: 1})
		}
		res := a.Result()
		require.Len(t, res.Limits, 1)
		l := res.Limits[0]
		assert.Nil(t, l.EffectivePerMinute)
		assert.Nil(t, l.AdvertisedPerMinute)
		assert.Equal(t, summary.AlgoUnknown, l.Algorithm)
		assert.Contains(t, l.Evidence, "No attempt was refused on requests")
		b, err := json.Marshal(l)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"effective_per_minute":null`)
	})
	t.Run("one refusal among three", func(t *testing.T) {
		// Too few attempts to bound the rate from above: the interval's high end is unknown
		// (null), never +Inf, which summary.json could not hold.
		a := infer.NewAnalyzer(run)
		for i, status := range []int{200, 429, 200} {
			a.Add(&record.Attempt{Run: "ramp", Request: int64(i + 1), Number: 1, Scheduled: time.Duration(i) * time.Second / 2,
				Sent: time.Duration(i) * time.Second / 2, Latency: 50 * time.Millisecond, Status: status, Final: true})
		}
		res := a.Result()
		require.Len(t, res.Limits, 1)
		assert.Nil(t, res.Limits[0].EffectiveHigh)
		_, err := json.Marshal(res)
		require.NoError(t, err)
	})
}

// TestMemoryBounded feeds more attempts than a timeline keeps over two compare segments and
// checks that the analysis keeps no more than its cap, and still infers from the prefix.
func TestMemoryBounded(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	run := &record.Run{Schema: record.RunSchema, Started: start}
	for s := range 2 {
		run.Segments = append(run.Segments, record.Segment{Label: fmt.Sprintf("s%d", s), Kind: "compare", Strategy: "x"})
	}
	a := infer.NewAnalyzer(run)
	rng := rand.New(rand.NewPCG(1, 1))
	for s := range 2 {
		l, err := limiter.New(limiter.Config{Algorithm: limiter.TokenBucket, Limit: 600, Window: time.Minute, Burst: 20})
		require.NoError(t, err)
		at := 0.0
		for i := range 30_000 {
			at += rng.ExpFloat64() / 20
			d := l.Allow(start.Add(time.Duration(at*1e9)), 1)
			st := 429
			if d.Allowed {
				st = 200
			}
			a.Add(&record.Attempt{Run: fmt.Sprintf("s%d", s), Strategy: "x", Request: int64(i), Number: 1, Sent: time.Duration(at * 1e9), Status: st})
		}
	}
	// Each timeline keeps its first 20,000, trimming when it holds twice that.
	assert.LessOrEqual(t, infer.StoredEvents(a), 2*2*20_000)
	res := a.Result()
	require.NotEmpty(t, res.Limits)
	l := res.Limits[0]
	require.NotNil(t, l.EffectivePerMinute, l.Evidence)
	assert.InDelta(t, 600, *l.EffectivePerMinute, 6)
	assert.Contains(t, l.Evidence, "from compare segment")
	assert.Contains(t, l.Evidence, "attempts of the timeline were analysed")
}

// TestVariantsHoldTheTruth discovers a real-world variant of each kind in virtual time and
// checks that the reported interval holds the rate the mock enforces, the effective rate is
// within tolerance and every advertised figure is its limit header per the dialect's period:
// a sliding window counter rounding the previous window's share to the nearest unit (reported
// as "enforced 114.5/min (114.5–114.5)" for a true 120/min), one keeping it fractional (which
// enforces 114/min), a fixed window opened by the first request, resets truncated or
// fractional, token remaining exact, and X-RateLimit resets, whose dialect states no period
// (20 per 10 s once read as 109/min).
func TestVariantsHoldTheTruth(t *testing.T) {
	cases := map[string]accuracy.Case{}
	for _, c := range accuracy.Variants() {
		cases[c.Name] = c
	}
	names := []string{
		"sliding-window-round-half-up/none/120-per-min/10s",
		"sliding-window-round-half-up/anthropic/600-per-min/10s",
		"sliding-window-fractional/anthropic/120-per-min/10s",
		"fixed-window-first-request/anthropic/600-per-min/1s",
		"token-bucket/x-ratelimit/reset-truncate/120-per-min/10s",
		"fixed-window/x-ratelimit/120-per-min/10s",
		"sliding-window/ietf/reset-fractional/120-per-min/10s",
		"tier-1-defaults/token-bucket/anthropic/remaining-exact/reset-truncate",
		"output-tokens-bind/token-bucket/anthropic/remaining-exact",
	}
	if raceEnabled || testing.Short() {
		names = []string{names[1], names[3], names[4]} // the quickest three
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, ok := cases[name]
			require.True(t, ok, "no such case")
			o, err := accuracy.Run(context.Background(), c, 1)
			require.NoError(t, err)
			l := o.Limit
			require.NotNil(t, l.EffectivePerMinute, "%s", l.Evidence)
			require.NotNil(t, l.EffectiveLow)
			require.NotNil(t, l.EffectiveHigh)
			assert.True(t, o.Covered, "enforced %v/min, reported %v (%v–%v): %s", o.Truth.PerMinute,
				*l.EffectivePerMinute, *l.EffectiveLow, *l.EffectiveHigh, l.Evidence)
			assert.True(t, o.RateOK, "effective %v/min, enforced %v/min (±%.0f%%)", *l.EffectivePerMinute, o.Truth.PerMinute, 100*o.Tolerance)
			assert.True(t, o.AdvertisedOK, "%v", o.AdvertisedWhy)
		})
	}
}
