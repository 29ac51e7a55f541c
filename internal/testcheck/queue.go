package testcheck

import "container/heap"

// Queue is a priority queue of T, least first by less (container/heap underneath): the event
// queue of a test's own discrete-event loop. The zero Queue is not usable; make one with
// NewQueue.
type Queue[T any] struct{ h items[T] }

// NewQueue returns an empty queue ordered by less.
func NewQueue[T any](less func(a, b T) bool) *Queue[T] {
	return &Queue[T]{h: items[T]{less: less}}
}

// Len returns the number of queued items.
func (q *Queue[T]) Len() int { return len(q.h.s) }

// Push adds x.
func (q *Queue[T]) Push(x T) { heap.Push(&q.h, x) }

// Pop removes and returns the least item; the queue must not be empty.
func (q *Queue[T]) Pop() T { return heap.Pop(&q.h).(T) }

// items is heap.Interface over a slice ordered by less.
type items[T any] struct {
	s    []T
	less func(a, b T) bool
}

func (h items[T]) Len() int           { return len(h.s) }
func (h items[T]) Less(i, j int) bool { return h.less(h.s[i], h.s[j]) }
func (h items[T]) Swap(i, j int)      { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *items[T]) Push(x any)        { h.s = append(h.s, x.(T)) }
func (h *items[T]) Pop() any {
	x := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return x
}
