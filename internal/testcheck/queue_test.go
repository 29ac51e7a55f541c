package testcheck

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestQueue checks that items come out least first, ties broken as less says, with pushes
// between pops.
func TestQueue(t *testing.T) {
	type ev struct{ at, order int }
	q := NewQueue(func(a, b ev) bool { return a.at < b.at || a.at == b.at && a.order < b.order })
	rng := rand.New(rand.NewPCG(1, 2))
	var want []ev
	for i := range 200 {
		e := ev{rng.IntN(20), i}
		q.Push(e)
		want = append(want, e)
	}
	slices.SortFunc(want, func(a, b ev) int {
		if a.at != b.at {
			return a.at - b.at
		}
		return a.order - b.order
	})
	var got []ev
	for q.Len() > 0 {
		got = append(got, q.Pop())
	}
	assert.Equal(t, want, got)

	q.Push(ev{5, 0})
	q.Push(ev{1, 1})
	assert.Equal(t, ev{1, 1}, q.Pop())
	q.Push(ev{3, 2})
	assert.Equal(t, ev{3, 2}, q.Pop())
	assert.Equal(t, ev{5, 0}, q.Pop())
	assert.Zero(t, q.Len())
}
