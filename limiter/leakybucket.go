package limiter

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// leakyBucket is nginx's limit_req (ngx_http_limit_req_module, ngx_http_limit_req_lookup):
// a queue that drains at r = Limit/Window and lets at most Burst units wait ahead of a request.
// nginx keeps, per key, the excess e of the last admitted request and the instant it came, and
// for each new request computes, in thousandths of a request,
//
//	excess = max(0, e − r·elapsed + 1)
//	reject (503, or 429 here) if excess > burst; otherwise store it and delay the request by
//	excess/r, or serve it at once with nodelay (its slot still drains at r)
//
// and a key's first request gets excess 0. Read as a queue, excess is the work still queued
// ahead of the request, its own unit being the +1 the next request will find. This type keeps
// that backlog b (the last request's cost included) and generalises the unit to a cost c:
//
//	b = max(0, b − r·elapsed)      excess of this request
//	admit iff b <= Burst; Delay = b/r (0 with NoDelay); then b += c
//
// With unit costs this is nginx's lookup exactly (continuous instead of nginx's milliseconds),
// including its answer to Sysoev's example (rate=1r/s burst=5, simultaneous requests): the
// first is served at once, the next five are delayed by 1…5 s and only the seventh is rejected.
// The often-quoted reading "1 served, 4 delayed by 1–4 s, the 6th rejected" is not what the
// source does (excess 5000 is not > burst 5000); the table test follows the source. nginx
// 1.15.7's delay=N parameter (the first N excess requests not delayed) is not modelled.
//
// Served requests start at least c/r apart, so in any interval of length T at most 1 + r·T
// unit requests start service; arrivals admitted in any interval of length T number at most
// 1 + Burst + r·T (with or without NoDelay).
//
// Headers (nginx sends none; these are the natural ones): Limit = Burst + 1, the most requests
// admitted at one instant; Remaining = floor(Burst − b) + 1 more unit requests could pass now
// (so Burst − excess right after an admission, as nginx would count it); Reset = b/r, the time
// until drained; RetryAfter = (b − Burst)/r, the time until the request fits.
//
// The backlog is exact: b = whole + frac/Window.
type leakyBucket struct {
	cfg     Config
	burst   int64
	limit   int64
	window  int64
	noDelay bool
	whole   int64 // >= 0
	frac    int64 // in units of 1/window; 0 <= frac < window
	clock
}

func newLeakyBucket(c Config) *leakyBucket {
	return &leakyBucket{
		cfg:     c,
		burst:   c.Burst,
		limit:   c.Limit,
		window:  int64(c.Window),
		noDelay: c.NoDelay,
		clock:   clock{last: unset},
	}
}

// Config returns the limiter's configuration with defaults filled in.
func (l *leakyBucket) Config() Config { return l.cfg }

// advance drains the backlog to now (or the last instant seen): b = max(0, b − elapsed·r).
func (l *leakyBucket) advance(now time.Time) {
	last := l.last
	t := l.observe(now)
	if last == unset || t == last {
		return
	}
	w, f := drain(uint64(l.whole), uint64(l.frac), t-last, l.limit, l.window)
	l.whole, l.frac = int64(w), int64(f)
}

// fits reports whether b <= Burst.
func (l *leakyBucket) fits() bool {
	return l.whole < l.burst || l.whole == l.burst && l.frac == 0
}

// Allow admits a request iff the backlog ahead of it is at most Burst, and adds its cost.
func (l *leakyBucket) Allow(now time.Time, cost int64) Decision {
	l.advance(now)
	cost = max(clampCost(cost), 0)
	if !l.fits() {
		d := l.state()
		// (b − Burst)/r, rounded up: at now+RetryAfter the backlog is exactly <= Burst.
		over := exact.Mul(uint64(l.whole-l.burst), uint64(l.window)).Add64(uint64(l.frac))
		d.RetryAfter = time.Duration(over.CeilDiv(uint64(l.limit)))
		return d
	}
	var delay time.Duration
	if !l.noDelay {
		delay = l.drainTime()
	}
	l.whole = exact.AddSat(l.whole, cost)
	d := l.state()
	d.Allowed, d.Delay = true, delay
	return d
}

// Charge adds cost to the backlog unchecked; a negative cost removes it, never below empty.
func (l *leakyBucket) Charge(now time.Time, cost int64) {
	l.advance(now)
	l.whole = exact.AddSat(l.whole, clampCost(cost))
	if l.whole < 0 {
		l.whole, l.frac = 0, 0
	}
}

// Peek returns the decision a zero-cost request would get at now, on a copy of the state.
func (l *leakyBucket) Peek(now time.Time) Decision {
	c := *l
	return c.Allow(now, 0)
}

// drainTime returns b/r rounded up.
func (l *leakyBucket) drainTime() time.Duration {
	return time.Duration(exact.Mul(uint64(l.whole), uint64(l.window)).Add64(uint64(l.frac)).CeilDiv(uint64(l.limit)))
}

// state returns Limit, Remaining and Reset for the current backlog.
func (l *leakyBucket) state() Decision {
	d := Decision{Limit: min(l.burst, maxInt-1) + 1, Reset: l.drainTime()}
	if l.fits() {
		// floor(Burst − b) + 1: Burst − whole when b has a fraction, one more when not.
		d.Remaining = l.burst - l.whole
		if l.frac == 0 {
			d.Remaining = min(d.Remaining, maxInt-1) + 1
		}
	}
	return d
}
