package redislimit

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
	"github.com/ratelab/ratelab/limiter"
)

// The script decides and returns each limiter's state in microseconds; the header values are
// computed here, in nanoseconds, by the formulas of package limiter (whose state types are not
// exported), so that a decision through Redis equals the in-process limiter's at the same
// instant. A state value is immutable: decide returns the state after the decision.

// state is one limiter's state at the instant of a decision.
type state interface {
	// decide answers a request of cost >= 0 as the in-process limiter's Allow would, and
	// returns the state after it (the cost taken when admitted).
	decide(cost int64) (limiter.Decision, state)
}

// record is one slot of the script's reply (see lua/3_main.lua).
type record struct {
	t, n        int64 // instant (µs) and the slot's write count
	fits, taken bool
	a, b, c, x  int64
}

// stateOf builds l's state from r, in nanoseconds; retry is the sliding log's retry entry
// (r.c for the op's cost, r.x for a zero cost after the op).
func (l *Limiter) stateOf(r record, retry int64) state {
	c, t := l.cfg, r.t*usec
	switch l.code {
	case codeTokenBucket:
		return bucketState{capacity: c.Burst, limit: c.Limit, window: int64(c.Window), cfgWindow: c.Window,
			whole: r.a, frac: r.b * usec}
	case codeGCRA:
		g := gcraState{burst: c.Burst, limit: c.Limit, window: int64(c.Window), cfgWindow: c.Window, t: t, tat: exact.Stamp{NS: exact.Unset, Num: 0}}
		q, rem, _ := exact.MulDiv(uint64(c.Burst), uint64(c.Window), uint64(c.Limit)) // validated by New
		g.tau = exact.Stamp{NS: int64(q), Num: int64(rem)}
		if r.a >= 0 {
			// tat + tnum/L µs = 1000·tat + 1000·tnum/L ns.
			num := r.b * usec
			g.tat = exact.Stamp{NS: r.a*usec + num/c.Limit, Num: num % c.Limit}
		}
		return g
	case codeLeakyBucket:
		return leakyState{burst: c.Burst, limit: c.Limit, window: int64(c.Window), noDelay: c.NoDelay,
			whole: r.a, frac: r.b * usec}
	case codeFixedWindow:
		return windowState{limit: c.Limit, window: int64(c.Window), start: r.a * usec, count: r.b, t: t}
	case codeSlidingWindow:
		return counterState{limit: c.Limit, window: int64(c.Window), cfgWindow: c.Window, k2: uint64(l.p[2]), f: uint64(l.p[3]),
			start: r.a * usec, prev: r.b, curr: r.c, t: t}
	default: // codeSlidingLog
		s := logState{limit: c.Limit, window: int64(c.Window), cfgWindow: c.Window, t: t, sum: r.a, newest: exact.Unset, retry: exact.Unset}
		if r.b >= 0 {
			s.newest = r.b * usec
		}
		if retry >= 0 {
			s.retry = retry * usec
		}
		return s
	}
}

// usec is nanoseconds per microsecond, Redis's clock resolution.
const usec = int64(time.Microsecond)

// bucketState is package limiter's token bucket: whole + frac/window tokens.
type bucketState struct {
	capacity, limit, window int64
	cfgWindow               time.Duration
	whole, frac             int64
}

func (b bucketState) decide(cost int64) (limiter.Decision, state) {
	if b.whole >= cost {
		b.whole -= cost
		return b.decision(true, cost), b
	}
	return b.decision(false, cost), b
}

func (b bucketState) decision(allowed bool, cost int64) limiter.Decision {
	d := limiter.Decision{Allowed: allowed, Limit: b.capacity, Remaining: max(b.whole, 0), Reset: b.until(b.capacity)}
	if !allowed {
		if cost > b.capacity {
			d.RetryAfter = limiter.NeverRetryAfter(d.Reset, b.cfgWindow)
		} else {
			d.RetryAfter = b.until(cost)
		}
	}
	return d
}

// until is ((n − whole)·window − frac)/limit nanoseconds, rounded up; zero when there already.
func (b bucketState) until(n int64) time.Duration {
	if b.whole >= n {
		return 0
	}
	need := exact.Mul(uint64(n)-uint64(b.whole), uint64(b.window)).Sub64(uint64(b.frac))
	return time.Duration(need.CeilDiv(uint64(b.limit)))
}

// gcraState is package limiter's GCRA: a theoretical arrival time.
type gcraState struct {
	burst, limit, window int64
	cfgWindow            time.Duration
	tau, tat             exact.Stamp
	t                    int64
}

// from is max(tat, t).
func (g gcraState) from() exact.Stamp {
	if g.tat.NS < g.t {
		return exact.Stamp{NS: g.t, Num: 0}
	}
	return g.tat
}

func (g gcraState) decide(cost int64) (limiter.Decision, state) {
	newTat := g.from().After(cost, g.window, g.limit)
	wait := exact.Stamp{NS: newTat.NS - g.t, Num: newTat.Num}
	allowed := wait.LessEq(g.tau)
	if allowed {
		g.tat = newTat
	}
	d := g.state()
	d.Allowed = allowed
	if !allowed {
		if cost > g.burst {
			d.RetryAfter = limiter.NeverRetryAfter(d.Reset, g.cfgWindow)
		} else {
			d.RetryAfter = time.Duration(wait.CeilSub(g.tau, g.limit))
		}
	}
	return d, g
}

// state is Remaining = floor(burst − (tat − t)·limit/window), Reset = tat − t rounded up.
func (g gcraState) state() limiter.Decision {
	tat := g.from()
	ns, num := tat.NS-g.t, tat.Num
	used := exact.Mul(uint64(ns), uint64(g.limit)).Add64(uint64(num)).CeilDiv(uint64(g.window))
	if num > 0 {
		ns++
	}
	return limiter.Decision{Limit: g.burst, Remaining: max(g.burst-used, 0), Reset: time.Duration(ns)}
}

// leakyState is package limiter's leaky bucket: a backlog of whole + frac/window units.
type leakyState struct {
	burst, limit, window int64
	noDelay              bool
	whole, frac          int64
}

func (l leakyState) fits() bool {
	return l.whole < l.burst || l.whole == l.burst && l.frac == 0
}

func (l leakyState) decide(cost int64) (limiter.Decision, state) {
	if !l.fits() {
		d := l.state()
		over := exact.Mul(uint64(l.whole-l.burst), uint64(l.window)).Add64(uint64(l.frac))
		d.RetryAfter = time.Duration(over.CeilDiv(uint64(l.limit)))
		return d, l
	}
	var delay time.Duration
	if !l.noDelay {
		delay = l.drainTime()
	}
	l.whole = exact.AddSat(l.whole, cost)
	d := l.state()
	d.Allowed, d.Delay = true, delay
	return d, l
}

// drainTime is backlog·window/limit, rounded up.
func (l leakyState) drainTime() time.Duration {
	return time.Duration(exact.Mul(uint64(l.whole), uint64(l.window)).Add64(uint64(l.frac)).CeilDiv(uint64(l.limit)))
}

func (l leakyState) state() limiter.Decision {
	d := limiter.Decision{Limit: min(l.burst, exact.MaxInt-1) + 1, Reset: l.drainTime()}
	if l.fits() {
		d.Remaining = l.burst - l.whole
		if l.frac == 0 {
			d.Remaining = min(d.Remaining, exact.MaxInt-1) + 1
		}
	}
	return d
}

// windowState is package limiter's fixed window, clock-aligned or opened by a request: count
// units in [start, start+window).
type windowState struct {
	limit, window, start, count, t int64
}

func (f windowState) decide(cost int64) (limiter.Decision, state) {
	reset := time.Duration(f.start + f.window - f.t)
	if cost <= f.limit-f.count {
		f.count += cost
		return limiter.Decision{Allowed: true, Limit: f.limit, Remaining: f.limit - f.count, Reset: reset}, f
	}
	return limiter.Decision{Limit: f.limit, Remaining: max(f.limit-f.count, 0), Reset: reset, RetryAfter: reset}, f
}

// counterState is package limiter's sliding window counter, with the rounding's terms of the
// admission inequality 2·prev·(window − elapsed) < (2·room + k2)·window + f.
type counterState struct {
	limit, window     int64
	cfgWindow         time.Duration
	k2, f             uint64
	start, prev, curr int64
	t                 int64
}

func (w counterState) weighted() exact.U128 {
	return exact.Mul(uint64(w.prev), uint64(w.start+w.window-w.t))
}

func (w counterState) bound(room uint64) exact.U128 {
	return exact.Mul(2*room+w.k2, uint64(w.window)).Add64(w.f)
}

func (w counterState) fits(cost int64) bool {
	room := w.limit - w.curr - cost
	return room >= 0 && w.weighted().Shl1().Less(w.bound(uint64(room)))
}

func (w counterState) decide(cost int64) (limiter.Decision, state) {
	if w.fits(cost) {
		w.curr += cost
		d := w.state()
		d.Allowed = true
		return d, w
	}
	d := w.state()
	if cost > w.limit {
		d.RetryAfter = limiter.NeverRetryAfter(d.Reset, w.cfgWindow)
		return d, w
	}
	d.RetryAfter = time.Duration(w.fitsAt(cost) - w.t)
	return d, w
}

// fitsAt is the first instant at which a request of cost <= limit that does not fit now would
// fit, if nothing else arrives: later in this window, or in the next.
func (w counterState) fitsAt(cost int64) int64 {
	if room := w.limit - w.curr - cost; room >= 0 && w.prev > 0 {
		if x, ok := exact.FirstFit(w.bound(uint64(room)), uint64(w.window), 2*uint64(w.prev)); ok {
			return w.start + x
		}
	}
	next := w.start + w.window
	if w.curr == 0 {
		return next
	}
	if x, ok := exact.FirstFit(w.bound(uint64(w.limit-cost)), uint64(w.window), 2*uint64(w.curr)); ok {
		return next + x
	}
	return next
}

func (w counterState) state() limiter.Decision {
	q, r, _ := w.weighted().DivMod(uint64(w.window))
	share := int64(q)
	switch {
	case w.k2 == 1 && 2*r >= uint64(w.window): // round half up
		share++
	case w.f == 1 && r > 0: // fractional: Remaining is the largest cost that passes
		share++
	}
	d := limiter.Decision{Limit: w.limit, Remaining: max(w.limit-w.curr-share, 0)}
	switch {
	case w.curr > 0:
		d.Reset = time.Duration(w.start + 2*w.window - w.t)
	case w.prev > 0:
		d.Reset = time.Duration(w.start + w.window - w.t)
	}
	return d
}

// logState is what a decision of package limiter's sliding log needs: the window's sum, the
// newest entry's instant, and the instant of the entry whose expiry lets the request fit
// (found by the script, which holds the log).
type logState struct {
	limit, window int64
	cfgWindow     time.Duration
	t, sum        int64
	newest, retry int64 // exact.Unset when none
}

func (l logState) decide(cost int64) (limiter.Decision, state) {
	if cost <= l.limit-l.sum {
		if cost > 0 {
			l.sum = exact.AddSat(l.sum, cost)
			l.newest = l.t
		}
		d := l.state()
		d.Allowed = true
		return d, l
	}
	d := l.state()
	switch {
	case cost > l.limit:
		d.RetryAfter = limiter.NeverRetryAfter(d.Reset, l.cfgWindow)
	case l.retry != exact.Unset:
		d.RetryAfter = time.Duration(l.retry + l.window - l.t)
	}
	return d, l
}

func (l logState) state() limiter.Decision {
	d := limiter.Decision{Limit: l.limit, Remaining: max(l.limit-l.sum, 0)}
	if l.newest != exact.Unset {
		d.Reset = time.Duration(l.newest + l.window - l.t)
	}
	return d
}
