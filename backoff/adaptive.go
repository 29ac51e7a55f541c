package backoff

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// windowBuckets is how many buckets the sre-adaptive window is kept in (1 s each for 2 minutes).
const windowBuckets = 120

// counterWindow counts requests and accepts over a sliding window kept in windowBuckets buckets
// of window/windowBuckets each, indexed by absolute time so results depend only on the instants.
type counterWindow struct {
	width time.Duration
	idx   [windowBuckets]int64 // absolute bucket index held in each slot
	req   [windowBuckets]float64
	acc   [windowBuckets]float64
}

func newCounterWindow(window time.Duration) *counterWindow {
	w := &counterWindow{width: max(window/windowBuckets, 1)}
	for i := range w.idx {
		w.idx[i] = -1 << 62
	}
	return w
}

func (w *counterWindow) slot(now time.Time) int {
	b := now.UnixNano() / int64(w.width)
	s := int(((b % windowBuckets) + windowBuckets) % windowBuckets)
	if w.idx[s] != b {
		w.idx[s], w.req[s], w.acc[s] = b, 0, 0
	}
	return s
}

// sums returns requests and accepts over the buckets of the window ending at now.
func (w *counterWindow) sums(now time.Time) (requests, accepts float64) {
	b := now.UnixNano() / int64(w.width)
	for s := range w.idx {
		if d := b - w.idx[s]; d >= 0 && d < windowBuckets {
			requests += w.req[s]
			accepts += w.acc[s]
		}
	}
	return requests, accepts
}

// sreAdaptive is Google SRE's client-side adaptive throttling (SRE book ch. 21, "Handling
// Overload"). Each client counts, over the last window (2 minutes), requests (every attempt the
// application asked to send, local rejections included) and accepts (attempts the backend
// accepted: a response below 500 other than 429), and rejects an attempt locally with
//
//	p = max(0, (requests − K·accepts) / (requests + 1))
//
// computed from the counts before the attempt. A uniform draw u < p rejects; the draw is made
// only when p > 0. A local rejection is retried like a failure: retry-after when known, else full
// jitter, and it counts against max attempts.
type sreAdaptive struct {
	retrier
	r   *rand.Rand
	k   float64
	win *counterWindow
}

func newSREAdaptive(seed int64, l limits, k float64, window, base, limit time.Duration) Fleet {
	return clientFleet{seed: seed, newPolicy: func(r *rand.Rand) Policy {
		return &sreAdaptive{retrier: retrier{limits: l, delay: retryDelay(r, base, limit)}, r: r, k: k, win: newCounterWindow(window)}
	}}
}

// rejectProbability is max(0, (requests − K·accepts)/(requests + 1)) over the window at now.
func (s *sreAdaptive) rejectProbability(now time.Time) float64 {
	req, acc := s.win.sums(now)
	return max(0, (req-s.k*acc)/(req+1))
}

// Before counts the attempt as a request and rejects it locally with the SRE probability.
func (s *sreAdaptive) Before(now time.Time, _ int) Gate {
	p := s.rejectProbability(now)
	s.win.req[s.win.slot(now)]++
	if p > 0 && s.r.Float64() < p {
		return Gate{Reject: true}
	}
	return Gate{}
}

// After counts accepts and decides the retry.
func (s *sreAdaptive) After(now time.Time, o Outcome) Decision {
	if !o.ClientRejected && accepted(&o) {
		s.win.acc[s.win.slot(now)]++
	}
	return s.decide(now, &o, s.delay)
}

// accepted reports whether the backend accepted the attempt rather than shedding it: a response
// below 500 other than 429 (transport errors, 5xx and 429 are not accepts).
func accepted(o *Outcome) bool { return o.Status > 0 && o.Status < 500 && o.Status != 429 }

// retryBudget is the SRE book's retry budget (ch. 22, "Addressing Cascading Failures"): at most
// maxAttempts attempts per logical request (3), and, per client over its lifetime, a retry is
// made only while
//
//	retries < ratio·requests     (ratio = 0.1: retries stay under 10% of requests)
//
// where requests counts the client's logical requests and retries the retries it has made.
// Retries wait retry-after when known, else full jitter.
type retryBudget struct {
	retrier
	ratio    float64
	requests int
	retries  int
}

func newRetryBudget(seed int64, l limits, ratio float64, base, limit time.Duration) Fleet {
	return clientFleet{seed: seed, newPolicy: func(r *rand.Rand) Policy {
		b := &retryBudget{ratio: ratio}
		delay := retryDelay(r, base, limit)
		b.retrier = retrier{limits: l, delay: func(now time.Time, o Outcome) (time.Duration, string) {
			if float64(b.retries) >= b.ratio*float64(b.requests) {
				return 0, fmt.Sprintf("retry budget spent: %d retries for %d requests (ratio %g)", b.retries, b.requests, b.ratio)
			}
			return delay(now, o)
		}}
		return b
	}}
}

// After counts the logical request on its first attempt and decides the retry within budget.
func (b *retryBudget) After(now time.Time, o Outcome) Decision {
	if o.Attempt == 1 {
		b.requests++
	}
	d := b.decide(now, &o, b.delay)
	if d.Retry {
		b.retries++
	}
	return d
}
