package infer

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/probe/ratelimit"
)

// TestHeaderRefillNeedsADrawdown checks that rounded token readings which never leave a few
// thousands below full give no refill line (they would fit the rounding and measure the run's
// own consumption), while a budget drawn well down does.
func TestHeaderRefillNeedsADrawdown(t *testing.T) {
	const cost = 32 // input tokens per request
	timelineOf := func(limit int64, rem func(i int, taken int64) int64) *timeline {
		tl := &timeline{name: "probe"}
		taken := int64(0)
		for i := range 400 {
			taken += cost
			e := event{t: 0.25 * float64(i), out: outOK, in: cost}
			r := rem(i, taken)
			e.hdr[ratelimit.InputTokens] = hdrObs{limit: limit, rem: r / 1000 * 1000,
				flags: ratelimit.HasLimit | ratelimit.HasRemaining}
			tl.events = append(tl.events, e)
		}
		return tl
	}
	charge := chargeFunc(ratelimit.InputTokens, false, false)
	for _, tc := range []struct {
		name   string
		tl     *timeline
		wantOK bool
		rate   float64 // per second, when wantOK
	}{
		{"a vast budget that sits full", timelineOf(1_000_000_000, func(_ int, taken int64) int64 {
			// Usage at most 3,500 below full (what the run took in a window): the rounded readings
			// move a step or three.
			return 1_000_000_000 - min(taken, 3500)
		}), false, 0},
		{"a budget drawn down and refilling at 10/s", timelineOf(100_000, func(i int, taken int64) int64 {
			return 100_000 - taken + int64(10*0.25*float64(i))
		}), true, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := headerStats(tc.tl, ratelimit.InputTokens)
			ref, ok := headerRefill(tc.tl, ratelimit.InputTokens, hs, charge)
			assert.Equal(t, tc.wantOK, ok)
			if tc.wantOK {
				assert.InDelta(t, tc.rate, ref.rate, 0.1*tc.rate)
			}
		})
	}
}
