package runner

import (
	"sync"

	"github.com/ratelab/ratelab/record"
)

// tapBatch is how many attempts the report tap hands over at once.
const tapBatch = 1024

// tapItem is a batch of attempts and, for Sync, a channel closed once they are consumed.
type tapItem struct {
	batch []record.Attempt
	done  chan struct{}
}

// asyncTap feeds attempts to a consumer on a goroutine of its own, in the order they were
// tapped, so building the report overlaps encoding attempts.jsonl (and, in simulation, the
// simulation itself) on another core. Add is called under the record.Writer's lock, one call at
// a time; it copies the attempt.
type asyncTap struct {
	consume func(*record.Attempt)
	full    chan tapItem
	free    chan []record.Attempt
	cur     []record.Attempt
	wg      sync.WaitGroup
}

// tapBatches is how many batches circulate: one being filled, the others queued or consumed.
const tapBatches = 4

// newAsyncTap starts the goroutine that calls consume with every attempt added.
func newAsyncTap(consume func(*record.Attempt)) *asyncTap {
	t := &asyncTap{consume: consume, full: make(chan tapItem, tapBatches), free: make(chan []record.Attempt, tapBatches)}
	for range tapBatches - 1 {
		t.free <- make([]record.Attempt, 0, tapBatch)
	}
	t.cur = make([]record.Attempt, 0, tapBatch)
	t.wg.Go(func() {
		for it := range t.full {
			for i := range it.batch {
				t.consume(&it.batch[i])
			}
			t.free <- it.batch[:0]
			if it.done != nil {
				close(it.done)
			}
		}
	})
	return t
}

// Add queues a copy of a.
func (t *asyncTap) Add(a *record.Attempt) {
	t.cur = append(t.cur, *a)
	if len(t.cur) == cap(t.cur) {
		t.full <- tapItem{batch: t.cur}
		t.cur = <-t.free
	}
}

// Sync returns once every attempt added so far has been consumed, so that the caller may change
// what the consumer reads (the run's segments). No Add may run at the same time.
func (t *asyncTap) Sync() {
	done := make(chan struct{})
	t.full <- tapItem{batch: t.cur, done: done}
	t.cur = <-t.free
	<-done
}

// Close hands over what is left and waits until every attempt has been consumed. The tap must
// be removed from its writer first.
func (t *asyncTap) Close() {
	if len(t.cur) > 0 {
		t.full <- tapItem{batch: t.cur}
	}
	t.cur = nil
	close(t.full)
	t.wg.Wait()
}
