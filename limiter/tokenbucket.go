package limiter

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// tokenBucket is a bucket of capacity b = Burst tokens, initially full, refilled continuously
// at r = Limit/Window up to b (the model of golang.org/x/time/rate and of Anthropic's limits).
// A request of cost c passes iff tokens >= c, and then takes c tokens. Charge may take the
// bucket below zero (debt), which then takes longer to refill.
//
// Headers: Limit = b; Remaining = floor(tokens); Reset = (b − tokens)/r, the time until full;
// RetryAfter = (c − tokens)/r.
//
// The token count is exact: tokens = whole + frac/Window with 0 <= frac < Window, so one
// nanosecond of refill adds exactly Limit to frac.
type tokenBucket struct {
	cfg      Config
	capacity int64 // b
	limit    int64 // r = limit/window
	window   int64 // nanoseconds
	whole    int64 // may be negative (debt) down to −maxDebt
	frac     int64 // in units of 1/window token; 0 when whole == capacity
	clock
}

func newTokenBucket(c Config) *tokenBucket {
	return &tokenBucket{
		cfg:      c,
		capacity: c.Burst,
		limit:    c.Limit,
		window:   int64(c.Window),
		whole:    c.Burst,
		clock:    clock{last: unset},
	}
}

// Config returns the limiter's configuration with defaults filled in.
func (b *tokenBucket) Config() Config { return b.cfg }

// advance moves the bucket to now (or to the last instant seen, if now is earlier):
// tokens = min(b, tokens + elapsed·r), that is, what the bucket misses of being full drains.
func (b *tokenBucket) advance(now time.Time) {
	last := b.last
	t := b.observe(now)
	if last == unset || t == last || b.whole >= b.capacity {
		return
	}
	// missing = b − whole − frac/window = mw + mf/window with 0 <= mf < window.
	mw, mf := uint64(b.capacity)-uint64(b.whole), uint64(0)
	if b.frac > 0 {
		mw, mf = mw-1, uint64(b.window-b.frac)
	}
	mw, mf = drain(mw, mf, t-last, b.limit, b.window)
	b.whole, b.frac = int64(uint64(b.capacity)-mw), 0
	if mf > 0 {
		b.whole, b.frac = b.whole-1, b.window-int64(mf)
	}
}

// Allow admits a request of cost units iff tokens >= cost, taking them.
func (b *tokenBucket) Allow(now time.Time, cost int64) Decision {
	b.advance(now)
	cost = max(clampCost(cost), 0)
	// tokens >= cost ⇔ whole >= cost, since 0 <= frac/window < 1 and cost is whole.
	if b.whole >= cost {
		b.whole -= cost
		return b.decision(true, cost)
	}
	return b.decision(false, cost)
}

// Charge takes cost tokens whether or not they are there (the bucket may go into debt); a
// negative cost puts tokens back, never above the capacity.
func (b *tokenBucket) Charge(now time.Time, cost int64) {
	b.advance(now)
	b.whole = exact.AddSat(b.whole, -clampCost(cost))
	if b.whole >= b.capacity {
		b.whole, b.frac = b.capacity, 0
	}
}

// Peek returns the decision a zero-cost request would get at now, on a copy of the state.
func (b *tokenBucket) Peek(now time.Time) Decision {
	c := *b
	return c.Allow(now, 0)
}

// decision fills in the header values for the current state.
func (b *tokenBucket) decision(allowed bool, cost int64) Decision {
	d := Decision{Allowed: allowed, Limit: b.capacity, Remaining: max(b.whole, 0), Reset: b.until(b.capacity)}
	if !allowed && !never(&d, cost, b.capacity, b.cfg.Window) {
		d.RetryAfter = b.until(cost)
	}
	return d
}

// until returns how long the bucket takes to hold n tokens: (n − tokens)/r = ((n − whole)·window
// − frac)/limit nanoseconds, rounded up so that tokens >= n at now+until(n); zero if it already
// does.
func (b *tokenBucket) until(n int64) time.Duration {
	if b.whole >= n {
		return 0
	}
	need := exact.Mul(uint64(n)-uint64(b.whole), uint64(b.window)).Sub64(uint64(b.frac))
	return time.Duration(need.CeilDiv(uint64(b.limit)))
}
