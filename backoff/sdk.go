package backoff

import (
	"fmt"
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
// Known gap: the Go SDK parses an HTTP-date Retry-After only in RFC 1123 form, while the
// Snapshot this policy reads accepts every HTTP-date form.
func newAnthropicSDK(seed int64, maxAttempts int, base, limit time.Duration) Fleet {
	return retrierFleet(seed, limits{maxAttempts: maxAttempts}, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o *Outcome) (time.Duration, string) {
			return retryAfterOr(o, func() time.Duration { return stainless(r, base, limit, o.Attempt-1) }), ""
		}
	})
}

// newOpenAISDK emulates the OpenAI SDKs' retry-after rule (openai-python ≥ 2.51
// MAX_RETRY_AFTER_DELAY = 2·60; openai-go v3 defaultMaxRetryAfterDelay = 2 min) on top of the
// same Stainless defaults (MaxRetries 2, 0.5 s·2^n capped at 8 s, minus up to a quarter):
//
//   - a server delay 0 < ra ≤ maxRetryAfter is honoured as is;
//   - ra > maxRetryAfter: the SDK does not retry at all (the request gives up);
//   - no retry-after, or ra = 0: the Stainless backoff.
//
// (openai-go honours ra = 0 as an immediate retry where Python falls back to the backoff; the
// Snapshot clamps negative values to 0, so this emulation follows Python for 0.)
func newOpenAISDK(seed int64, maxAttempts int, base, limit, maxRetryAfter time.Duration) Fleet {
	return retrierFleet(seed, limits{maxAttempts: maxAttempts}, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o *Outcome) (time.Duration, string) {
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

// newRetryAfter honours the server: wait retry-after-ms, else Retry-After, whatever its size
// (max elapsed still applies); without one, AWS Full Jitter random_between(0, min(cap, base·2^n)).
func newRetryAfter(seed int64, l limits, base, limit time.Duration) Fleet {
	return retrierFleet(seed, l, func(r *rand.Rand) delayFunc {
		return func(_ time.Time, o *Outcome) (time.Duration, string) {
			return retryAfterOr(o, func() time.Duration { return fullJitter(r, base, limit, o.Attempt-1) }), ""
		}
	})
}
