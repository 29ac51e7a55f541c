package limiter

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// slidingWindow is Cloudflare's sliding window counter ("Counting things, a lot of different
// things", 2017): two epoch-aligned fixed-window counts, the previous and the current, and the
// estimate
//
//	rate = prev·(Window − elapsed)/Window + curr
//
// where elapsed is the time since the current window began. The previous window's share is a
// count of requests, so it is taken whole: a request of cost c passes iff
//
//	floor(prev·(Window − elapsed)/Window) + curr + c <= Limit
//
// (In Cloudflare's example, 50/min with prev 42, curr 18 and 15 s elapsed, rate = 42·45/60 +
// 18 = 49.5 and floor(31.5) + 18 + 1 = 50, so the next request passes.) Taking the share whole
// is what makes the sustained rate Limit per Window, as configured: with the fractional share,
// a saturated counter admits only Limit − 1 per window, because the previous window's share never
// quite reaches zero before the window ends.
//
// The estimate assumes the previous window's traffic was uniform, so it is approximate. What
// holds exactly:
//   - per aligned window, at most Limit units pass (rate >= curr);
//   - in any window (t − Window, t], with e = t − start of t's aligned window and a the units
//     admitted in the part of the previous aligned window it covers, at most
//     Limit + a·e/Window pass, so always fewer than 2·Limit (a <= Limit, e < Window). The worst
//     case is Limit units at the very end of one window and then Limit·e/Window more e into
//     the next. Taking the share whole adds less than one unit: at most Limit + a·e/Window + 1.
//
// Config.Rounding chooses how the share is counted, as real counters differ: floor (above,
// the default), round-half-up (floor(share + ½)), or fractional (the share as it is, so a
// request passes iff share + curr + c <= Limit, and a saturated counter admits Limit − 1 per
// window). All three are decided exactly, on the integer inequality
//
//	2·prev·(Window − elapsed) < k·Window + f,  k = 2·room + 2, 2·room + 1 or 2·room; f = 0, 0 or 1
//
// with room = Limit − curr − c (floor(s) <= room ⇔ s < room + 1; floor(s + ½) <= room ⇔
// s < room + ½; s <= room ⇔ 2·s·Window < 2·room·Window + 1 for the integer 2·prev·(Window −
// elapsed)).
//
// Headers: Limit = Limit; Remaining = Limit − curr − the share as counted (rounded up when
// fractional, so Remaining is the largest cost that passes); Reset = the time until rate is
// zero (the end of the next window while curr > 0, else of this one while prev > 0);
// RetryAfter = the first instant the request fits if nothing else arrives, solved exactly from
// the inequality.
type slidingWindow struct {
	cfg    Config
	limit  int64
	window int64
	start  int64 // current window's start; unset before the first call
	prev   int64 // units in the previous window [start − Window, start)
	curr   int64 // units in the current window so far
	// k2, f are the rounding's terms of the admission inequality: k = 2·room + k2.
	k2, f uint64
	clock
}

func newSlidingWindow(c Config) *slidingWindow {
	w := &slidingWindow{cfg: c, limit: c.Limit, window: int64(c.Window), start: unset, clock: clock{last: unset}, k2: 2}
	switch c.Rounding {
	case RoundHalfUp:
		w.k2 = 1
	case RoundFractional:
		w.k2, w.f = 0, 1
	}
	return w
}

// Config returns the limiter's configuration with defaults filled in.
func (w *slidingWindow) Config() Config { return w.cfg }

// advance moves to the window holding now (or the last instant seen), shifting the counts when
// windows have passed, and returns the instant.
func (w *slidingWindow) advance(now time.Time) int64 {
	t := w.observe(now)
	s := alignDown(t, w.window)
	if s == w.start {
		return t
	}
	if w.start != unset && s == w.start+w.window {
		w.prev = w.curr
	} else {
		w.prev = 0
	}
	w.start, w.curr = s, 0
	return t
}

// weighted returns prev·(Window − elapsed), the previous window's share of the estimate times
// Window: rate = weighted/Window + curr.
func (w *slidingWindow) weighted(t int64) exact.U128 {
	return exact.Mul(uint64(w.prev), uint64(w.start+w.window-t))
}

// fits reports whether the share as counted + curr + cost <= Limit at t:
// 2·prev·(Window − elapsed) < (2·room + k2)·Window + f.
func (w *slidingWindow) fits(t, cost int64) bool {
	room := w.limit - w.curr - cost
	return room >= 0 && w.weighted(t).Shl1().Less(w.bound(uint64(room)))
}

// bound is the right-hand side of the admission inequality for room: (2·room + k2)·Window + f.
func (w *slidingWindow) bound(room uint64) exact.U128 {
	return exact.Mul(2*room+w.k2, uint64(w.window)).Add64(w.f)
}

// Allow admits a request iff the share as counted + curr + cost <= Limit, counting it in the
// current window.
func (w *slidingWindow) Allow(now time.Time, cost int64) Decision {
	t := w.advance(now)
	cost = max(clampCost(cost), 0)
	fits := w.fits(t, cost)
	if fits {
		w.curr += cost
	}
	d := w.state(t)
	d.Allowed = fits
	if !fits && !never(&d, cost, w.limit, w.cfg.Window) {
		d.RetryAfter = time.Duration(w.fitsAt(cost) - t)
	}
	return d
}

// fitsAt returns the first instant after the last seen at which a request of cost <= Limit
// that does not fit now would fit, if nothing else arrives.
func (w *slidingWindow) fitsAt(cost int64) int64 {
	// Still in this window, at elapsed x: 2·prev·(Window − x) < bound(room). (prev > 0, or it
	// would fit now.)
	if room := w.limit - w.curr - cost; room >= 0 && w.prev > 0 {
		if x, ok := exact.FirstFit(w.bound(uint64(room)), uint64(w.window), 2*uint64(w.prev)); ok {
			return w.start + x
		}
	}
	// In the next window prev becomes curr and curr 0: 2·curr·(Window − x) < bound(Limit − cost).
	next := w.start + w.window
	if w.curr == 0 {
		return next
	}
	if x, ok := exact.FirstFit(w.bound(uint64(w.limit-cost)), uint64(w.window), 2*uint64(w.curr)); ok {
		return next + x
	}
	return next
}

// state returns Limit, Remaining and Reset at t.
func (w *slidingWindow) state(t int64) Decision {
	// The admission rule's room: Limit − curr − the share as counted.
	q, r, _ := w.weighted(t).DivMod(uint64(w.window)) // q <= prev, so it fits
	share := int64(q)
	switch {
	case w.k2 == 1 && 2*r >= uint64(w.window): // round half up
		share++
	case w.f == 1 && r > 0: // fractional: the largest cost that passes leaves room for it
		share++
	}
	d := Decision{Limit: w.limit, Remaining: max(w.limit-w.curr-share, 0)}
	switch {
	case w.curr > 0:
		d.Reset = time.Duration(w.start + 2*w.window - t)
	case w.prev > 0:
		d.Reset = time.Duration(w.start + w.window - t)
	}
	return d
}

// Charge counts cost units in the current window unchecked; a negative cost uncounts them from
// the current window, then the previous one, never below zero.
func (w *slidingWindow) Charge(now time.Time, cost int64) {
	w.advance(now)
	cost = clampCost(cost)
	if cost >= 0 {
		w.curr = exact.AddSat(w.curr, cost)
		return
	}
	refund := -cost
	take := min(refund, w.curr)
	w.curr -= take
	w.prev = max(w.prev-(refund-take), 0)
}

// Peek returns the decision a zero-cost request would get at now, on a copy of the state.
func (w *slidingWindow) Peek(now time.Time) Decision {
	c := *w
	return c.Allow(now, 0)
}
