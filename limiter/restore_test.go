package limiter

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stateOf reads a limiter's State as a store would keep it.
func stateOf(l Limiter) State {
	switch x := l.(type) {
	case *tokenBucket:
		return State{Whole: x.whole, Frac: x.frac}
	case *leakyBucket:
		return State{Whole: x.whole, Frac: x.frac}
	case *gcra:
		return State{TAT: x.tat.NS, TATNum: x.tat.Num}
	case *fixedWindow:
		return State{Start: x.start, Count: x.count}
	case *slidingWindow:
		return State{Start: x.start, Prev: x.prev, Curr: x.curr}
	}
	return State{}
}

// TestRestoreAnswersAsTheOriginal: after random traffic, a limiter restored from the state at
// the last instant makes the original's decisions from then on.
func TestRestoreAnswersAsTheOriginal(t *testing.T) {
	configs := []Config{
		{Algorithm: TokenBucket, Limit: 7, Window: time.Minute, Burst: 3},
		{Algorithm: GCRA, Limit: 7, Window: time.Minute, Burst: 3},
		{Algorithm: LeakyBucket, Limit: 5, Window: 10 * time.Second, Burst: 2},
		{Algorithm: FixedWindow, Limit: 4, Window: 10 * time.Second},
		{Algorithm: FixedWindow, Start: StartFirstRequest, Limit: 4, Window: 10 * time.Second},
		{Algorithm: SlidingWindow, Limit: 5, Window: 10 * time.Second, Rounding: RoundHalfUp},
	}
	for i, c := range configs {
		t.Run(string(c.Algorithm)+string(c.Start)+string(c.Rounding), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			orig, err := New(c)
			require.NoError(t, err)
			at := t0
			for step := range 200 {
				at = at.Add(time.Duration(rng.Int64N(int64(3 * time.Second))))
				cost := rng.Int64N(4)
				if step%3 == 0 {
					// Restore at this instant, then both answer the same request.
					orig.Charge(at, 0) // the original moves to at: the store's state is as of it
					got, err := Restore(c, at, stateOf(orig))
					require.NoError(t, err)
					require.Equal(t, orig.Allow(at, cost), got.Allow(at, cost), "step %d", step)
					require.Equal(t, orig.Peek(at.Add(time.Second)), got.Peek(at.Add(time.Second)), "step %d", step)
					continue
				}
				orig.Allow(at, cost)
			}
		})
	}
	_, err := Restore(Config{Algorithm: SlidingLog, Limit: 1}, t0, State{})
	require.ErrorContains(t, err, "keeps every entry")
}
