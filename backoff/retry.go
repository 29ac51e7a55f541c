package backoff

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
)

// limits are the knobs every retrying strategy shares.
type limits struct {
	// maxAttempts bounds the attempts of one logical request, the first included (and, for
	// sre-adaptive, local rejections included); 0 means no bound below the Flow's hard cap.
	maxAttempts int
	// maxElapsed gives up when the next attempt would be due later than this after the logical
	// request was scheduled (Outcome.Started); 0 means no bound.
	maxElapsed time.Duration
	// retryTerminal retries terminal refusals like any other (the retry-terminal parameter), as
	// the official SDKs do: they read no error body.
	retryTerminal bool
}

// TerminalPrefix starts the Reason of a request a strategy ended on a terminal refusal: a
// quota the refusal's body names (ratelimit.Snapshot.Terminal), or a server wait longer than
// the strategy's whole max elapsed. Such a refusal holds for every request of the account, so
// the runner stops the run on it.
const TerminalPrefix = "terminal: "

// IsTerminal reports whether a Decision.Reason (a record's gave_up) is a terminal stop.
func IsTerminal(reason string) bool { return strings.HasPrefix(reason, TerminalPrefix) }

// delayFunc computes the pause before the next attempt after the failed, retryable outcome o,
// or says why the request must stop instead ("" to retry). It is called only when a retry is
// otherwise allowed, so a strategy draws randomness only for retries it actually makes.
type delayFunc func(now time.Time, o Outcome) (wait time.Duration, stop string)

// decide is the retry decision every strategy shares: success ends the request; a terminal
// refusal ends it (see terminal); a non-retryable outcome (Outcome.Retryable) ends it; then the
// attempt bound; then the strategy's delay; then the elapsed bound, applied to when the next
// attempt would be due.
func (l limits) decide(now time.Time, o *Outcome, delay delayFunc) Decision {
	if o.Succeeded() {
		return Decision{}
	}
	if why := l.terminal(now, o); why != "" {
		return Decision{Reason: why}
	}
	switch {
	case !o.Retryable():
		return Decision{Reason: notRetryable(o)}
	case l.maxAttempts > 0 && o.Attempt >= l.maxAttempts:
		return Decision{Reason: fmt.Sprintf("max attempts %d reached (last status %d)", l.maxAttempts, o.Status)}
	}
	wait, stop := delay(now, *o) // by value: a pointer would escape through the indirect call, one allocation per attempt
	if stop != "" {
		return Decision{Reason: stop}
	}
	if wait < 0 {
		wait = 0
	}
	if l.maxElapsed > 0 && !o.Started.IsZero() && now.Add(wait).Sub(o.Started) > l.maxElapsed {
		return Decision{Reason: fmt.Sprintf("max elapsed %s: next attempt would be due %s after the request was scheduled",
			l.maxElapsed, now.Add(wait).Sub(o.Started))}
	}
	return Decision{Retry: true, Wait: wait}
}

// terminal says why o ends its request at once whatever the strategy would wait, "" when it
// does not: the body names a terminal quota (a daily quota, insufficient_quota, a spend cap; a
// request larger than the limit), or the server's wait (header or body) is longer than the
// whole max elapsed (terminal; DefaultMaxElapsed, the engine's bound, for a strategy without
// one), or than what is left of it (the request alone ends: waiting less than the server asks
// only earns another refusal). retry-terminal turns this off.
func (l limits) terminal(now time.Time, o *Outcome) string {
	if l.retryTerminal || o.Limits == nil || o.ClientRejected {
		return ""
	}
	if c := o.Limits.Terminal; c != "" {
		why := fmt.Sprintf("%s (%s, status %d)", ratelimit.TerminalWords(c), c, o.Status)
		if !ratelimit.RunWide(c) {
			return why // this request only
		}
		return TerminalPrefix + why
	}
	hint, ok := o.Limits.Hint()
	if !ok {
		return ""
	}
	if bound := cmp.Or(l.maxElapsed, DefaultMaxElapsed); hint > bound {
		// A strategy without a bound of its own (the SDKs) runs under the engine's.
		return fmt.Sprintf("%sthe server asks to wait %s, longer than max elapsed %s", TerminalPrefix, hint, bound)
	}
	if l.maxElapsed > 0 && !o.Started.IsZero() && now.Add(hint).Sub(o.Started) > l.maxElapsed {
		return fmt.Sprintf("retry hint %s: beyond the %s left of max elapsed %s", hint,
			max(0, l.maxElapsed-now.Sub(o.Started)).Round(time.Millisecond), l.maxElapsed)
	}
	return ""
}

func notRetryable(o *Outcome) string {
	if o.StreamError != "" {
		return fmt.Sprintf("stream failed after status %d (%s); not retried, as the official SDKs (%s=true retries it)",
			o.Status, o.StreamError, RetryStreamErrors)
	}
	if o.Limits != nil && o.Limits.ShouldRetry < 0 {
		return fmt.Sprintf("status %d with x-should-retry: false", o.Status)
	}
	return fmt.Sprintf("status %d is not retryable", o.Status)
}

// exponential is min(cap, base·2^n), saturating instead of overflowing for large n.
func exponential(base, limit time.Duration, n int) time.Duration {
	f := float64(base) * math.Ldexp(1, n)
	if f >= float64(limit) {
		return limit
	}
	return time.Duration(f)
}

// uniform returns a duration drawn uniformly from [0, d): random_between(0, d) of the AWS
// article, as Float64()·d.
func uniform(r *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(r.Float64() * float64(d))
}

// fullJitter is AWS Full Jitter: sleep = random_between(0, min(cap, base·2^n)).
func fullJitter(r *rand.Rand, base, limit time.Duration, n int) time.Duration {
	return uniform(r, exponential(base, limit, n))
}

// retryAfterOr returns the server's retry-after header (retry-after-ms, else Retry-After) when
// the outcome carries one, else fallback(): what the Stainless SDKs read (no body).
func retryAfterOr(o *Outcome, fallback func() time.Duration) time.Duration {
	if o.Limits != nil && o.Limits.HasRetryAfter {
		return o.Limits.RetryAfter
	}
	return fallback()
}

// retrier is a policy that never holds an attempt back and decides retries with one delay
// function; it serves every strategy whose only state is per client.
type retrier struct {
	limits
	delay delayFunc
}

// Before never holds an attempt back.
func (p *retrier) Before(time.Time, int) Gate { return Gate{} }

// After applies the shared retry rules with the strategy's delay.
func (p *retrier) After(now time.Time, o Outcome) Decision { return p.decide(now, &o, p.delay) }

// clientFleet is a Fleet whose clients share nothing: each gets its own seeded source.
type clientFleet struct {
	seed      int64
	newPolicy func(r *rand.Rand) Policy
}

// Client returns client i's policy, seeded from (fleet seed, i).
func (f clientFleet) Client(i int) Policy { return f.newPolicy(ClientRand(f.seed, i)) }

// retrierFleet builds a fleet of retriers with the given limits and a per-client delay function.
func retrierFleet(seed int64, l limits, delay func(r *rand.Rand) delayFunc) Fleet {
	return clientFleet{seed: seed, newPolicy: func(r *rand.Rand) Policy {
		return &retrier{limits: l, delay: delay(r)}
	}}
}

// newNone never retries: one attempt per logical request.
func newNone(seed int64) Fleet {
	return retrierFleet(seed, limits{maxAttempts: 1}, func(*rand.Rand) delayFunc { return nil })
}

// newConstant waits the same pause before every retry: sleep = pause.
func newConstant(seed int64, l limits, pause time.Duration) Fleet {
	return retrierFleet(seed, l, func(*rand.Rand) delayFunc {
		return func(time.Time, Outcome) (time.Duration, string) { return pause, "" }
	})
}

// newAdditiveJitter is the pattern tutorials teach (e.g. `time.sleep(2 ** n + random.random())`,
// Google Cloud's "exponential backoff" page with random milliseconds and a maximum backoff):
//
//	sleep = min(cap, base·2^n + U(0, jitter)),  n = 0 for the first retry
//
// With the defaults (base 1 s, jitter 1 s, 5 attempts) the waits are 1–2, 2–3, 4–5 and 8–9 s.
func newAdditiveJitter(seed int64, l limits, base, jitter, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			return min(limit, exponential(base, limit, o.Attempt-1)+uniform(r, jitter)), ""
		}
	})
}

// newExponential is AWS "Exponential" (no jitter): sleep = min(cap, base·2^n), n = 0 for the
// first retry. Every client that failed at the same instant retries at the same instant.
func newExponential(seed int64, l limits, base, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(*rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			return exponential(base, limit, o.Attempt-1), ""
		}
	})
}

// newFullJitter is AWS "Full Jitter": sleep = random_between(0, min(cap, base·2^n)).
func newFullJitter(seed int64, l limits, base, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			return fullJitter(r, base, limit, o.Attempt-1), ""
		}
	})
}

// newEqualJitter is AWS "Equal Jitter": temp = min(cap, base·2^n); sleep = temp/2 +
// random_between(0, temp/2).
func newEqualJitter(seed int64, l limits, base, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			temp := exponential(base, limit, o.Attempt-1)
			return temp/2 + uniform(r, temp/2), ""
		}
	})
}

// decorrelated is AWS "Decorrelated Jitter", which carries state:
//
//	sleep = min(cap, random_between(base, sleep·3)),  sleep starting at base
//
// The state restarts at base with every logical request (an Outcome with Attempt 1), so a
// client's requests are independent, as the AWS simulator's one-write clients are.
type decorrelated struct {
	r           *rand.Rand
	base, limit time.Duration
	sleep       time.Duration
}

func (d *decorrelated) delay(_ time.Time, o Outcome) (time.Duration, string) {
	if o.Attempt <= 1 || d.sleep == 0 {
		d.sleep = d.base
	}
	// random_between(a, b) = a + U·(b − a)
	hi := 3 * d.sleep
	d.sleep = min(d.limit, d.base+uniform(d.r, hi-d.base))
	return d.sleep, ""
}

func newDecorrelated(seed int64, l limits, base, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		d := &decorrelated{r: r, base: base, limit: limit}
		return d.delay
	})
}
