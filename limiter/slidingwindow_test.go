package limiter

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSlidingWindowTable(t *testing.T) {
	const s = time.Second
	const ms = time.Millisecond
	runCases(t, SlidingWindow, []stepCase{
		{
			// Cloudflare's worked example: 50 per minute, 42 in the previous minute, 18 in this
			// one, 15 s into it: rate = 42·(60−15)/60 + 18 = 49.5. (TestSlidingWindowCloudflareEstimate
			// checks the 49.5 itself.) The 18 can only have been admitted once
			// floor(42·(60−e)/60) + 18 <= 50, i.e. from e = 12.86 s, so they come at e = 14.5 s.
			name: "Cloudflare example 50 per minute",
			cfg:  Config{Limit: 50, Window: time.Minute},
			steps: []step{
				{name: "42 in the previous minute", at: 30 * s, op: allow, cost: 42, want: ok(50, 8, 90*s)},
				// floor(42·45.5/60) = floor(31.85) = 31: remaining 50 − 18 − 31.
				{name: "18 at 14.5s into this minute", at: 74500 * ms, op: allow, cost: 18, want: ok(50, 1, 105500*ms)},
				{name: "rate 49.5 leaves room for one", at: 75 * s, op: peek, want: ok(50, 1, 105*s)},
				{name: "floor(31.5) + 18 + 1 = 50 passes", at: 75 * s, op: allow, cost: 1, want: ok(50, 0, 105*s)},
				// floor(42·(60−x)/60) + 19 + 1 <= 50 ⇔ 42·(60−x) < 31·60 ⇔ x > 15.714285714… s.
				{name: "the next is denied", at: 75 * s, op: allow, cost: 1, want: no(50, 0, 105*s, 714285715)},
				{name: "1ns before retry-after", at: 75*s + 714285714, op: allow, cost: 1, want: no(50, 0, 105*s-714285714, 1)},
				{name: "at retry-after", at: 75*s + 714285715, op: allow, cost: 1, want: ok(50, 0, 105*s-714285715)},
			},
		},
		{
			name: "retry-after lands in the next window",
			cfg:  Config{Limit: 10, Window: 10 * s},
			steps: []step{
				{name: "10 at 5s", at: 5 * s, op: allow, cost: 10, want: ok(10, 0, 15*s)},
				// Next window: floor(10·(10−x)/10) + 1 <= 10 ⇔ x > 0, so 1 ns after 10 s.
				{name: "denied until just after 10s", at: 6 * s, op: allow, cost: 1, want: no(10, 0, 14*s, 4*s+1)},
				{name: "at 10s the share is still whole", at: 10 * s, op: allow, cost: 1, want: no(10, 0, 10*s, 1)},
				{name: "1ns after 10s", at: 10*s + 1, op: allow, cost: 1, want: ok(10, 0, 20*s-1)},
				// floor(10·(10−x)/10) + 1 + 1 <= 10 ⇔ x > 1 s.
				{name: "an earlier instant counts as the last seen", at: 2 * s, op: allow, cost: 1, want: no(10, 0, 20*s-1, 1*s)},
				{name: "cost above limit: until the estimate is zero", at: 11 * s, op: allow, cost: 11, want: no(10, 0, 19*s, 19*s)},
				{name: "zero after two idle windows", at: 30 * s, op: peek, want: ok(10, 10, 0)},
				{name: "cost above limit when zero: one window", at: 30 * s, op: allow, cost: 11, want: no(10, 10, 0, 10*s)},
			},
		},
		{
			// The worst case: Limit at the very end of one window, then Limit·e/Window more at
			// e into the next, and one more as soon as the whole share drops; here 10 + 5 + 1 = 16
			// pass within (5s+1ns, 15s+1ns], a single window length.
			name: "up to L + L·e/W + 1 in one window length",
			cfg:  Config{Limit: 10, Window: 10 * s},
			steps: []step{
				{name: "10 at the last nanosecond", at: 10*s - 1, op: allow, cost: 10, want: ok(10, 0, 10*s+1)},
				{name: "5 more halfway through the next", at: 15 * s, op: allow, cost: 5, want: ok(10, 0, 15*s)},
				{name: "and no more while the share is 5", at: 15 * s, op: allow, cost: 1, want: no(10, 0, 15*s, 1)},
				{name: "one more when it drops to 4", at: 15*s + 1, op: allow, cost: 1, want: ok(10, 0, 15*s-1)},
			},
		},
		{
			name: "charge and refund: current window first, then previous",
			cfg:  Config{Limit: 10, Window: 10 * s},
			steps: []step{
				{name: "charge 8 in the first window", at: 0, op: charge, cost: 8},
				{name: "charge 4 at 10s", at: 10 * s, op: charge, cost: 4},
				// floor(8·(10−x)/10) + 4 <= 10 ⇔ 8·(10−x) < 70 ⇔ x > 1.25 s.
				{name: "rate 8 + 4 = 12", at: 10 * s, op: peek, want: no(10, 0, 20*s, 1250*ms+1)},
				{name: "refund 6: 4 from this window, 2 from the last", at: 10 * s, op: charge, cost: -6},
				{name: "rate 6", at: 10 * s, op: allow, cost: 4, want: ok(10, 0, 20*s)},
				{name: "refund 100 stops at zero", at: 10 * s, op: charge, cost: -100},
				{name: "zero", at: 10 * s, op: peek, want: ok(10, 10, 0)},
			},
		},
	})
}

func TestSlidingWindowCloudflareEstimate(t *testing.T) {
	l, err := New(Config{Algorithm: SlidingWindow, Limit: 50, Window: time.Minute})
	require.NoError(t, err)
	require.True(t, l.Allow(t0.Add(30*time.Second), 42).Allowed)
	require.True(t, l.Allow(t0.Add(74500*time.Millisecond), 18).Allowed)
	w := l.(*slidingWindow)
	at := t0.Add(75 * time.Second).UnixNano()
	weighted := w.weighted(at)
	require.Zero(t, weighted.Hi)
	// rate = prev·(W − elapsed)/W + curr = 42·45/60 + 18 = 31.5 + 18
	assert.Equal(t, uint64(42*45*time.Second), weighted.Lo)
	rate := float64(weighted.Lo)/float64(time.Minute) + float64(w.curr)
	assert.Equal(t, 49.5, rate)
}

// A saturated counter sustains exactly Limit per Window when the share is rounded (down or
// half up), and Limit − 1 when it is kept fractional: the previous window's share never reaches
// zero before the window ends.
func TestSlidingWindowSustainsTheLimit(t *testing.T) {
	for _, rounding := range CounterRoundings {
		for _, limit := range []int64{1, 2, 10, 50} {
			l, err := New(Config{Algorithm: SlidingWindow, Limit: limit, Window: 10 * time.Second, Rounding: rounding})
			require.NoError(t, err)
			perWindow := map[int64]int64{}
			for at := time.Duration(0); at < 100*time.Second; at += time.Millisecond {
				if l.Allow(t0.Add(at), 1).Allowed {
					perWindow[int64(at/(10*time.Second))]++
				}
			}
			for w := int64(2); w < 9; w++ {
				switch {
				case rounding != RoundFractional:
					assert.Equal(t, limit, perWindow[w], "%s, limit %d, window %d", rounding, limit, w)
				case limit == 1: // the one admitted leaves a share all through the next window
					assert.Equal(t, int64(1), perWindow[w]+perWindow[w+1], "%s, limit 1, windows %d and %d", rounding, w, w+1)
				default:
					assert.Equal(t, limit-1, perWindow[w], "%s, limit %d, window %d", rounding, limit, w)
				}
			}
		}
	}
}

// TestSlidingWindowRoundings: Cloudflare's example (50 per minute, 42 in the previous minute,
// 18 in this one) under each rounding: where the next request passes and what Remaining says.
func TestSlidingWindowRoundings(t *testing.T) {
	const s = time.Second
	const ms = time.Millisecond
	for _, tc := range []struct {
		rounding CounterRounding
		steps    []step
	}{
		{RoundHalfUp, []step{
			{name: "42 in the previous minute", at: 30 * s, op: allow, cost: 42, want: ok(50, 8, 90*s)},
			// round(42·45.5/60) = round(31.85) = 32: remaining 50 − 18 − 32 = 0.
			{name: "18 at 14.5s", at: 74500 * ms, op: allow, cost: 18, want: ok(50, 0, 105500*ms)},
			// At 15 s the share is exactly 31.5, which rounds up: 32 + 18 + 1 = 51. It rounds to
			// 31 once 42·(60−x)/60 < 31.5, x > 15 s: a nanosecond later.
			{name: "at 15s the share 31.5 rounds up", at: 75 * s, op: allow, cost: 1, want: no(50, 0, 105*s, 1)},
			{name: "at retry-after", at: 75*s + 1, op: allow, cost: 1, want: ok(50, 0, 105*s-1)},
		}},
		{RoundFractional, []step{
			{name: "42 in the previous minute", at: 30 * s, op: allow, cost: 42, want: ok(50, 8, 90*s)},
			// 50 − 18 − ceil(31.85) = 0.
			{name: "18 at 14.5s", at: 74500 * ms, op: allow, cost: 18, want: ok(50, 0, 105500*ms)},
			// 31.5 + 18 + 1 = 50.5 > 50: denied until 42·(60−x) <= 31·60, x >= 15.714285714… s.
			{name: "at 15s the share 31.5 is too much", at: 75 * s, op: allow, cost: 1, want: no(50, 0, 105*s, 714285715)},
			{name: "at retry-after", at: 75*s + 714285715, op: allow, cost: 1, want: ok(50, 0, 105*s-714285715)},
			{name: "charge 30 more", at: 76 * s, op: charge, cost: 30},
			// 42·1/60 = 0.7 + 49 + 1 > 50: the share is never zero before the window ends, so
			// the 50th waits for the next window, where 49·60/60 + 0 + 1 = 50 fits at once.
			{name: "the 50th waits for the next window", at: 119 * s, op: allow, cost: 1, want: no(50, 0, 61*s, 1*s)},
			{name: "and passes at its start", at: 120 * s, op: allow, cost: 1, want: ok(50, 0, 120*s)},
		}},
	} {
		t.Run(string(tc.rounding), func(t *testing.T) {
			runSteps(t, Config{Algorithm: SlidingWindow, Limit: 50, Window: time.Minute, Rounding: tc.rounding}, tc.steps)
		})
	}
}
