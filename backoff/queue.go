package backoff

// queue orders the clients a fleet holds back, so that they wake one after another instead of
// all at once (a thundering herd that costs the simulator one policy call per waiting client
// per grant) and are served first come, first served. A client takes a ticket the first time it
// is held; tickets are numbered in order, and served counts the ticket holders let through.
// Only a grant retires a ticket: a Flow always asks Before again after a wait.
type queue struct {
	next, served uint64
}

// ticket is one client's place in a queue.
type ticket struct {
	n    uint64
	held bool
}

// ahead returns how many held clients are before t: for a holder, its ticket minus the holders
// already served (never more than the true count, since holders behind it may have been served
// first); for a newcomer, every holder.
func (q *queue) ahead(t *ticket) uint64 {
	if !t.held {
		return q.next - q.served
	}
	if t.n < q.served {
		return 0
	}
	return t.n - q.served
}

// hold gives t a ticket if it has none.
func (q *queue) hold(t *ticket) {
	if !t.held {
		t.n, t.held = q.next, true
		q.next++
	}
}

// pass retires t's ticket when its client is let through.
func (q *queue) pass(t *ticket) {
	if t.held {
		q.served++
		t.held = false
	}
}
