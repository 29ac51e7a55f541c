package backoff

import (
	"math"
	"sync"
	"time"

	"github.com/ratelab/ratelab/probe/ratelimit"
)

// budget is the fleet's estimate of one dimension's quota, anchored on the newest response that
// reported it: at the instant `at` (when the observed attempt was sent) the server had `rem`
// units left, and the fleet has sent n = seq − anchor.seq attempts since (grants are numbered,
// so an attempt granted after the observed one is counted even when its response comes first).
//
// With a known refill rate ρ (limit per window: IETF w=, the window parameter, or one minute for
// the Anthropic and OpenAI dialects, whose limits are per minute and refill continuously):
//
//	B(t) = min(cap, rem + ρ·(t − at)) − cost·n
//
// Without one, remaining is spread over reset (and the quota is back in full after reset):
//
//	B(t) = rem·(t − at)/reset − cost·n     for t < at + reset
//	B(t) = cap − cost·n                    from at + reset
//
// An attempt may go when B(t) ≥ cost in every paced dimension. cap = the largest remaining seen +
// cost (never above the advertised limit) is a lower bound of the bucket's capacity. Every
// approximation errs on the safe side: rem is a floor, `at` is no later than the server's
// decision, and a one-second-resolution reset gets one second added.
type budget struct {
	cost   float64 // units one request uses; 0 = not paced
	ok     bool    // anchored
	seq    uint64  // grant number of the observed attempt
	at     time.Time
	rem    float64
	rate   float64       // refill per second; 0 = unknown
	reset  time.Duration // until full; < 0 = unknown
	cap    float64
	maxRem float64
}

// waitFor returns how long from now until the budget allows one more attempt after n attempts
// sent since the anchor, 0 when it allows one now; ok is false when no passage of time will
// allow it without a new response (the caller polls).
func (b *budget) waitFor(now time.Time, n uint64) (wait time.Duration, ok bool) {
	need := b.cost * float64(n+1)
	if need > b.cap {
		return 0, false
	}
	dt := max(0, now.Sub(b.at).Seconds())
	var at float64 // seconds after the anchor when B reaches cost
	switch {
	case b.rate > 0:
		if b.rem+b.rate*dt >= need {
			return 0, true
		}
		at = (need - b.rem) / b.rate
	case b.reset < 0: // nothing but what remains
		if b.rem >= need {
			return 0, true
		}
		return 0, false
	default:
		full := b.reset.Seconds()
		switch {
		case dt >= full:
			return 0, true
		case b.rem >= need: // released linearly: rem·t/reset ≥ need at t = need·reset/rem
			at = need * full / b.rem
		default:
			at = full
		}
		if dt >= at {
			return 0, true
		}
	}
	// Round up to the nanosecond and add a microsecond so that, asked again at now+wait, the
	// estimate has certainly reached cost despite floating-point rounding.
	return time.Duration(math.Ceil((at-dt)*1e9)) + time.Microsecond, true
}

// oneSecondResets are the reset readings with one-second resolution; such a reset may be up to
// a second short, so one second is added before it is trusted.
func oneSecondReset(k ratelimit.ResetKind) bool {
	switch k {
	case ratelimit.ResetRFC3339, ratelimit.ResetEpochS, ratelimit.ResetDeltaS, ratelimit.ResetHTTPDate:
		return true
	}
	return false
}

// pacerFleet is header-pacing: one budget per dimension shared by every client of the account
// (see budget for the formulas). Before the first response only probe attempts may be in flight
// (the headers are not known yet); a response without any rate-limit header turns pacing off
// until one arrives. A 429 with retry-after pauses the whole fleet until then (IETF: Retry-After
// takes precedence over RateLimit fields). Retries wait retry-after, or after a 429 without one
// only what the budget says, or full jitter for other failures.
type pacerFleet struct {
	seed        int64
	l           limits
	base, limit time.Duration
	window      time.Duration // refill window override; 0 = from the headers
	probe       int
	poll        time.Duration

	mu         sync.Mutex
	seq        uint64 // grants issued
	inflight   int
	informed   bool // some response said whether the server sends rate-limit headers
	dims       [ratelimit.NumDimensions]budget
	pauseUntil time.Time
}

func newHeaderPacing(seed int64, l limits, window time.Duration, probe int, poll time.Duration,
	inputTokens, outputTokens int, base, limit time.Duration) *pacerFleet {
	f := &pacerFleet{seed: seed, l: l, base: base, limit: limit, window: window, probe: probe, poll: poll}
	f.dims[ratelimit.Requests].cost = 1
	f.dims[ratelimit.InputTokens].cost = float64(inputTokens)
	f.dims[ratelimit.OutputTokens].cost = float64(outputTokens)
	f.dims[ratelimit.Tokens].cost = float64(inputTokens + outputTokens)
	return f
}

// Client returns client i's policy; all clients share the fleet's budgets.
func (f *pacerFleet) Client(i int) Policy {
	c := &pacerClient{fleet: f}
	jitter := retryDelay(ClientRand(f.seed, i), f.base, f.limit)
	c.retrier = retrier{limits: f.l, delay: func(now time.Time, o *Outcome) (time.Duration, string) {
		if o.Status == 429 && (o.Limits == nil || !o.Limits.HasRetryAfter) && f.anchored() {
			return 0, "" // the shared budget holds the retry until the quota is back
		}
		return jitter(now, o)
	}}
	return c
}

func (f *pacerFleet) anchored() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dims[ratelimit.Requests].ok
}

// gate decides one client's attempt at now: a wait, or a grant numbered seq.
func (f *pacerFleet) gate(now time.Time) (wait time.Duration, seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Before(f.pauseUntil) {
		return f.pauseUntil.Sub(now), 0
	}
	if !f.informed && f.inflight >= f.probe {
		return f.poll, 0
	}
	for i := range f.dims {
		d := &f.dims[i]
		if !d.ok || d.cost <= 0 {
			continue
		}
		w, ok := d.waitFor(now, f.seq-d.seq)
		if !ok {
			w = f.poll
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		return wait, 0
	}
	f.seq++
	f.inflight++
	return 0, f.seq
}

// observe folds the outcome of the attempt granted as seq into the fleet's budgets.
func (f *pacerFleet) observe(now time.Time, o *Outcome, seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	if o.Status == 0 || o.Limits == nil {
		return // a transport error says nothing about the budget
	}
	at := o.Sent
	if at.IsZero() || at.After(now) {
		at = now // later is safer: it credits less refill
	}
	s := o.Limits
	f.informed = true // headers or not, the server has said what it sends
	for i := range f.dims {
		st := s.Dims[i]
		d := &f.dims[i]
		if d.cost <= 0 || !st.Has(ratelimit.HasRemaining) || (d.ok && seq < d.seq) {
			continue
		}
		d.ok, d.seq, d.at = true, seq, at
		d.rem = float64(st.Remaining)
		if s.Dialect == ratelimit.DialectAnthropic && ratelimit.Dimension(i) != ratelimit.Requests {
			d.rem -= 500 // Anthropic rounds token counts to the nearest thousand
		}
		d.maxRem = max(d.maxRem, d.rem)
		d.cap = d.maxRem + d.cost
		d.rate, d.reset = 0, -1
		if st.Has(ratelimit.HasLimit) {
			d.cap = min(d.cap, float64(st.Limit))
			if w := f.refillWindow(st, s.Dialect); w > 0 {
				d.rate = float64(st.Limit) / w.Seconds()
			}
		}
		if st.Has(ratelimit.HasReset) {
			d.reset = max(0, st.Reset)
			if oneSecondReset(st.ResetKind) {
				d.reset += time.Second
			}
		}
	}
	if o.Status == 429 {
		if r := &f.dims[ratelimit.Requests]; r.ok && !s.Dims[ratelimit.Requests].Has(ratelimit.HasRemaining) && seq >= r.seq {
			r.seq, r.at, r.rem = seq, at, 0 // a 429 without request headers: assume empty now
		}
		if s.HasRetryAfter {
			if until := now.Add(s.RetryAfter); until.After(f.pauseUntil) {
				f.pauseUntil = until
			}
		}
	}
}

// refillWindow is the window the limit of st refills over: the window parameter, else the
// dialect's stated window (IETF w=), else one minute for Anthropic and OpenAI (per-minute limits
// that refill continuously), else unknown (0).
func (f *pacerFleet) refillWindow(st ratelimit.State, d ratelimit.Dialect) time.Duration {
	switch {
	case f.window > 0:
		return f.window
	case st.Has(ratelimit.HasWindow) && st.Window > 0:
		return st.Window
	case d == ratelimit.DialectAnthropic || d == ratelimit.DialectOpenAI:
		return time.Minute
	}
	return 0
}

// pacerClient is one client of a header-pacing fleet.
type pacerClient struct {
	retrier
	fleet *pacerFleet
	seq   uint64 // grant number of the attempt in flight; 0 when none
}

// Before holds the attempt until the shared budget allows it.
func (c *pacerClient) Before(now time.Time, _ int) Gate {
	if c.seq != 0 { // granted and asked again: keep the grant
		return Gate{}
	}
	wait, seq := c.fleet.gate(now)
	if wait > 0 {
		return Gate{Wait: wait}
	}
	c.seq = seq
	return Gate{}
}

// After folds the response's headers into the fleet's budgets and decides the retry.
func (c *pacerClient) After(now time.Time, o Outcome) Decision {
	if c.seq != 0 && !o.ClientRejected {
		c.fleet.observe(now, &o, c.seq)
		c.seq = 0
	}
	return c.decide(now, &o, c.delay)
}
