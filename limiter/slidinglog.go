package limiter

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// slidingLog is the exact sliding window: it logs every admitted (or charged) cost with its
// instant and admits a request of cost c at now iff
//
//	sum of the costs logged in (now − Window, now] + c <= Limit.
//
// The log is a ring buffer of (instant, running total) pairs, one per distinct instant, so the
// window's sum is newest.total − total before the oldest live entry: a decision expires old
// entries from the front and appends at the back, amortized O(1) and allocation-free once the
// ring has grown to the window's peak entry count (at most Limit with costs >= 1, more only
// under Charge). Memory is O(entries in one window).
//
// Headers: Limit = Limit; Remaining = Limit − sum; Reset = newest entry + Window − now, when the
// log is empty again; RetryAfter = the instant enough of the oldest entries have expired for
// the request to fit (a binary search over the running totals, O(log n)), minus now.
type slidingLog struct {
	cfg    Config
	limit  int64
	window int64
	ring   []logEntry // len is 0 or a power of two
	head   int        // index of the oldest live entry
	n      int        // live entries
	base   int64      // running total just before the oldest live entry
	total  int64      // running total through the newest entry; == base when the log is empty
	clock
}

// logEntry is one instant of the log: the running total of costs through it.
type logEntry struct{ at, total int64 }

func newSlidingLog(c Config) *slidingLog {
	return &slidingLog{cfg: c, limit: c.Limit, window: int64(c.Window), clock: clock{last: unset}}
}

// Config returns the limiter's configuration with defaults filled in.
func (l *slidingLog) Config() Config { return l.cfg }

// entry returns the i-th live entry, oldest first.
func (l *slidingLog) entry(i int) *logEntry {
	return &l.ring[(l.head+i)&(len(l.ring)-1)]
}

// expire drops the entries at or before t − Window, oldest first: amortized O(1), as each
// entry is dropped once.
func (l *slidingLog) expire(t int64) {
	cutoff := t - l.window
	for l.n > 0 && l.ring[l.head].at <= cutoff {
		l.drop(1)
	}
	if l.n == 0 {
		l.base, l.total = 0, 0 // empty: restart the running total
	}
}

// expireSearch is expire by binary search, O(log n) however many entries have expired; Peek
// uses it on a copy, where the expiry is not kept and would otherwise be redone every time.
func (l *slidingLog) expireSearch(t int64) {
	cutoff := t - l.window
	lo, hi := 0, l.n // first live entry in [lo, hi]
	for lo < hi {
		if mid := int(uint(lo+hi) >> 1); l.entry(mid).at <= cutoff {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	l.drop(lo)
	if l.n == 0 {
		l.base, l.total = 0, 0
	}
}

// drop forgets the k oldest entries. It writes only the header fields (head, n, base), never
// the ring, so it is safe on a shallow copy.
func (l *slidingLog) drop(k int) {
	if k == 0 {
		return
	}
	l.base = l.entry(k - 1).total
	l.head = (l.head + k) & (len(l.ring) - 1)
	l.n -= k
}

// push logs cost > 0 units at t (the newest instant).
func (l *slidingLog) push(t, cost int64) {
	l.total = exact.AddSat(l.total, cost)
	if l.n > 0 {
		if e := l.entry(l.n - 1); e.at == t {
			e.total = l.total
			return
		}
	}
	if l.n == len(l.ring) {
		l.grow()
	}
	*l.entry(l.n) = logEntry{t, l.total}
	l.n++
}

// grow doubles the ring, keeping the entries in order.
func (l *slidingLog) grow() {
	ring := make([]logEntry, max(16, 2*len(l.ring)))
	for i := range l.n {
		ring[i] = *l.entry(i)
	}
	l.ring, l.head = ring, 0
}

// refund removes up to amount units, newest first.
func (l *slidingLog) refund(amount int64) {
	for amount > 0 && l.n > 0 {
		newest := l.entry(l.n - 1)
		before := l.base
		if l.n > 1 {
			before = l.entry(l.n - 2).total
		}
		cost := newest.total - before
		if cost > amount {
			newest.total -= amount
			l.total -= amount
			return
		}
		amount -= cost
		l.total = before
		l.n--
	}
	if l.n == 0 {
		l.base, l.total = 0, 0
	}
}

// Allow admits a request iff the window's sum + cost <= Limit, and logs it.
func (l *slidingLog) Allow(now time.Time, cost int64) Decision {
	t := l.observe(now)
	l.expire(t)
	return l.decide(t, max(clampCost(cost), 0))
}

// decide answers a request of cost >= 0 at t, after expiry, logging it if admitted.
func (l *slidingLog) decide(t, cost int64) Decision {
	sum := l.total - l.base
	fits := cost <= l.limit-sum
	if fits && cost > 0 {
		l.push(t, cost)
	}
	d := l.state(t)
	d.Allowed = fits
	if fits || never(&d, cost, l.limit, l.cfg.Window) {
		return d
	}
	// The oldest entries totalling sum + cost − Limit must expire: the request fits once the
	// first entry whose running total reaches target = base + sum + cost − Limit has expired,
	// at its instant + Window. cost <= Limit, so target <= total and such an entry exists.
	target := l.base + sum + cost - l.limit
	lo, hi := 0, l.n-1
	for lo < hi {
		if mid := int(uint(lo+hi) >> 1); l.entry(mid).total >= target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	d.RetryAfter = time.Duration(l.entry(lo).at + l.window - t)
	return d
}

// state returns Limit, Remaining and Reset at t, after expiry.
func (l *slidingLog) state(t int64) Decision {
	d := Decision{Limit: l.limit, Remaining: max(l.limit-(l.total-l.base), 0)}
	if l.n > 0 {
		d.Reset = time.Duration(l.entry(l.n-1).at + l.window - t)
	}
	return d
}

// Charge logs cost units at now unchecked; a negative cost removes the newest logged units,
// never below an empty log.
func (l *slidingLog) Charge(now time.Time, cost int64) {
	t := l.observe(now)
	l.expire(t)
	switch cost = clampCost(cost); {
	case cost > 0:
		l.push(t, cost)
	case cost < 0:
		l.refund(-cost)
	}
}

// Peek returns the decision a zero-cost request would get at now. It runs on a shallow copy:
// expiry and a zero-cost decision write only the copy's header fields, never the shared ring.
func (l *slidingLog) Peek(now time.Time) Decision {
	c := *l
	t := c.at(now)
	c.expireSearch(t)
	return c.decide(t, 0)
}
