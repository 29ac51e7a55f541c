package probe

import (
	"context"
	"net"
	"net/http/httptrace"
	"time"
)

// Clocks a stream's time to first token can come from (record.Segment.TTFTClock).
const (
	// ClockKernel: the kernel's receive timestamp of the segment that carried the first
	// content delta (SO_TIMESTAMPING on Linux), so the time the reading goroutine waited to
	// be scheduled after the bytes arrived is not counted.
	ClockKernel = "kernel-rx"
	// ClockRead: the instant the read that returned the first content delta ended.
	ClockRead = "read"
	// ClockMixed: some of a segment's streams were timed by each.
	ClockMixed = "mixed"
)

// maxArrivalLag bounds how long before a read its bytes may have arrived; a longer lag means
// the wall clock stepped in between, and the read instant is used instead.
const maxArrivalLag = time.Minute

// rxStamper is a connection that knows when the bytes it last returned arrived.
type rxStamper interface {
	// lastArrival is the kernel's receive time (Unix nanoseconds, CLOCK_REALTIME) of the
	// latest segment the last read consumed, 0 when that read was not stamped.
	lastArrival() int64
}

// rxWatched is a connection whose every arrival can be noted apart while armed
// (rxwatch_linux.go), so a first delta read late is not timed by the event that came after it.
type rxWatched interface {
	arm()
	disarm()
}

// disarmStamps stops noting c's arrivals: its stream's first delta was read, or the attempt
// is done with it.
func disarmStamps(c rxStamper) {
	if w, ok := c.(rxWatched); ok {
		w.disarm()
	}
}

// stamperOf returns c's receive timestamps, looking through TLS, or nil.
func stamperOf(c net.Conn) rxStamper {
	for range 4 {
		switch v := c.(type) {
		case rxStamper:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// connTrace is the client trace that records which connection an attempt got.
type connTrace struct {
	conn  rxStamper
	trace httptrace.ClientTrace
}

// newConnTrace returns a trace whose conn is set, and armed, when the attempt gets its
// connection.
func newConnTrace() *connTrace {
	t := new(connTrace)
	t.trace.GotConn = func(i httptrace.GotConnInfo) {
		t.conn = stamperOf(i.Conn)
		if w, ok := t.conn.(rxWatched); ok {
			w.arm()
		}
	}
	return t
}

// disarm stops noting the connection's arrivals; it runs before the body is closed, when the
// connection may go to another attempt. t may be nil.
func (t *connTrace) disarm() {
	if t != nil {
		disarmStamps(t.conn)
	}
}

// context returns ctx with the trace attached.
func (t *connTrace) context(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &t.trace)
}

// arrival returns when the bytes a read returned at now arrived, on now's clock (its
// monotonic reading kept), and whether that came from the kernel's receive timestamp. The
// kernel's instant is that of the latest segment read so far, so it lies between the
// arrival of the bytes just read and now: never later than the read instant.
func arrival(c rxStamper, now time.Time) (time.Time, bool) {
	if c == nil {
		return now, false
	}
	ns := c.lastArrival()
	if ns == 0 {
		return now, false
	}
	lag := time.Duration(now.UnixNano() - ns) // both CLOCK_REALTIME
	switch {
	case lag < 0:
		return now, true // the wall clock stepped back, or the read was just stamped
	case lag > maxArrivalLag:
		return now, false
	}
	return now.Add(-lag), true
}

// clockOf names the clock of a segment's streams, timed kernel times by the kernel and read
// times at the read instant: "" when none was timed.
func clockOf(kernel, read int64) string {
	switch {
	case kernel > 0 && read > 0:
		return ClockMixed
	case kernel > 0:
		return ClockKernel
	case read > 0:
		return ClockRead
	}
	return ""
}
