package sim

import (
	"sync"
	"sync/atomic"

	"github.com/ratelab/ratelab/record"
)

// batchSize is how many attempts the simulation hands to the recording goroutine at once.
const batchSize = 2048

// recorder writes the simulation's attempts to a record.Writer on a goroutine of its own, in
// batches, so that encoding attempts.jsonl (and whatever the writer's tap does) overlaps the
// simulation on a second core. Attempts reach the writer in the order they were added.
type recorder struct {
	w    *record.Writer
	full chan []record.Attempt // batches to write
	free chan []record.Attempt // written batches, for reuse
	cur  []record.Attempt
	err  atomic.Pointer[error]
	wg   sync.WaitGroup
}

// numBatches is how many batches circulate: one being filled, the others queued or written.
const numBatches = 4

func newRecorder(w *record.Writer) *recorder {
	if w == nil { // nothing recorded: one slot, reused
		return &recorder{cur: make([]record.Attempt, 0, 1)}
	}
	r := &recorder{w: w, full: make(chan []record.Attempt, numBatches), free: make(chan []record.Attempt, numBatches)}
	for range numBatches - 1 {
		r.free <- make([]record.Attempt, 0, batchSize)
	}
	r.cur = make([]record.Attempt, 0, batchSize)
	r.wg.Go(r.loop)
	return r
}

// loop writes batches until full is closed.
func (r *recorder) loop() {
	for b := range r.full {
		if r.err.Load() == nil {
			for i := range b {
				if err := r.w.Write(&b[i]); err != nil {
					stored := err // a copy, so that err itself stays on the stack
					r.err.Store(&stored)
					break
				}
			}
		}
		r.free <- b[:0]
	}
}

// next returns the slot the next attempt is built in; commit adds it.
func (r *recorder) next() *record.Attempt {
	r.cur = r.cur[:len(r.cur)+1]
	a := &r.cur[len(r.cur)-1]
	*a = record.Attempt{}
	return a
}

// commit hands the batch over when it is full.
func (r *recorder) commit() {
	if r.w == nil {
		r.cur = r.cur[:0]
		return
	}
	if len(r.cur) == cap(r.cur) {
		r.full <- r.cur
		r.cur = <-r.free
	}
}

// failed returns the first recording error, nil while there is none.
func (r *recorder) failed() error {
	if p := r.err.Load(); p != nil {
		return *p
	}
	return nil
}

// close writes what is left, waits for the goroutine and returns the first recording error.
func (r *recorder) close() error {
	if r.w == nil {
		return nil
	}
	if len(r.cur) > 0 {
		r.full <- r.cur
		r.cur = nil
	}
	close(r.full)
	r.wg.Wait()
	return r.failed()
}
