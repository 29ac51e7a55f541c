package backoff

import (
	"sync"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
)

// pacerFleet is header-pacing: one budget per dimension shared by every client of the account
// (see budget for the formulas). Before the first response only probe attempts may be in flight
// (the headers are not known yet); a response without any rate-limit header turns pacing off
// until one arrives. A 429 with retry-after pauses the whole fleet until then (IETF: Retry-After
// takes precedence over RateLimit fields). Retries wait retry-after, or after a 429 without one
// only what the budget says, or full jitter for other failures. Held clients queue first come,
// first served (a client goes only when the budget also covers those queued before it) and are
// told to come back when their turn is due, but at most maxHold later.
type pacerFleet struct {
	seed        int64
	l           limits
	base, limit time.Duration
	window      time.Duration // refill window override; 0 = from the headers
	probe       int
	poll        time.Duration

	mu         sync.Mutex
	seq        uint64      // grants issued
	grants     []time.Time // instants of grants logFirst, logFirst+1, …, seq
	logFirst   uint64
	inflight   int
	informed   bool // some response said whether the server sends rate-limit headers
	queue      queue
	dims       [ratelimit.NumDimensions]budget
	pauseUntil time.Time
}

func newHeaderPacing(seed int64, l limits, window time.Duration, probe int, poll time.Duration,
	inputTokens, outputTokens int, base, limit time.Duration) *pacerFleet {
	f := &pacerFleet{seed: seed, l: l, base: base, limit: limit, window: window, probe: probe, poll: poll, logFirst: 1}
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
	c.retrier = retrier{limits: f.l, delay: func(now time.Time, o Outcome) (time.Duration, string) {
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

// gate decides one client's attempt at now: a wait, or a grant numbered seq. Clients held back
// queue first come, first served (t is the client's place): a client goes only when the budget
// also covers everyone queued before it, and is told to come back when it should.
func (f *pacerFleet) gate(now time.Time, t *ticket) (wait time.Duration, seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Before(f.pauseUntil) {
		return f.pauseUntil.Sub(now), 0
	}
	if !f.informed && f.inflight >= f.probe {
		return f.poll, 0
	}
	ahead := f.queue.ahead(t)
	for i := range f.dims {
		d := &f.dims[i]
		if !d.ok || d.cost <= 0 {
			continue
		}
		w, ok := d.waitFor(now, f.seq-d.seq, ahead)
		if !ok {
			w = f.poll
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		f.queue.hold(t)
		return min(wait, maxHold), 0
	}
	f.queue.pass(t)
	f.seq++
	f.inflight++
	f.grants = append(f.grants, now)
	for i := range f.dims {
		if d := &f.dims[i]; d.ok && d.cost > 0 {
			d.take(now)
		}
	}
	return 0, f.seq
}

// maxHold is the longest a client is held before it asks again: estimates improve with every
// response (a rate floor, a fresher anchor), and a client told to wait long on an old estimate
// would not see that.
const maxHold = time.Second

// maxGrantLog bounds the grant log when no response trims it (a server without headers).
const maxGrantLog = 1 << 14

// trimLog drops the grants no anchor can need any more: those up to the oldest anchor, or the
// oldest beyond maxGrantLog.
func (f *pacerFleet) trimLog() {
	keepAfter := f.seq
	anchored := false
	for i := range f.dims {
		if d := &f.dims[i]; d.ok && d.cost > 0 {
			keepAfter, anchored = min(keepAfter, d.seq), true
		}
	}
	if !anchored || f.seq-keepAfter > maxGrantLog {
		keepAfter = f.seq - min(f.seq, maxGrantLog)
	}
	if keepAfter >= f.logFirst {
		drop := int(keepAfter - f.logFirst + 1)
		f.grants = append(f.grants[:0], f.grants[drop:]...)
		f.logFirst = keepAfter + 1
	}
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
		w, continuous := f.refillWindow(st, s.Dialect)
		d.anchor(st, s.Dialect, ratelimit.Dimension(i) != ratelimit.Requests, w, continuous,
			seq, at, f.logFirst, f.grants)
	}
	if o.Status == 429 {
		if r := &f.dims[ratelimit.Requests]; r.ok && !s.Dims[ratelimit.Requests].Has(ratelimit.HasRemaining) && seq >= r.seq {
			// a 429 without request headers: assume the quota empty now
			r.seq, r.at, r.rem, r.stock, r.stockAt = seq, at, 0, 0, at
			for i, t := range f.grants {
				if f.logFirst+uint64(i) > seq {
					r.take(t)
				}
			}
		}
		if s.HasRetryAfter {
			if until := now.Add(s.RetryAfter); until.After(f.pauseUntil) {
				f.pauseUntil = until
			}
		}
	}
	f.trimLog()
}

// refillWindow is the window the limit of st refills over: the window parameter, else the
// dialect's stated window (IETF w=), else one minute for Anthropic and OpenAI (per-minute limits
// that refill continuously: continuous is true), else unknown (0).
func (f *pacerFleet) refillWindow(st ratelimit.State, d ratelimit.Dialect) (w time.Duration, continuous bool) {
	switch {
	case f.window > 0:
		return f.window, false
	case st.Has(ratelimit.HasWindow) && st.Window > 0:
		return st.Window, false
	case d == ratelimit.DialectAnthropic || d == ratelimit.DialectOpenAI:
		return time.Minute, true
	}
	return 0, false
}

// pacerClient is one client of a header-pacing fleet.
type pacerClient struct {
	retrier
	fleet  *pacerFleet
	seq    uint64 // grant number of the attempt in flight; 0 when none
	ticket ticket // place in the fleet's queue while held back
}

// Before holds the attempt until the shared budget allows it.
func (c *pacerClient) Before(now time.Time, _ int) Gate {
	if c.seq != 0 { // granted and asked again: keep the grant
		return Gate{}
	}
	wait, seq := c.fleet.gate(now, &c.ticket)
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
