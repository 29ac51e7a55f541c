//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

// A reader that runs later than the gap between two events finds them merged: the kernel
// coalesces a segment into the unread one before it and keeps only the newer receive
// timestamp, so the first delta would be timed by the next event's arrival. A watcher notes each
// segment's arrival while a stream awaits its first content delta, before the next one can
// merge with it: a thread of its own sleeps in epoll_wait on the armed sockets and, when one
// becomes readable, peeks the kernel's timestamp of the newest queued segment and the
// connection's received byte count (TCP_INFO), without consuming anything. With cgo the thread
// is a C thread (rxwatch_cgo.go), which the Go scheduler cannot delay when every P is busy;
// without, a goroutine locked to its thread (rxwatch_thread.go). The connection's reads then
// stop at those byte counts (marks, below), so each read returns the bytes of one noted arrival
// and is stamped with it.

// maxMarks bounds the arrivals a connection keeps unread; past it the watcher notes no more,
// and reads fall back to the kernel's stamp of what they consumed.
const maxMarks = 16

// rxMark is one arrival: the connection's received byte count just after it (end) and the
// kernel's receive timestamp of its segment (Unix nanoseconds).
type rxMark struct{ end, ns int64 }

// mark notes that the bytes up to end arrived at ns (the watcher's thread).
func (c *stampConn) mark(end, ns int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if end <= c.read.Load() || len(c.marks) == maxMarks {
		return
	}
	if k := len(c.marks); k > 0 && end <= c.marks[k-1].end {
		return
	}
	c.marks = append(c.marks, rxMark{end, ns})
}

// nextMark drops the arrivals already read and returns the first one ending after them.
func (c *stampConn) nextMark() (rxMark, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, read := 0, c.read.Load()
	for k < len(c.marks) && c.marks[k].end <= read {
		k++
	}
	if k > 0 {
		c.marks = append(c.marks[:0], c.marks[k:]...)
	}
	if len(c.marks) == 0 {
		return rxMark{}, false
	}
	return c.marks[0], true
}

// nextID returns the next watch id for a connection (never 0, which means unwatched). The
// caller holds w.mu.
func (w *rxWatcher) nextID() uint32 {
	w.next++
	if w.next == 0 {
		w.next = 1
	}
	return w.next
}

// watched records c as armed under id. The caller holds w.mu.
func (w *rxWatcher) watched(c *stampConn, id uint32) {
	c.watchID = id
	w.conns[id] = c
	c.armed.Store(true)
}

// unwatched forgets c and its marks, reporting whether it was armed. The caller holds w.mu.
func (w *rxWatcher) unwatched(c *stampConn) bool {
	if c.watchID == 0 {
		return false
	}
	delete(w.conns, c.watchID)
	c.watchID = 0
	c.armed.Store(false)
	c.mu.Lock()
	c.marks = c.marks[:0]
	c.mu.Unlock()
	return true
}

// arm starts noting c's arrivals; false when the system refused (c is then read as before).
func (w *rxWatcher) arm(c *stampConn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.watchID != 0 {
		return true
	}
	if !w.start() {
		return false
	}
	id := w.nextID()
	ok := false
	if err := c.raw.Control(func(fd uintptr) { ok = w.add(fd, id) }); err != nil || !ok {
		w.stopIfIdle()
		return false
	}
	w.watched(c, id)
	return true
}

// disarm stops noting c's arrivals. It runs before c closes, so the descriptor is c's.
func (w *rxWatcher) disarm(c *stampConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.unwatched(c) {
		return
	}
	_ = c.raw.Control(w.remove)
	w.stopIfIdle()
}
