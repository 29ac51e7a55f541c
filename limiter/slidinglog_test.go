package limiter

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSlidingLogTable(t *testing.T) {
	const s = time.Second
	runCases(t, SlidingLog, []stepCase{
		{
			name: "3 per 10s",
			cfg:  Config{Limit: 3, Window: 10 * s},
			steps: []step{
				{name: "1st at 0s", at: 0, op: allow, cost: 1, want: ok(3, 2, 10*s)},
				{name: "2nd at 2s", at: 2 * s, op: allow, cost: 1, want: ok(3, 1, 10*s)},
				{name: "3rd at 4s", at: 4 * s, op: allow, cost: 1, want: ok(3, 0, 10*s)},
				{name: "4th waits for the 0s entry", at: 5 * s, op: allow, cost: 1, want: no(3, 0, 9*s, 5*s)},
				{name: "1ns early", at: 10*s - 1, op: allow, cost: 1, want: no(3, 0, 4*s+1, 1)},
				{name: "window (0s,10s] excludes 0s", at: 10 * s, op: allow, cost: 1, want: ok(3, 0, 10*s)},
				{name: "cost 2 waits for 2s and 4s", at: 10 * s, op: allow, cost: 2, want: no(3, 0, 10*s, 4*s)},
				{name: "an earlier instant counts as the last seen", at: 3 * s, op: allow, cost: 1, want: no(3, 0, 10*s, 2*s)},
				{name: "cost above limit: when the log empties", at: 10 * s, op: allow, cost: 4, want: no(3, 0, 10*s, 10*s)},
				{name: "empty after 10s idle", at: 20 * s, op: peek, want: ok(3, 3, 0)},
				{name: "cost above limit on an empty log: one window", at: 20 * s, op: allow, cost: 4, want: no(3, 3, 0, 10*s)},
			},
		},
		{
			name: "same-instant requests share one entry",
			cfg:  Config{Limit: 5, Window: 10 * s},
			steps: []step{
				{name: "2 at 1s", at: 1 * s, op: allow, cost: 2, want: ok(5, 3, 10*s)},
				{name: "2 more at 1s", at: 1 * s, op: allow, cost: 2, want: ok(5, 1, 10*s)},
				{name: "1 at 3s", at: 3 * s, op: allow, cost: 1, want: ok(5, 0, 10*s)},
				{name: "2 wait for all of 1s", at: 3 * s, op: allow, cost: 2, want: no(5, 0, 10*s, 8*s)},
			},
		},
		{
			name: "charge and refund newest first",
			cfg:  Config{Limit: 5, Window: 10 * s},
			steps: []step{
				{name: "3 at 0s", at: 0, op: allow, cost: 3, want: ok(5, 2, 10*s)},
				{name: "charge 4 at 1s", at: 1 * s, op: charge, cost: 4},
				{name: "7 logged: over until the 0s entry expires", at: 1 * s, op: peek, want: no(5, 0, 10*s, 9*s)},
				{name: "refund 3 takes from the 1s entry", at: 1 * s, op: charge, cost: -3},
				{name: "4 logged: 1 fits", at: 1 * s, op: allow, cost: 1, want: ok(5, 0, 10*s)},
				{name: "refund 4: 1s entry gone, 0s entry down to 1", at: 2 * s, op: charge, cost: -4},
				{name: "1 logged", at: 2 * s, op: peek, want: ok(5, 4, 8*s)},
				{name: "refund 100 empties", at: 2 * s, op: charge, cost: -100},
				{name: "empty", at: 2 * s, op: peek, want: ok(5, 5, 0)},
			},
		},
	})
}

func TestSlidingLogRingGrowsAndWraps(t *testing.T) {
	// 100 per second, one request every 10ms for 5s: the ring grows to ~128 entries, then wraps
	// for the rest of the run while the window always holds exactly the last 100.
	l, err := New(Config{Algorithm: SlidingLog, Limit: 100, Window: time.Second})
	require.NoError(t, err)
	for i := range 500 {
		d := l.Allow(t0.Add(time.Duration(i)*10*time.Millisecond), 1)
		require.True(t, d.Allowed, "request %d", i)
		want := int64(99 - min(i, 99))
		require.Equal(t, want, d.Remaining, "request %d", i)
	}
	sl := l.(*slidingLog)
	assert.Equal(t, 100, sl.n)
	assert.LessOrEqual(t, len(sl.ring), 128)
	// Eleven at the same instant: the window is full.
	d := l.Allow(t0.Add(4990*time.Millisecond), 1)
	assert.False(t, d.Allowed)
	assert.Equal(t, 10*time.Millisecond, d.RetryAfter)
}
