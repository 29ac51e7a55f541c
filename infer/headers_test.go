package infer

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
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
	charge := chargeFunc(ratelimit.InputTokens, false, false, false)
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
			ref, ok := headerRefill(tc.tl, ratelimit.InputTokens, hs, charge, nil)
			assert.Equal(t, tc.wantOK, ok)
			if tc.wantOK {
				assert.InDelta(t, tc.rate, ref.rate, 0.1*tc.rate)
			}
		})
	}
}

// TestResetRateNeedsADrawdown: a token budget read near full (remaining rounded to thousands,
// reset a whole-second instant) does not time the refill, so the advertised limit keeps the
// dialect's minute; a budget drawn down does.
func TestResetRateNeedsADrawdown(t *testing.T) {
	const limit = 600_000 // per minute: refills 10,000 per second
	timelineOf := func(deficit func(i int) int64) *timeline {
		tl := &timeline{name: "probe"}
		for i := range 200 {
			d := deficit(i)
			rem := (limit - d) / 1000 * 1000                                        // rounded down to thousands
			e := event{t: 0.05 * float64(i), out: outOK, in: 200, date: math.NaN()} // no Date header, as in the simulator
			e.hdr[ratelimit.InputTokens] = hdrObs{limit: limit, rem: rem,
				resetS: float32(math.Ceil(float64(d) / 10_000)), kind: ratelimit.ResetRFC3339,
				flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
			tl.events = append(tl.events, e)
		}
		return tl
	}
	t.Run("near full", func(t *testing.T) {
		tl := timelineOf(func(i int) int64 { return 200 + int64(i%4)*1000 })
		_, ok := resetRate(tl, ratelimit.InputTokens, headerStats(tl, ratelimit.InputTokens))
		assert.False(t, ok)
	})
	t.Run("drawn down", func(t *testing.T) {
		tl := timelineOf(func(i int) int64 { return 100_000 + int64(i)*1000 })
		rate, ok := resetRate(tl, ratelimit.InputTokens, headerStats(tl, ratelimit.InputTokens))
		require.True(t, ok)
		assert.InDelta(t, 10_000, rate, 0.1*10_000)
	})
}

// resetRoundings are the ways servers round a reset value: up to the second, truncated to it,
// or to the millisecond.
var resetRoundings = []struct {
	name  string
	round func(float64) float64
}{
	{"rounded up", math.Ceil},
	{"truncated", math.Floor},
	{"fractional", func(x float64) float64 { return math.Ceil(x*1000) / 1000 }},
}

// TestResetWindowSpreadsTheRounding: the reset instants of a 10 s window, rounded up or
// truncated to whole seconds (X-RateLimit-Reset), time the window to well within a second: the
// advertised 20 per 10 s reads 120/min, not 20 per 11 s (109/min).
func TestResetWindowSpreadsTheRounding(t *testing.T) {
	for _, tc := range resetRoundings {
		t.Run(tc.name, func(t *testing.T) {
			var obs []resetObs
			const phase, w = 3.37, 10.0
			for k := range 8 {
				if k == 4 {
					continue // a window the client sent nothing in
				}
				end := phase + w*float64(k+1)
				for j := range 5 { // five readings per window, remaining falling
					at := phase + w*float64(k) + 1 + 1.7*float64(j)
					obs = append(obs, resetObs{t: at, at: tc.round(end), rem: int64(20 - 4*j), hasRem: true})
				}
			}
			got, plateaus := resetWindow(obs)
			assert.Equal(t, 7, plateaus)
			assert.InDelta(t, w, got, 0.2)
			assert.Equal(t, w, snap(got))
		})
	}
}

// TestResetRateWhateverTheRounding: a bucket of 20 refilling at 2/s (20 per 10 s) read through
// X-RateLimit-Reset epoch seconds against a truncated Date header: rounded up, truncated or
// fractional, the resets time the refill at 2/s (the period 10 s: 120/min, not 109/min).
func TestResetRateWhateverTheRounding(t *testing.T) {
	for _, tc := range resetRoundings {
		t.Run(tc.name, func(t *testing.T) {
			tl := &timeline{name: "probe"}
			const start = 0.37 // the run's start within its second
			for i := range 120 {
				at := 0.31 * float64(i)
				deficit := 2 + float64(i%15)   // 2 to 16 below the limit of 20
				full := start + at + deficit/2 // when the bucket is full again, at 2/s
				date := math.Floor(start + at) // the Date header, truncated
				reset := tc.round(full) - date // the epoch reset read against it
				e := event{t: at, out: outOK, date: date - start}
				e.hdr[ratelimit.Requests] = hdrObs{limit: 20, rem: 20 - int64(deficit), resetS: float32(reset),
					kind: ratelimit.ResetEpochS, flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
				tl.events = append(tl.events, e)
			}
			rate, ok := resetRate(tl, ratelimit.Requests, headerStats(tl, ratelimit.Requests))
			require.True(t, ok)
			assert.InDelta(t, 2, rate, 0.04)
			assert.Equal(t, 10.0, snap(20/rate))
		})
	}
}
