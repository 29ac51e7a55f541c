package redislimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/limiter"
)

// The window variants, limiter.Config's Start and Rounding: these tables are worked by hand
// (TestSameDecisionsAsInProcess draws them at random against the in-process limiters).

func TestFixedWindowOpenedByFirstRequest(t *testing.T) {
	s, _ := startStore(t, Options{})
	ctx := context.Background()
	c := limiter.Config{Algorithm: limiter.FixedWindow, Limit: 2, Window: 10 * time.Second}
	opened := c
	opened.Start = limiter.StartFirstRequest
	rolling, err := s.Limiter("rolling", opened)
	require.NoError(t, err)
	aligned, err := s.Limiter("aligned", c)
	require.NoError(t, err)
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	steps := []struct {
		at      time.Duration // after t0 (on a 10 s boundary)
		peek    bool
		allowed bool
		remain  int64
		reset   time.Duration
		retry   time.Duration
	}{
		{at: ms(5300), allowed: true, remain: 1, reset: 10 * time.Second}, // opens [5.3 s, 15.3 s)
		{at: ms(6000), allowed: true, remain: 0, reset: ms(9300)},
		{at: ms(7000), allowed: false, remain: 0, reset: ms(8300), retry: ms(8300)},
		{at: ms(15300), allowed: true, remain: 1, reset: 10 * time.Second}, // the next opens at once
		{at: ms(40000), peek: true, allowed: true, remain: 2, reset: 10 * time.Second},
	}
	for i, st := range steps {
		var d limiter.Decision
		if st.peek {
			d, err = rolling.PeekAt(ctx, t0.Add(st.at))
		} else {
			d, err = rolling.AllowAt(ctx, t0.Add(st.at), 1)
		}
		require.NoError(t, err)
		want := limiter.Decision{Allowed: st.allowed, Limit: 2, Remaining: st.remain, Reset: st.reset, RetryAfter: st.retry}
		assert.Equal(t, want, d, "step %d at t0+%s", i, st.at)
	}
	d, err := aligned.AllowAt(ctx, t0.Add(ms(5300)), 1)
	require.NoError(t, err)
	assert.Equal(t, ms(4700), d.Reset, "the clock-aligned window ends on the 10 s boundary")
}

func TestSlidingWindowRoundings(t *testing.T) {
	s, _ := startStore(t, Options{})
	ctx := context.Background()
	c := limiter.Config{Algorithm: limiter.SlidingWindow, Limit: 10, Window: time.Minute}
	// The previous window took 10; at elapsed e its share is 10·(60 s − e)/60 s: 4.5 at 33 s,
	// 4.25 at 34.5 s.
	tests := []struct {
		rounding string
		elapsed  time.Duration
		cost     int64
		remain   int64 // Peek's before the request
		allowed  bool
		retry    time.Duration
	}{
		{"floor", 33 * time.Second, 6, 6, true, 0},
		{"round-half-up", 33 * time.Second, 6, 5, false, time.Nanosecond}, // share < 4.5 just after
		{"round-half-up", 33 * time.Second, 5, 5, true, 0},
		{"fractional", 33 * time.Second, 6, 5, false, 3 * time.Second}, // share <= 4 at 36 s
		{"fractional", 33 * time.Second, 5, 5, true, 0},
		{"floor", 34500 * time.Millisecond, 6, 6, true, 0},
		{"round-half-up", 34500 * time.Millisecond, 6, 6, true, 0},
		{"fractional", 34500 * time.Millisecond, 6, 5, false, 1500 * time.Millisecond},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%s %s cost %d", tc.rounding, tc.elapsed, tc.cost), func(t *testing.T) {
			rc := c
			rc.Rounding = limiter.CounterRounding(tc.rounding)
			l, err := s.Limiter(fmt.Sprint("rounding:", i), rc)
			require.NoError(t, err)
			d, err := l.AllowAt(ctx, t0.Add(time.Second), 10)
			require.NoError(t, err)
			require.True(t, d.Allowed)
			at := t0.Add(time.Minute + tc.elapsed)
			p, err := l.PeekAt(ctx, at)
			require.NoError(t, err)
			assert.Equal(t, tc.remain, p.Remaining)
			d, err = l.AllowAt(ctx, at, tc.cost)
			require.NoError(t, err)
			assert.Equal(t, tc.allowed, d.Allowed)
			assert.Equal(t, tc.retry, d.RetryAfter)
		})
	}
}
