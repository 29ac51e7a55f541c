//go:build linux && !cgo && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

import (
	"encoding/binary"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// peekLen is how far the watcher peeks: the whole receive queue of a stream awaiting its first
// delta fits (MSG_TRUNC: the kernel counts the bytes and copies none).
const peekLen = 256 << 10

// tcpInfoLen is a struct tcp_info up to tcpi_bytes_received (linux/tcp.h, since Linux 4.1).
const (
	tcpInfoLen          = 136
	tcpInfoBytesRecvOff = 128
)

// epollET is EPOLLET, whose sign differs between the syscall package's architectures.
const epollET = 1 << 31

// rxWatcher watches the armed connections of one transport. Its thread runs while a
// connection is armed and ends shortly after the last one is disarmed.
type rxWatcher struct {
	mu    sync.Mutex
	epfd  int // -1 while no thread runs
	conns map[uint32]*stampConn
	next  uint32
}

func newRxWatcher() *rxWatcher { return &rxWatcher{epfd: -1, conns: map[uint32]*stampConn{}} }

// start runs the thread if it is not running (w.mu held); false when it could not start.
func (w *rxWatcher) start() bool {
	if w.epfd < 0 {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return false
		}
		w.epfd = fd
		go w.loop(fd)
	}
	return true
}

// add registers descriptor fd under id (w.mu held).
func (w *rxWatcher) add(fd uintptr, id uint32) bool {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: int32(id)}
	return syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev) == nil
}

// remove deregisters descriptor fd (w.mu held).
func (w *rxWatcher) remove(fd uintptr) {
	_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
}

// stopIfIdle does nothing here: the loop ends by itself a moment after the last disarm.
func (w *rxWatcher) stopIfIdle() {}

// running reports whether the thread runs (it ends a moment after the last disarm).
func (w *rxWatcher) running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.epfd >= 0
}

// loop is the watcher's thread: it wakes when an armed socket receives a segment and notes the
// arrival before another can merge with it.
func (w *rxWatcher) loop(epfd int) {
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	events := make([]syscall.EpollEvent, 128)
	ready := make([]*stampConn, 0, len(events))
	p := rxPeek{buf: make([]byte, peekLen)}
	for {
		n, err := syscall.EpollWait(epfd, events, 100)
		if err != nil && err != syscall.EINTR {
			n = 0
		}
		ready = ready[:0]
		w.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			if c := w.conns[uint32(ev.Fd)]; c != nil {
				ready = append(ready, c)
			}
		}
		if len(w.conns) == 0 && n <= 0 {
			syscall.Close(epfd)
			w.epfd = -1
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		for _, c := range ready {
			// Control holds the descriptor open: a connection closed meanwhile fails here
			// rather than peeking at a new socket that reused its number.
			_ = c.raw.Control(p.peek)
			if p.ns != 0 {
				c.mark(p.end, p.ns)
			}
		}
	}
}

// rxPeek reads one connection's newest arrival without consuming it.
type rxPeek struct {
	buf     []byte
	oob     [stampOOB]byte
	info    [tcpInfoLen]byte
	end, ns int64
}

func (p *rxPeek) peek(fd uintptr) {
	p.end, p.ns = 0, 0
	l := uint32(tcpInfoLen)
	if _, _, e := syscall.RawSyscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
		uintptr(unsafe.Pointer(&p.info[0])), uintptr(unsafe.Pointer(&l)), 0); e != 0 || l < tcpInfoLen {
		return
	}
	end := int64(binary.NativeEndian.Uint64(p.info[tcpInfoBytesRecvOff:]))
	iov := syscall.Iovec{Base: &p.buf[0]}
	iov.SetLen(len(p.buf))
	msg := syscall.Msghdr{Iov: &iov, Iovlen: 1, Control: &p.oob[0]}
	msg.SetControllen(len(p.oob))
	n, _, e := syscall.RawSyscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&msg)),
		syscall.MSG_PEEK|syscall.MSG_TRUNC|syscall.MSG_DONTWAIT)
	if e != 0 || n == 0 || int(n) >= len(p.buf) {
		return
	}
	p.end, p.ns = end, rxTimestamp(p.oob[:msg.Controllen])
}

// collect has nothing to do: the thread marks the connections itself.
func (w *rxWatcher) collect() {}
