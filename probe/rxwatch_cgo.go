//go:build linux && cgo && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

/*
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

// The watcher's thread: it sleeps in epoll_wait on the armed sockets and, for each that
// received a segment, peeks the kernel's receive timestamp of the newest queued segment and
// reads the connection's received byte count, then queues (id, count, stamp) in a ring that
// Go drains. It never consumes a byte; a socket number reused by then is only peeked at, and
// its id no longer matches; and disarm waits out a batch in progress (batch odd), so the
// descriptor is not closed while the thread may still peek at it.

#define RX_RING 16384           // arrivals queued for Go; more are dropped (reads fall back)
#define RX_SEEN 4096            // connections whose arrivals the thread counts
#define RX_MAX_MARKS 16         // maxMarks: a connection keeps no more unread arrivals
#define RX_PEEK (256 << 10)     // how far a peek looks (MSG_TRUNC: nothing is copied)
#define RX_INFO 136             // struct tcp_info up to tcpi_bytes_received (Linux 4.1)
#define RX_BYTES_RECEIVED 128
#ifndef SO_TIMESTAMPING
#define SO_TIMESTAMPING 37
#endif

typedef struct { uint32_t id; int64_t end, ns; } rx_arrival;

typedef struct {
	int epfd, stopfd;
	char *buf;              // the thread's peek buffer
	uint64_t head, tail;    // ring positions: head written by the thread, tail by Go
	uint64_t batch;         // odd while the thread handles what epoll_wait returned
	uint32_t seen_id[RX_SEEN]; // the thread's: arrivals queued per connection (by id), so a
	uint32_t seen[RX_SEEN];    // stream read late does not fill the ring with unkeepable ones
	rx_arrival ring[RX_RING];
} rx_watch;

static int64_t rx_stamp(struct msghdr *m) {
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING && c->cmsg_len >= CMSG_LEN(16)) {
			int64_t t[2];
			memcpy(t, CMSG_DATA(c), sizeof t);
			return t[0] * 1000000000LL + t[1];
		}
	}
	return 0;
}

static void *rx_loop(void *arg) {
	rx_watch *w = arg;
	struct epoll_event evs[128];
	char *buf = w->buf;
	for (;;) {
		int n = epoll_wait(w->epfd, evs, 128, -1);
		if (n < 0) { // EINTR; anything else would be a defect: do not spin on it
			if (errno != EINTR)
				usleep(1000);
			continue;
		}
		__atomic_add_fetch(&w->batch, 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			if (d == 0)
				goto out;
			int fd = (int)(d >> 32);
			unsigned char info[RX_INFO];
			socklen_t l = sizeof info;
			if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &l) != 0 || l < RX_INFO)
				continue;
			int64_t end;
			memcpy(&end, info + RX_BYTES_RECEIVED, sizeof end);
			char oob[128];
			struct iovec iov = {buf, RX_PEEK};
			struct msghdr m = {0};
			m.msg_iov = &iov;
			m.msg_iovlen = 1;
			m.msg_control = oob;
			m.msg_controllen = sizeof oob;
			ssize_t k = recvmsg(fd, &m, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
			if (k <= 0 || k >= RX_PEEK)
				continue;
			int64_t ns = rx_stamp(&m);
			uint32_t id = (uint32_t)d, s = id % RX_SEEN;
			if (w->seen_id[s] != id) {
				w->seen_id[s] = id;
				w->seen[s] = 0;
			}
			uint64_t h = w->head;
			if (ns == 0 || w->seen[s] >= RX_MAX_MARKS || h - __atomic_load_n(&w->tail, __ATOMIC_ACQUIRE) >= RX_RING)
				continue;
			w->seen[s]++;
			w->ring[h % RX_RING] = (rx_arrival){id, end, ns};
			__atomic_store_n(&w->head, h + 1, __ATOMIC_RELEASE);
		}
		__atomic_add_fetch(&w->batch, 1, __ATOMIC_SEQ_CST);
	}
out:
	free(buf);
	close(w->epfd);
	close(w->stopfd);
	free(w);
	return NULL;
}

// rx_start starts a watcher's thread; NULL when the system refuses.
static rx_watch *rx_start(void) {
	rx_watch *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->buf = malloc(RX_PEEK);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
	pthread_attr_t a;
	pthread_t t;
	if (w->buf == NULL || w->epfd < 0 || w->stopfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stopfd, &ev) != 0 ||
	    pthread_attr_init(&a) != 0)
		goto fail;
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&t, &a, rx_loop, w);
	pthread_attr_destroy(&a);
	if (err == 0)
		return w;
fail:
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->stopfd >= 0)
		close(w->stopfd);
	free(w->buf);
	free(w);
	return NULL;
}

// rx_stop ends the thread, which frees w: the caller forgets it.
static void rx_stop(rx_watch *w) {
	uint64_t one = 1;
	ssize_t k = write(w->stopfd, &one, sizeof one);
	(void)k;
}

static int rx_add(rx_watch *w, int fd, uint32_t id) {
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = (uint64_t)fd << 32 | id};
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

// rx_del stops watching fd and returns the batch in progress then (odd) or 0.
static uint64_t rx_del(rx_watch *w, int fd) {
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	uint64_t b = __atomic_load_n(&w->batch, __ATOMIC_SEQ_CST);
	return b & 1 ? b : 0;
}

static uint64_t rx_batch(rx_watch *w) { return __atomic_load_n(&w->batch, __ATOMIC_SEQ_CST); }

// rx_take moves up to max queued arrivals to out and returns how many.
static int rx_take(rx_watch *w, rx_arrival *out, int max) {
	uint64_t t = w->tail, h = __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);
	int n = 0;
	for (; t < h && n < max; t++, n++)
		out[n] = w->ring[t % RX_RING];
	__atomic_store_n(&w->tail, t, __ATOMIC_RELEASE);
	return n;
}
*/
import "C"

import (
	"runtime"
	"sync"
)

// The thread stops queueing a connection's arrivals where the connection stops keeping them.
const (
	_ uint = maxMarks - C.RX_MAX_MARKS
	_ uint = C.RX_MAX_MARKS - maxMarks
)

// rxWatcher watches the armed connections of one transport. Its thread runs while a
// connection is armed and ends when the last one is disarmed.
type rxWatcher struct {
	mu    sync.Mutex
	w     *C.rx_watch // nil while no thread runs
	conns map[uint32]*stampConn
	next  uint32
	buf   [64]C.rx_arrival
}

func newRxWatcher() *rxWatcher { return &rxWatcher{conns: map[uint32]*stampConn{}} }

// start runs the thread if it is not running (w.mu held); false when it could not start.
func (w *rxWatcher) start() bool {
	if w.w == nil {
		w.w = C.rx_start()
	}
	return w.w != nil
}

// add registers descriptor fd under id (w.mu held).
func (w *rxWatcher) add(fd uintptr, id uint32) bool {
	return C.rx_add(w.w, C.int(fd), C.uint32_t(id)) == 0
}

// remove deregisters descriptor fd (w.mu held), waiting out a batch of the thread's that may
// still peek at it: once c closes, its number can be another socket's.
func (w *rxWatcher) remove(fd uintptr) {
	b := C.rx_del(w.w, C.int(fd))
	for b != 0 && C.rx_batch(w.w) == b {
		runtime.Gosched()
	}
}

// running reports whether the thread runs.
func (w *rxWatcher) running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w != nil
}

// stopIfIdle ends the thread when no connection is armed (w.mu held).
func (w *rxWatcher) stopIfIdle() {
	if len(w.conns) == 0 && w.w != nil {
		C.rx_stop(w.w)
		w.w = nil
	}
}

// collect hands the arrivals the thread queued to their connections; an armed read calls it
// before it looks at its marks.
func (w *rxWatcher) collect() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.w == nil {
		return
	}
	for {
		n := int(C.rx_take(w.w, &w.buf[0], C.int(len(w.buf))))
		for _, a := range w.buf[:n] {
			if c := w.conns[uint32(a.id)]; c != nil {
				c.mark(int64(a.end), int64(a.ns))
			}
		}
		if n < len(w.buf) {
			return
		}
	}
}
