package limiter

import "time"

// slidingWindow is Cloudflare's sliding window counter ("Counting things, a lot of different
// things", 2017): two epoch-aligned fixed-window counts, the previous and the current, and the
// estimate
//
//	rate = prev·(Window − elapsed)/Window + curr
//
// where elapsed is the time since the current window began. A request of cost c passes iff
// rate + c <= Limit, the same "fits after admission" rule as the other algorithms. (In
// Cloudflare's example, 50/min with prev 42, curr 18 and 15 s elapsed, rate = 42·45/60 + 18 =
// 49.5, so one more request would make 50.5 and is denied.)
//
// The estimate assumes the previous window's traffic was uniform, so it is approximate. What
// holds exactly:
//   - per aligned window, at most Limit units pass (rate >= curr);
//   - in any window (t − Window, t], with e = t − start of t's aligned window and a the units
//     admitted in the part of the previous aligned window it covers, at most
//     Limit + a·e/Window pass, so always fewer than 2·Limit (a <= Limit, e < Window). The worst
//     case is Limit units at the very end of one window and then Limit·e/Window more e into
//     the next.
//
// Headers: Limit = Limit; Remaining = floor(Limit − rate); Reset = the time until rate is zero
// (the end of the next window while curr > 0, else of this one while prev > 0); RetryAfter =
// the first instant the request fits if nothing else arrives, solved exactly from the formula.
type slidingWindow struct {
	cfg    Config
	limit  int64
	window int64
	start  int64 // current window's start; unset before the first call
	prev   int64 // units in the previous window [start − Window, start)
	curr   int64 // units in the current window so far
	clock
}

func newSlidingWindow(c Config) *slidingWindow {
	return &slidingWindow{cfg: c, limit: c.Limit, window: int64(c.Window), start: unset, clock: clock{last: unset}}
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
func (w *slidingWindow) weighted(t int64) u128 {
	return mul(uint64(w.prev), uint64(w.start+w.window-t))
}

// fits reports whether rate + cost <= Limit at t: prev·(Window − elapsed) <= (Limit − curr −
// cost)·Window.
func (w *slidingWindow) fits(t, cost int64) bool {
	room := w.limit - w.curr - cost
	return room >= 0 && !mul(uint64(room), uint64(w.window)).less(w.weighted(t))
}

// Allow admits a request iff rate + cost <= Limit, counting it in the current window.
func (w *slidingWindow) Allow(now time.Time, cost int64) Decision {
	t := w.advance(now)
	cost = max(clampCost(cost), 0)
	if w.fits(t, cost) {
		w.curr += cost
		d := w.state(t)
		d.Allowed = true
		return d
	}
	d := w.state(t)
	if cost > w.limit {
		// The request can never pass; say when the estimate is zero, or one window.
		d.RetryAfter = d.Reset
		if d.RetryAfter == 0 {
			d.RetryAfter = w.cfg.Window
		}
		return d
	}
	d.RetryAfter = time.Duration(w.fitsAt(cost) - t)
	return d
}

// fitsAt returns the first instant after the last seen at which a request of cost <= Limit
// that does not fit now would fit, if nothing else arrives.
func (w *slidingWindow) fitsAt(cost int64) int64 {
	// Still in this window, at elapsed x: prev·(Window − x) <= room·Window
	// ⇔ x >= Window − floor(room·Window/prev). (prev > 0, or it would fit now.)
	if room := w.limit - w.curr - cost; room >= 0 && w.prev > 0 {
		if q, _, ok := mulDiv(uint64(room), uint64(w.window), uint64(w.prev)); ok && q > 0 {
			return w.start + w.window - int64(q) // q < Window, or it would fit now
		}
	}
	// In the next window prev becomes curr and curr 0: curr·(Window − x) <= (Limit − cost)·Window.
	next := w.start + w.window
	if w.curr == 0 {
		return next
	}
	q, _, ok := mulDiv(uint64(w.limit-cost), uint64(w.window), uint64(w.curr))
	if !ok || q >= uint64(w.window) {
		return next
	}
	return next + w.window - int64(q)
}

// state returns Limit, Remaining and Reset at t.
func (w *slidingWindow) state(t int64) Decision {
	// floor(Limit − curr − weighted/Window) = Limit − curr − ceil(weighted/Window)
	share := w.weighted(t).ceilDiv(uint64(w.window))
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
		w.curr = addSat(w.curr, cost)
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
