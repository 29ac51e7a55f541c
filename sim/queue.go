package sim

import "math/rand/v2"

// Event kinds.
const (
	// evArrival: the open-model generator's next hit is due.
	evArrival uint8 = iota + 1
	// evStart: a closed-model client starts its next logical request.
	evStart
	// evWake: a Flow's wait is over; ask it again.
	evWake
	// evDone: an attempt's response has arrived.
	evDone
	// evCharge: a streamed reply in flight has sent more output tokens to charge.
	evCharge
)

// event is one entry of the queue: at is virtual time in nanoseconds since the runner's epoch,
// seq breaks ties (see queue), job indexes the runner's jobs.
type event struct {
	at   int64
	seq  uint64
	job  int32
	kind uint8
}

// before orders events by (at, seq): virtual time, then the tie key. The keys of one queue
// follow from its seed, so the simulation is deterministic.
func (e *event) before(o *event) bool {
	return e.at < o.at || (e.at == o.at && e.seq < o.seq)
}

// queue is a binary min-heap of events by value: pushing and popping allocate nothing once the
// backing array has grown to the largest number of pending events (about one per client).
//
// Ties: events at the same instant come out in scheduling order (FIFO), or, when shuffle is set,
// in a seeded random order: the tie key is random bits above a 24-bit counter. Requests a live
// fleet sends "at the same time" reach the server in an order no client controls — a few
// microseconds of scheduling and network decide it, and a response and the next request it
// triggers interleave with the rest — while a fixed order would favour the same clients at
// every synchronized retry.
type queue struct {
	h       []event
	seq     uint64
	shuffle *rand.PCG
}

// counterBits is the width of the counter under a shuffled tie key.
const counterBits = 24

// push schedules an event of kind for job at virtual time at.
func (q *queue) push(at int64, job int32, kind uint8) {
	q.seq++
	key := q.seq
	if q.shuffle != nil {
		key = q.shuffle.Uint64()&^(1<<counterBits-1) | q.seq&(1<<counterBits-1)
	}
	q.h = append(q.h, event{at: at, seq: key, job: job, kind: kind})
	// sift up
	h := q.h
	i := len(h) - 1
	e := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !e.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// len returns the number of pending events.
func (q *queue) len() int { return len(q.h) }

// pop removes and returns the earliest event; the queue must not be empty.
func (q *queue) pop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	q.h = h[:n]
	if n == 0 {
		return top
	}
	h = q.h
	// sift the last element down from the root
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].before(&h[c]) {
			c = r
		}
		if !h[c].before(&last) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = last
	return top
}

// reset empties the queue, keeping its backing array.
func (q *queue) reset() { q.h = q.h[:0] }
