package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQueueOrder: events come out by virtual time, ties in the order they were scheduled,
// whatever the interleaving of pushes and pops.
func TestQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var q queue
	type ev struct {
		at  int64
		job int32
	}
	var pending []ev
	var out []ev
	now := int64(0)
	for i := range 20000 {
		if rng.IntN(3) > 0 || q.len() == 0 {
			at := now + rng.Int64N(50) // many ties
			q.push(at, int32(i), evWake)
			pending = append(pending, ev{at, int32(i)})
			continue
		}
		e := q.pop()
		require.GreaterOrEqual(t, e.at, now, "time went backwards")
		now = e.at
		out = append(out, ev{e.at, e.job})
	}
	for q.len() > 0 {
		e := q.pop()
		out = append(out, ev{e.at, e.job})
	}
	require.Len(t, out, len(pending))
	// Among events at the same instant, scheduling order (job = push index) is kept.
	for i := 1; i < len(out); i++ {
		if out[i].at == out[i-1].at {
			assert.Less(t, out[i-1].job, out[i].job, "tie at %d", out[i].at)
		}
	}
	slices.SortFunc(pending, func(a, b ev) int { return int(a.job - b.job) })
	got := slices.Clone(out)
	slices.SortFunc(got, func(a, b ev) int { return int(a.job - b.job) })
	assert.Equal(t, pending, got, "every event comes out once")
}

func BenchmarkQueue(b *testing.B) {
	var q queue
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 1000 {
		q.push(rng.Int64N(1e9), int32(i), evWake)
	}
	b.ReportAllocs()
	for b.Loop() {
		e := q.pop()
		q.push(e.at+rng.Int64N(1e9), e.job, evWake)
	}
}

// TestQueueShuffledTies: with shuffle, events at one instant come out in a seeded random order
// (the same for the same seed), after every earlier event and before every later one.
func TestQueueShuffledTies(t *testing.T) {
	order := func(seed uint64) []int32 {
		q := queue{shuffle: rand.NewPCG(seed, 1)}
		q.push(3000, 1000, evWake)
		for i := range 100 {
			q.push(1000, int32(i), evStart)
		}
		q.push(500, 999, evWake)
		var out []int32
		for q.len() > 0 {
			out = append(out, q.pop().job)
		}
		return out
	}
	a, b, c := order(1), order(1), order(2)
	assert.Equal(t, a, b, "same seed, same order")
	assert.NotEqual(t, a, c, "another seed, another order")
	assert.Equal(t, int32(999), a[0])
	assert.Equal(t, int32(1000), a[101])
	ties := slices.Clone(a[1:101])
	assert.False(t, slices.IsSorted(ties), "shuffled")
	slices.Sort(ties)
	for i := range ties {
		require.Equal(t, int32(i), ties[i])
	}
}
