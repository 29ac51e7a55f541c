//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

import (
	"encoding/binary"
	"io"
	"net"
	"os"
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
// the latest segment each read consumed (SCM_TIMESTAMPING). Reads are made by one goroutine at
// a time (net/http's), and lastArrival may be called from any.
type stampConn struct {
	net.Conn // *net.TCPConn: writes, deadlines, addresses and Close go to it
	raw      syscall.RawConn
	last     atomic.Int64

	// One read's state, kept here so that a read allocates nothing: recv (c.recvmsg, bound
	// once) reads into p and leaves the counts and the error.
	recv    func(fd uintptr) bool
	p       []byte
	n, oobn int
	rerr    error
	oob     [stampOOB]byte
}

// stampReceives returns c read through recvmsg with receive timestamps when c is a TCP
// connection and the kernel accepts SO_TIMESTAMPING; c itself otherwise.
func stampReceives(c net.Conn) net.Conn {
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
	sc := &stampConn{Conn: tc, raw: raw}
	sc.recv = sc.recvmsg
	return sc
}

func (c *stampConn) lastArrival() int64 { return c.last.Load() }

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
	c.last.Store(rxTimestamp(c.oob[:oobn])) // 0 when unstamped: an earlier read's stamp is not of these bytes
	return n, nil
}

// recvmsg is one try of a read: false when nothing is to be read yet (the poller waits).
func (c *stampConn) recvmsg(fd uintptr) bool {
	for {
		c.n, c.oobn, _, _, c.rerr = syscall.Recvmsg(int(fd), c.p, c.oob[:], 0)
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
