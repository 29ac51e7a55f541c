package backoff

import (
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// retryDelay is the delay of the strategies that pace or throttle before sending (client-limiter,
// sre-adaptive, retry-budget, aimd, header-pacing): the server's retry-after when it sent one,
// else AWS Full Jitter random_between(0, min(cap, base·2^n)).
func retryDelay(r *rand.Rand, base, limit time.Duration) delayFunc {
	return func(_ time.Time, o Outcome) (time.Duration, string) {
		return retryAfterOr(&o, func() time.Duration { return fullJitter(r, base, limit, o.Attempt-1) }), ""
	}
}

// limiterFleet shares one golang.org/x/time/rate token bucket (rate per second, burst) among
// all clients of the account; rate.Limiter has its own mutex, so live clients may share it.
type limiterFleet struct {
	seed        int64
	lim         *rate.Limiter
	l           limits
	base, limit time.Duration
}

func newClientLimiter(seed int64, l limits, perMinute float64, burst int, base, limit time.Duration) Fleet {
	return &limiterFleet{seed: seed, lim: rate.NewLimiter(rate.Limit(perMinute/60), burst), l: l, base: base, limit: limit}
}

// Client returns client i's policy; all of them draw from the fleet's one bucket.
func (f *limiterFleet) Client(i int) Policy {
	return &limiterClient{fleet: f, retrier: retrier{limits: f.l, delay: retryDelay(ClientRand(f.seed, i), f.base, f.limit)}}
}

// limiterClient reserves one token per attempt with ReserveN(now, 1) and holds the attempt for
// the reservation's DelayFrom(now). The reservation is kept, as Policy requires: when asked again
// it sends once the reserved instant has come.
type limiterClient struct {
	retrier
	fleet   *limiterFleet
	readyAt time.Time // reserved send instant of the pending attempt; zero when none
}

// Before reserves a token for the attempt (or honours the reservation already made).
func (c *limiterClient) Before(now time.Time, _ int) Gate {
	if c.readyAt.IsZero() {
		res := c.fleet.lim.ReserveN(now, 1)
		d := res.DelayFrom(now)
		if d <= 0 {
			return Gate{}
		}
		c.readyAt = now.Add(d)
		return Gate{Wait: d}
	}
	if d := c.readyAt.Sub(now); d > 0 {
		return Gate{Wait: d}
	}
	c.readyAt = time.Time{}
	return Gate{}
}

// aimdFleet is the shared additive-increase/multiplicative-decrease concurrency limit of
// Netflix concurrency-limits' AIMDLimit (and its Go port platinummonkey/go-concurrency-limits):
//
//	on a drop (429, 503, 529, transport error):  limit = max(1, min(limit−1, ⌊limit·ratio⌋))
//	on a success with inflight ≥ limit:          limit = min(maxLimit, limit+1)
//	otherwise (other errors):                    unchanged
//
// where inflight is the number in flight when the sampled attempt was admitted, itself included
// (as SimpleLimiter passes it to onSample).
//
// Attempts held at the limit queue first come, first served and poll: a client with k queued
// before it comes back after max(poll, (k + 1 − free)·turn/limit), turn = max(mean latency,
// poll), the time that many slots take to free at the fleet's mean latency (an exponentially
// weighted average, weight 0.2), and at most a second later.
type aimdFleet struct {
	seed        int64
	l           limits
	base, limit time.Duration
	ratio       float64
	maxLimit    int
	poll        time.Duration

	mu       sync.Mutex
	cur      int // current concurrency limit
	inflight int
	queue    queue
	latency  float64 // mean attempt latency in seconds (EWMA); 0 until one is seen
}

func newAIMD(seed int64, l limits, initial, maxLimit int, ratio float64, poll, base, limit time.Duration) *aimdFleet {
	return &aimdFleet{seed: seed, l: l, base: base, limit: limit, ratio: ratio, maxLimit: maxLimit, poll: poll, cur: min(initial, maxLimit)}
}

// Client returns client i's policy; all clients share the fleet's limit and in-flight count.
func (f *aimdFleet) Client(i int) Policy {
	return &aimdClient{fleet: f, retrier: retrier{limits: f.l, delay: retryDelay(ClientRand(f.seed, i), f.base, f.limit)}}
}

// Limit returns the fleet's current concurrency limit.
func (f *aimdFleet) Limit() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur
}

// acquire admits an attempt when fewer than limit are in flight, counting those queued before
// t; it returns the in-flight count with the attempt included, or 0 and how long to wait.
func (f *aimdFleet) acquire(t *ticket) (inflight int, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ahead := int(min(f.queue.ahead(t), uint64(f.maxLimit)+1))
	if free := f.cur - f.inflight; ahead < free {
		f.queue.pass(t)
		f.inflight++
		return f.inflight, 0
	}
	f.queue.hold(t)
	// A slot turns over every turn/limit, turn = max(mean latency, poll).
	turn := max(f.latency, f.poll.Seconds())
	need := float64(ahead + 1 - max(0, f.cur-f.inflight))
	wait = max(f.poll, time.Duration(need*turn/float64(f.cur)*float64(time.Second)))
	return 0, min(wait, maxHold)
}

// release ends an admitted attempt and updates the limit from its outcome.
func (f *aimdFleet) release(o *Outcome, inflight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	if l := o.Latency.Seconds(); l > 0 {
		if f.latency == 0 {
			f.latency = l
		} else {
			f.latency += 0.2 * (l - f.latency)
		}
	}
	switch {
	case dropped(o):
		f.cur = max(1, min(f.cur-1, int(float64(f.cur)*f.ratio)))
	case o.Succeeded() && inflight >= f.cur:
		f.cur = min(f.maxLimit, f.cur+1)
	}
}

// dropped reports whether the server shed the attempt for load: 429, 503, 529 or a transport
// error (which includes timeouts).
func dropped(o *Outcome) bool {
	return o.Status == 0 || o.Status == 429 || o.Status == 503 || o.Status == 529
}

// aimdClient holds an attempt while the fleet is at its limit.
type aimdClient struct {
	retrier
	fleet    *aimdFleet
	inflight int    // in-flight count when the current attempt was admitted; 0 when none
	ticket   ticket // place in the fleet's queue while held
}

// Before admits the attempt when the fleet is below its limit, else asks it to come back.
func (c *aimdClient) Before(time.Time, int) Gate {
	if c.inflight > 0 { // already admitted and asked again: keep the slot
		return Gate{}
	}
	n, wait := c.fleet.acquire(&c.ticket)
	if n == 0 {
		return Gate{Wait: wait}
	}
	c.inflight = n
	return Gate{}
}

// After releases the slot, adapts the fleet's limit, and decides the retry.
func (c *aimdClient) After(now time.Time, o Outcome) Decision {
	if c.inflight > 0 && !o.ClientRejected {
		c.fleet.release(&o, c.inflight)
		c.inflight = 0
	}
	return c.decide(now, &o, c.delay)
}
