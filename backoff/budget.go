package backoff

import (
	"math"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
)

// budget is header-pacing's estimate of one dimension's quota, shared by a fleet. It is anchored
// on the newest response that reported the dimension: when the observed attempt was sent (at),
// the server had rem units left. Attempts are numbered as they are granted, so every attempt
// granted after the observed one is charged even when its response comes back first.
//
// With a known refill rate ρ (limit per window: the window parameter, IETF w=, or one minute for
// the Anthropic and OpenAI dialects, whose limits are per minute and refill continuously; for
// those two never below what the resets prove, see anchor) the budget is a token bucket replayed
// from the anchor:
//
//	stock(at) = rem
//	at each later grant g:  stock = min(cap, stock + ρ·(t_g − t_prev)) − cost
//	B(t) = min(cap, stock + ρ·(t − t_last))
//
// Without a rate, remaining is spread evenly over reset, and the quota is back in full after it:
//
//	B(t) = rem·(t − at)/reset − cost·n     for t < at + reset   (n = grants since the anchor)
//	B(t) = cap − cost·n                    from at + reset
//
// An attempt may go when B(t) ≥ cost in every paced dimension. cap, the largest remaining seen
// plus one request's cost (never above the advertised limit), is a lower bound of the bucket's
// capacity. Every approximation errs on the safe side: rem is a floor, at is no later than the
// server's decision, and a reset of one-second resolution gets a second added.
type budget struct {
	cost   float64 // units one request uses; 0 = not paced
	ok     bool    // anchored
	seq    uint64  // grant number of the observed attempt
	at     time.Time
	rem    float64
	rate   float64       // refill per second; 0 = unknown
	floor  float64       // largest lower bound of the rate the resets have shown
	reset  time.Duration // until full; < 0 = unknown
	cap    float64
	maxRem float64

	// known-rate model: stock units at stockAt, every grant after seq charged
	stock   float64
	stockAt time.Time
}

// level is the known-rate model's stock refilled up to t.
func (b *budget) level(t time.Time) float64 {
	return min(b.cap, b.stock+b.rate*max(0, t.Sub(b.stockAt).Seconds()))
}

// take charges one grant at t to the known-rate model.
func (b *budget) take(t time.Time) {
	if b.rate <= 0 {
		return
	}
	b.stock = b.level(t) - b.cost
	if t.After(b.stockAt) {
		b.stockAt = t
	}
}

// anchor re-bases the budget on an observation of state st (dialect d, refill window w: 0 if
// unknown), for the attempt granted as seq and sent at. grants are the instants of the grants
// numbered first, first+1, …; those after seq are replayed. continuous says the limit refills
// continuously and reset is when it is full again (Anthropic, OpenAI), which bounds the rate
// from below even when the advertised limit is not what refills per window (see floor).
func (b *budget) anchor(st ratelimit.State, d ratelimit.Dialect, tokens bool, w time.Duration, continuous bool,
	seq uint64, at time.Time, first uint64, grants []time.Time) {
	b.ok, b.seq, b.at = true, seq, at
	b.rem = float64(st.Remaining)
	if d == ratelimit.DialectAnthropic && tokens {
		b.rem -= 500 // Anthropic rounds token counts to the nearest thousand
	}
	b.maxRem = max(b.maxRem, b.rem)
	b.cap = b.maxRem + b.cost
	b.rate, b.reset = 0, -1
	if st.Has(ratelimit.HasLimit) {
		b.cap = min(b.cap, float64(st.Limit))
		if w > 0 {
			b.rate = float64(st.Limit) / w.Seconds()
		}
	}
	if st.Has(ratelimit.HasReset) {
		b.reset = max(0, st.Reset)
		if oneSecondReset(st.ResetKind) {
			b.reset += time.Second
		}
	}
	// A bucket that is full again after reset refills at ρ = (capacity − level)/reset, and since
	// capacity ≥ cap, level < rem + cost and the true reset ≤ the reset read (margin included),
	//
	//	ρ ≥ (cap − rem − cost) / reset
	//
	// The largest such bound seen is the floor of the rate: it rescues a limit header that states
	// the bucket's capacity rather than its per-minute quota (a 10-request burst refilling at
	// 600/min would otherwise be paced at 10/min). Requests only: token counts are rounded.
	if continuous && !tokens && b.rate > 0 && b.reset > 0 {
		b.floor = max(b.floor, (b.cap-b.rem-b.cost)/b.reset.Seconds())
		b.rate = max(b.rate, b.floor)
	}
	b.stock, b.stockAt = b.rem, at
	if first > seq+1 { // grants already dropped from the log: charge them now, to be safe
		b.stock -= b.cost * float64(first-seq-1)
	}
	for i, t := range grants {
		if first+uint64(i) > seq {
			b.take(t)
		}
	}
}

// waitFor returns how long from now until the budget allows k+1 more attempts (k clients are
// queued ahead, and each will take its share as soon as it can), n attempts having been granted
// since the anchor; 0 when it allows them now. ok is false when no passage of time allows them
// without a new response (the caller polls).
func (b *budget) waitFor(now time.Time, n, k uint64) (wait time.Duration, ok bool) {
	if b.cost > b.cap {
		return 0, false
	}
	want := b.cost * float64(k+1)
	var until float64 // seconds from now
	switch {
	case b.rate > 0:
		// From the current (capped) level the stock grows at ρ while those ahead take theirs,
		// so the cap no longer binds.
		avail := b.level(now)
		if avail >= want {
			return 0, true
		}
		until = (want - avail) / b.rate
	case b.reset < 0: // nothing but what remains
		if b.rem >= b.cost*float64(n)+want {
			return 0, true
		}
		return 0, false
	default:
		need := b.cost*float64(n) + want
		if need > b.cap {
			return 0, false
		}
		full := b.reset.Seconds()
		var at float64 // seconds after the anchor
		switch {
		case b.rem >= need: // released linearly: rem·t/reset ≥ need at t = need·reset/rem
			at = need * full / b.rem
		default:
			at = full
		}
		until = at - now.Sub(b.at).Seconds()
		if until <= 0 {
			return 0, true
		}
	}
	// Round up to the nanosecond and add a microsecond so that, asked again at now+wait, the
	// estimate has certainly reached the need despite floating-point rounding.
	return time.Duration(math.Ceil(until*1e9)) + time.Microsecond, true
}

// oneSecondReset reports whether a reset reading has one-second resolution; such a reset may be
// up to a second short, so a second is added before it is trusted.
func oneSecondReset(k ratelimit.ResetKind) bool {
	switch k {
	case ratelimit.ResetRFC3339, ratelimit.ResetEpochS, ratelimit.ResetDeltaS, ratelimit.ResetHTTPDate:
		return true
	}
	return false
}
