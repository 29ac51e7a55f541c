//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// Flags of SO_TIMESTAMPING (linux/net_tstamp.h): take a software timestamp of every
// received segment, and report it in a control message.
const (
	sofRxSoftware = 1 << 3
	sofSoftware   = 1 << 4
)

// stampOOB is the control-message buffer of one read: a cmsghdr (16 bytes on 64-bit) and a
// struct scm_timestamping (three timespecs of 16 bytes), with room to spare.
const stampOOB = 128

// stampConn is a TCP connection read with recvmsg, keeping the kernel's receive timestamp of
// the latest segment each read consumed (SCM_TIMESTAMPING). While armed, its reads stop at the
// arrivals its watcher noted and take their stamps (rxwatch_linux.go). Reads are made by one
// goroutine at a time (net/http's), and lastArrival, arm and disarm may be called from any.
type stampConn struct {
	net.Conn // *net.TCPConn: writes, deadlines, addresses and Close go to it
	raw      syscall.RawConn
	last     atomic.Int64
	read     atomic.Int64 // bytes read so far: the kernel's count of bytes received, less the queue

	watcher *rxWatcher
	watchID uint32 // guarded by watcher.mu; 0 when not armed
	armed   atomic.Bool
	mu      sync.Mutex // guards marks
	marks   []rxMark   // arrivals noted and not yet read, oldest first
	markBuf [maxMarks]rxMark
	markNs  int64 // the stamp of the arrival the read in progress stops at, 0 when none

	// One read's state, kept here so that a read allocates nothing: recv (c.recvmsg, bound
	// once) reads into p and leaves the counts and the error.
	recv    func(fd uintptr) bool
	p       []byte
	n, oobn int
	rerr    error
	oob     [stampOOB]byte
}

// stampReceives returns c read through recvmsg with receive timestamps when c is a TCP
// connection and the kernel accepts SO_TIMESTAMPING, its arrivals noted by w while armed; c
// itself otherwise.
func stampReceives(c net.Conn, w *rxWatcher) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPING, sofRxSoftware|sofSoftware)
	}); err != nil || serr != nil {
		return c
	}
	sc := &stampConn{Conn: tc, raw: raw, watcher: w}
	sc.marks = sc.markBuf[:0]
	sc.recv = sc.recvmsg
	return sc
}

func (c *stampConn) lastArrival() int64 { return c.last.Load() }

// arm has the watcher note each segment's arrival until disarm: a stream awaits its first
// content delta.
func (c *stampConn) arm() {
	if c.watcher != nil {
		c.watcher.arm(c)
	}
}

func (c *stampConn) disarm() {
	if c.watcher != nil && c.armed.Load() {
		c.watcher.disarm(c)
	}
}

// Close disarms c before its descriptor closes.
func (c *stampConn) Close() error {
	c.disarm()
	return c.Conn.Close()
}

// Read reads with recvmsg when the socket is readable (the runtime's poller waits, as for
// any net.Conn read) and keeps the timestamp the kernel attached.
func (c *stampConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.p = p
	err := c.raw.Read(c.recv)
	n, oobn, rerr := c.n, c.oobn, c.rerr
	c.p, c.rerr = nil, nil
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("recvmsg", rerr)}
	case n == 0:
		return 0, io.EOF
	}
	c.read.Add(int64(n))
	if c.markNs != 0 { // the read stopped at a noted arrival: its bytes are that segment's
		c.last.Store(c.markNs)
	} else {
		c.last.Store(rxTimestamp(c.oob[:oobn])) // 0 when unstamped: an earlier read's stamp is not of these bytes
	}
	return n, nil
}

// recvmsg is one try of a read: false when nothing is to be read yet (the poller waits).
func (c *stampConn) recvmsg(fd uintptr) bool {
	p := c.p
	c.markNs = 0
	if c.armed.Load() {
		c.watcher.collect()
		if m, ok := c.nextMark(); ok {
			if l := m.end - c.read.Load(); l < int64(len(p)) {
				p = p[:l]
			}
			c.markNs = m.ns
		}
	}
	for {
		c.n, c.oobn, _, _, c.rerr = syscall.Recvmsg(int(fd), p, c.oob[:], 0)
		if c.rerr != syscall.EINTR { // as the runtime's own reads do
			return c.rerr != syscall.EAGAIN
		}
	}
}

// rxTimestamp returns the software receive timestamp (Unix nanoseconds) of an SCM_TIMESTAMPING
// control message in oob, 0 when there is none.
func rxTimestamp(oob []byte) int64 {
	const hdr = 16 // struct cmsghdr: len (8), level (4), type (4)
	for len(oob) >= hdr {
		l := int(binary.NativeEndian.Uint64(oob))
		level, typ := int32(binary.NativeEndian.Uint32(oob[8:])), int32(binary.NativeEndian.Uint32(oob[12:]))
		if l < hdr || l > len(oob) {
			return 0
		}
		if level == syscall.SOL_SOCKET && typ == syscall.SO_TIMESTAMPING && l >= hdr+16 {
			sec, nsec := int64(binary.NativeEndian.Uint64(oob[hdr:])), int64(binary.NativeEndian.Uint64(oob[hdr+8:]))
			return sec*1e9 + nsec // ts[0], the software timestamp
		}
		oob = oob[min((l+7)&^7, len(oob)):]
	}
	return 0
}
