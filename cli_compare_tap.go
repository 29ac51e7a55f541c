package main

import (
	"sync"

	"github.com/ratelab/ratelab/probe/record"
)

// tapBatch is how many attempts the report tap hands over at once.
const tapBatch = 1024

// asyncTap feeds attempts to a consumer on a goroutine of its own, in the order they were
// tapped, so building the report overlaps encoding attempts.jsonl (and, in simulation, the
// simulation itself) on another core. Add is called under the record.Writer's lock, one call at
// a time; it copies the attempt.
type asyncTap struct {
	consume func(*record.Attempt)
	full    chan []record.Attempt
	free    chan []record.Attempt
	cur     []record.Attempt
	wg      sync.WaitGroup
}

// newAsyncTap starts the goroutine that calls consume with every attempt added.
func newAsyncTap(consume func(*record.Attempt)) *asyncTap {
	const batches = 4
	t := &asyncTap{consume: consume, full: make(chan []record.Attempt, batches), free: make(chan []record.Attempt, batches)}
	for range batches - 1 {
		t.free <- make([]record.Attempt, 0, tapBatch)
	}
	t.cur = make([]record.Attempt, 0, tapBatch)
	t.wg.Go(func() {
		for b := range t.full {
			for i := range b {
				t.consume(&b[i])
			}
			t.free <- b[:0]
		}
	})
	return t
}

// Add queues a copy of a.
func (t *asyncTap) Add(a *record.Attempt) {
	t.cur = append(t.cur, *a)
	if len(t.cur) == cap(t.cur) {
		t.full <- t.cur
		t.cur = <-t.free
	}
}

// Close hands over what is left and waits until every attempt has been consumed. The tap must
// be removed from its writer first.
func (t *asyncTap) Close() {
	if len(t.cur) > 0 {
		t.full <- t.cur
	}
	t.cur = nil
	close(t.full)
	t.wg.Wait()
}
