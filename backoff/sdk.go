package backoff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// stainless is the backoff every Stainless-generated SDK shares (anthropic-sdk-go v1
// internal/requestconfig retryDelay; openai-go v3 the same; Python and TypeScript the float form):
//
//	delay = min(cap, base·2^retryCount)     retryCount = 0 for the first retry
//	delay -= rand.Int63n(delay/4)           so delay ∈ (0.75·d, d]
//
// With base 0.5 s and cap 8 s the first two retries wait (0.375, 0.5] s and (0.75, 1.0] s. The
// draw is PCG's Int64N, the math/rand/v2 twin of the SDKs' rand.Int63n.
func stainless(r *rand.Rand, base, limit time.Duration, retryCount int) time.Duration {
	delay := exponential(base, limit, retryCount)
	if j := int64(delay / 4); j > 0 {
		delay -= time.Duration(r.Int64N(j))
	}
	return delay
}

// newAnthropicSDK emulates github.com/anthropics/anthropic-sdk-go v1 with default options
// (requestconfig.go: MaxRetries 2, retryDelay, shouldRetry):
//
//   - retry when Outcome.Retryable: x-should-retry wins, else transport errors, 408, 409, 429, ≥500;
//   - at most maxAttempts attempts (MaxRetries + 1 = 3);
//   - wait retry-after-ms, else Retry-After, honoured as max(0, value) with no upper cap;
//   - else the Stainless backoff (see stainless).
//
// The SDK has no elapsed bound of its own (only the caller's context), so neither has this.
// It reads no error body, so it retries a terminal refusal like any 429; this emulation stops
// on one unless retry-terminal=1 (see limits.terminal). Known gap: the Go SDK parses an
// HTTP-date Retry-After only in RFC 1123 form, while the Snapshot accepts every HTTP-date form.
func newAnthropicSDK(seed int64, l limits, base, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			return retryAfterOr(&o, func() time.Duration { return stainless(r, base, limit, o.Attempt-1) }), ""
		}
	})
}

// newOpenAISDK emulates openai-python's retry-after rule (3.3.1 _constants.py
// MAX_RETRY_AFTER_DELAY = 2·60, _base_client.py _should_retry) on top of the Stainless defaults
// (MaxRetries 2, 0.5 s·2^n capped at 8 s, minus up to a quarter):
//
//   - a server delay 0 < ra ≤ maxRetryAfter is honoured as is;
//   - ra > maxRetryAfter: the SDK does not retry at all (the request gives up);
//   - no retry-after, or ra = 0: the Stainless backoff.
//
// openai-go clamps instead (see newOpenAIGoSDK); openai-node ignores a hint over 60 s.
func newOpenAISDK(seed int64, l limits, base, limit, maxRetryAfter time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			if o.Limits != nil && o.Limits.HasRetryAfter && o.Limits.RetryAfter > 0 {
				if ra := o.Limits.RetryAfter; ra > maxRetryAfter {
					return 0, fmt.Sprintf("retry-after %s over the %s cap: the SDK gives up", ra, maxRetryAfter)
				}
				return o.Limits.RetryAfter, ""
			}
			return stainless(r, base, limit, o.Attempt-1), ""
		}
	})
}

// newOpenAIGoSDK emulates github.com/openai/openai-go v3.52 with default options
// (internal/requestconfig: MaxRetries 2, MaxRetryDelay = DefaultMaxServerDelay = 8 s):
//
//   - Retry-After-Ms, else Retry-After, clamped to maxDelay (`if retryAfter >= maxDelay {
//     return maxDelay }`): a 4-hour daily-quota hint is retried after 8 s;
//   - else 0.5 s·2^n capped at maxDelay, minus up to a quarter (the Stainless backoff).
func newOpenAIGoSDK(seed int64, l limits, base, maxDelay time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			if o.Limits != nil && o.Limits.HasRetryAfter {
				return min(o.Limits.RetryAfter, maxDelay), ""
			}
			return stainless(r, base, maxDelay, o.Attempt-1), ""
		}
	})
}

// newGeminiSDK emulates google.golang.org/genai (go-genai v1.69 common.go) with
// HTTPOptions.RetryOptions set to its defaults, "values mirror the Python SDK": 5 attempts,
// the initial call included; wait min(initial·2^(n−1) + U(0, jitter), max) for attempt n; the
// statuses 408, 429, 500, 502, 503 and 504 and transport errors. It reads neither Retry-After
// nor RetryInfo's retryDelay. Without RetryOptions go-genai makes a single attempt: use none.
func newGeminiSDK(seed int64, l limits, initial, jitter, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			switch {
			case o.StreamError != "" && o.Status2xx(): // retry-stream-errors=true let it through
			case o.Status == 0, o.Status == 408, o.Status == 429, o.Status >= 500 && o.Status <= 504 && o.Status != 501:
			default:
				return 0, fmt.Sprintf("status %d is not retried by go-genai", o.Status)
			}
			return min(limit, exponential(initial, limit, o.Attempt-1)+uniform(r, jitter)), ""
		}
	})
}

// awsSDK emulates aws-sdk-go-v2's standard retryer in its default (legacy) mode (aws/retry
// standard.go, jitter_backoff.go): 3 attempts; wait U[0,1)·2^n seconds for attempt n (the
// first retry draws from [0, 2 s)), at most 20 s; retried: transport errors, 429 throttles
// (ThrottlingException), 500, 502, 503 and 504. Each retry costs quota tokens (cost, twice for
// a timeout) from the client's retry quota (500); when it runs dry the request is not retried.
// A success returns a retried request's cost, or one token for a first-try success. The
// opt-in 2026 mode (AWS_NEW_RETRIES_2026, x-amz-retry-after) is not emulated.
type awsSDK struct {
	r           *rand.Rand
	limit       time.Duration
	quota, left int
	cost        int
	spent       int // tokens the current request's retries took
}

func (a *awsSDK) delay(_ time.Time, o Outcome) (time.Duration, string) {
	switch {
	case o.StreamError != "" && o.Status2xx(): // retry-stream-errors=true let it through
	case o.Status == 0, o.Status == 429, o.Status >= 500 && o.Status <= 504 && o.Status != 501:
	default:
		return 0, fmt.Sprintf("status %d is not retried by the AWS SDK", o.Status)
	}
	if o.Attempt <= 1 {
		a.spent = 0
	}
	c := a.cost
	if o.Status == 0 {
		c *= 2
	}
	if a.quota > 0 {
		if a.left < c {
			return 0, fmt.Sprintf("retry quota exhausted (%d of %d tokens left, a retry costs %d)", a.left, a.quota, c)
		}
		a.left -= c
		a.spent += c
	}
	return min(a.limit, time.Duration(a.r.Float64()*math.Ldexp(float64(time.Second), o.Attempt))), ""
}

// awsPolicy gives the quota back on success, then decides as every retrier does.
type awsPolicy struct {
	retrier
	sdk *awsSDK
}

func (p *awsPolicy) After(now time.Time, o Outcome) Decision {
	if o.Succeeded() && p.sdk.quota > 0 {
		back := p.sdk.spent
		if o.Attempt <= 1 {
			back = 1
		}
		p.sdk.left, p.sdk.spent = min(p.sdk.quota, p.sdk.left+back), 0
	}
	return p.retrier.After(now, o)
}

func newAWSSDK(seed int64, l limits, limit time.Duration, quota, cost int) Fleet {
	return clientFleet{seed: seed, newPolicy: func(r *rand.Rand) Policy {
		a := &awsSDK{r: r, limit: limit, quota: quota, left: quota, cost: cost}
		return &awsPolicy{retrier: retrier{limits: l, delay: a.delay}, sdk: a}
	}}
}

// newRetryAfter honours the server: wait its hint wherever it said it (retry-after-ms, else
// Retry-After, else the error body's retryDelay or "try again in"), stretched by
// ×(1 + U(0, jitter)) so that clients told the same wait do not all return at once; max elapsed
// still applies. Without a hint, AWS Full Jitter random_between(0, min(cap, base·2^n)).
func newRetryAfter(seed int64, l limits, base, limit time.Duration, jitter float64) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o Outcome) (time.Duration, string) {
			if o.Limits != nil {
				if w, ok := o.Limits.Hint(); ok {
					if jitter > 0 {
						w += time.Duration(r.Float64() * jitter * float64(w))
					}
					return w, ""
				}
			}
			return fullJitter(r, base, limit, o.Attempt-1), ""
		}
	})
}
