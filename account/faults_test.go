package account

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// Handle: faults, latency, keys, endpoints, messages, determinism.

func TestHandleFaultsAreSeeded(t *testing.T) {
	const n = 20000
	run := func(seed int64) []int {
		m := newMock(t, seed, func(c *Config) {
			c.Limits.Requests.PerMinute = 0 // unlimited: only faults refuse
			c.Limits.InputTokens.PerMinute = 0
			c.Limits.OutputTokens.PerMinute = 0
			c.ErrorRate = 0.2
			c.OverloadRate = 0.1
		})
		out := make([]int, n)
		for i := range out {
			out[i] = m.Handle(at(time.Duration(i)*time.Millisecond), msg("k", 1, 1)).Status
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	assert.Equal(t, a, b, "same seed, same call sequence: same replies")
	assert.NotEqual(t, a, c, "another seed draws other faults")
	counts := map[int]int{}
	for _, s := range a {
		counts[s]++
	}
	// Each count is binomial; allow 5 standard deviations.
	for status, p := range map[int]float64{500: 0.2, 529: 0.1, 200: 0.7} {
		sd := math.Sqrt(n * p * (1 - p))
		assert.InDelta(t, n*p, counts[status], 5*sd, "status %d", status)
	}
	assert.Len(t, counts, 3)
}

func TestHandleFaultBodies(t *testing.T) {
	m := newMock(t, 1, func(c *Config) { c.OverloadRate = 1 })
	r := m.Handle(t0, msg("k", 1, 1))
	assert.Equal(t, StatusOverloaded, r.Status)
	assert.Equal(t, "overloaded_error", r.ErrorType)
	assert.Equal(t, "Overloaded", r.Message)
	st, _ := m.AccountStats("k")
	assert.Zero(t, st.Dimensions["requests"].Units, "a fault consumes no quota")

	m = newMock(t, 1, func(c *Config) { c.ErrorRate = 1 })
	r = m.Handle(t0, Call{Key: "k", Endpoint: EndpointChat, InputTokens: 1, MaxTokens: 1})
	assert.Equal(t, 500, r.Status)
	assert.Equal(t, "server_error", r.ErrorType)
}

func TestHandleLatency(t *testing.T) {
	m := newMock(t, 3, func(c *Config) {
		c.Limits.Requests.PerMinute = 0
		c.Latency = 100 * time.Millisecond
		c.LatencyJitter = 50 * time.Millisecond
	})
	lo, hi := time.Hour, time.Duration(0)
	for i := range 2000 {
		r := m.Handle(at(time.Duration(i)*time.Second), msg("k", 1, 1))
		require.Equal(t, 200, r.Status)
		lo, hi = min(lo, r.Latency), max(hi, r.Latency)
	}
	assert.GreaterOrEqual(t, lo, 50*time.Millisecond)
	assert.Less(t, lo, 55*time.Millisecond, "the jitter spreads down to latency − jitter")
	assert.LessOrEqual(t, hi, 150*time.Millisecond)
	assert.Greater(t, hi, 145*time.Millisecond)

	// A refused request answers at once.
	m = newMock(t, 3, func(c *Config) {
		c.Limits.Requests = Limit{PerMinute: 1}
		c.Latency = time.Second
	})
	assert.Equal(t, time.Second, m.Handle(t0, msg("k", 1, 1)).Latency)
	r := m.Handle(t0, msg("k", 1, 1))
	assert.Equal(t, 429, r.Status)
	assert.Zero(t, r.Latency)
}

func TestHandleLeakyBucketDelay(t *testing.T) {
	// nginx limit_req rate=1r/s burst=2: the first is served at once, the next two wait 1 s and
	// 2 s in the queue, the fourth is refused.
	m := newMock(t, 1, func(c *Config) {
		c.Limits.Requests = Limit{PerMinute: 60, Algorithm: limiter.LeakyBucket, Burst: ptr(int64(2))}
		c.Latency = 10 * time.Millisecond
	})
	var delays []time.Duration
	for range 3 {
		r := m.Handle(t0, msg("k", 1, 1))
		require.Equal(t, 200, r.Status)
		assert.Equal(t, r.Delay+10*time.Millisecond, r.Latency)
		delays = append(delays, r.Delay)
	}
	assert.Equal(t, []time.Duration{0, time.Second, 2 * time.Second}, delays)
	assert.Equal(t, 429, m.Handle(t0, msg("k", 1, 1)).Status)
}

func TestHandleKeysAndAccounts(t *testing.T) {
	t.Run("require key", func(t *testing.T) {
		m := newMock(t, 1, func(c *Config) { c.RequireKey = true })
		r := m.Handle(t0, msg("", 1, 1))
		assert.Equal(t, 401, r.Status)
		assert.Equal(t, "authentication_error", r.ErrorType)
		assert.Equal(t, "x-api-key header is required", r.Message)
		r = m.Handle(t0, Call{Endpoint: EndpointChat, InputTokens: 1, MaxTokens: 1})
		assert.Equal(t, 401, r.Status)
		assert.Equal(t, "invalid_request_error", r.ErrorType)
		assert.Equal(t, 200, m.Handle(t0, msg("k", 1, 1)).Status)
		assert.Equal(t, map[string]int64{"401": 2}, m.Stats().Unkeyed)
	})
	t.Run("anonymous account", func(t *testing.T) {
		m := newMock(t, 1, func(c *Config) { c.Limits.Requests.PerMinute = 1 })
		assert.Equal(t, 200, m.Handle(t0, msg("", 1, 1)).Status)
		assert.Equal(t, 429, m.Handle(t0, msg("", 1, 1)).Status)
	})
	t.Run("max accounts", func(t *testing.T) {
		m := newMock(t, 1, func(c *Config) { c.MaxAccounts = 2 })
		assert.Equal(t, 200, m.Handle(t0, msg("a", 1, 1)).Status)
		assert.Equal(t, 200, m.Handle(t0, msg("b", 1, 1)).Status)
		r := m.Handle(t0, msg("c", 1, 1))
		assert.Equal(t, 403, r.Status)
		assert.Equal(t, "permission_error", r.ErrorType)
		assert.Contains(t, r.Message, "at most 2 API keys")
		assert.Equal(t, 200, m.Handle(t0, msg("a", 1, 1)).Status, "known keys keep working")
		assert.Len(t, m.Stats().Accounts, 2)
	})
}

func TestHandleCountTokensHasItsOwnLimit(t *testing.T) {
	m := newMock(t, 1, func(c *Config) {
		c.Limits.Requests.PerMinute = 1
		c.Limits.CountTokens.PerMinute = 2
	})
	ct := Call{Key: "k", Endpoint: EndpointCountTokens, InputTokens: 7}
	assert.Equal(t, 200, m.Handle(t0, msg("k", 1, 1)).Status)
	assert.Equal(t, 429, m.Handle(t0, msg("k", 1, 1)).Status)
	r := m.Handle(t0, ct)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, int64(7), r.InputTokens)
	assert.Equal(t, int64(2), r.Limits.Dims[ratelimit.Requests].Limit)
	assert.Equal(t, int64(1), r.Limits.Dims[ratelimit.Requests].Remaining)
	assert.False(t, r.Limits.Dims[ratelimit.InputTokens].Present(), "count_tokens reports its own limit only")
	assert.Equal(t, 200, m.Handle(t0, ct).Status)
	r = m.Handle(t0, ct)
	assert.Equal(t, 429, r.Status)
	assert.Equal(t, ratelimit.Requests, r.Exceeded)
	assert.Equal(t, ratelimit.DialectAnthropic, r.Dialect)
	assert.Contains(t, r.Message, "of 2 requests per minute")
}

func TestHandleWindowSemantics(t *testing.T) {
	// --rpm 600 --window 5s: 50 per 5 s window. The limit header says 50 where the dialect
	// states the window (ietf: "requests";q=50;w=5), and 600 where limits are per minute
	// (anthropic, openai).
	for _, alg := range []limiter.Algorithm{limiter.FixedWindow, limiter.SlidingLog, limiter.TokenBucket, limiter.GCRA} {
		for dialect, limit := range map[string]int64{"ietf": 50, "anthropic": 600, "openai": 600} {
			t.Run(string(alg)+"/"+dialect, func(t *testing.T) {
				m := newMock(t, 1, func(c *Config) {
					c.Algorithm = alg
					c.Window = 5 * time.Second
					c.Limits.Requests.PerMinute = 600
					c.Dialect = dialect
				})
				var last Reply
				n := 0
				for last = m.Handle(t0, msg("k", 1, 1)); last.Status == 200; last = m.Handle(t0, msg("k", 1, 1)) {
					n++
					assert.Equal(t, limit, last.Limits.Dims[ratelimit.Requests].Limit)
					assert.Equal(t, 5*time.Second, last.Limits.Dims[ratelimit.Requests].Window)
				}
				assert.Equal(t, 50, n)
				assert.Equal(t, limit, last.Limits.Dims[ratelimit.Requests].Limit)
				assert.Equal(t, 200, m.Handle(t0.Add(last.Limits.RetryAfter), msg("k", 1, 1)).Status, "admitted at retry-after")
			})
		}
	}
}

func TestHandleRetryAfterIsExact(t *testing.T) {
	// For every algorithm: exhaust a key, then the refused request passes exactly at
	// now + retry-after and not a nanosecond earlier.
	for _, alg := range limiter.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			m := newMock(t, 1, func(c *Config) {
				c.Algorithm = alg
				c.Limits.Requests.PerMinute = 7
				c.Limits.Requests.NoDelay = alg == limiter.LeakyBucket
				c.Limits.InputTokens.PerMinute = 700
			})
			now := at(1234 * time.Millisecond)
			var r Reply
			for r = m.Handle(now, msg("k", 10, 1)); r.Status == 200; r = m.Handle(now, msg("k", 10, 1)) {
			}
			require.Equal(t, 429, r.Status)
			wait := r.Limits.RetryAfter
			require.Positive(t, wait)
			assert.Equal(t, 429, m.Handle(now.Add(wait-time.Nanosecond), msg("k", 10, 1)).Status)
			assert.Equal(t, 200, m.Handle(now.Add(wait), msg("k", 10, 1)).Status)
		})
	}
}

func TestHandleRateLimitMessages(t *testing.T) {
	m := newMock(t, 1, func(c *Config) {
		c.Limits.Requests.PerMinute = 1
		c.Limits.InputTokens.PerMinute = 30_000
	})
	m.Handle(t0, msg("k", 1, 1))
	r := m.Handle(t0, msg("k", 1, 1))
	assert.Equal(t, "This request would exceed the rate limit for your organization (org-ratelab-mock) of 1 requests per minute. "+
		"For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. "+
		"Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at "+
		"https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.", r.Message)
	r = m.Handle(t0, msg("j", 40_000, 1))
	assert.Contains(t, r.Message, "of 30,000 input tokens per minute.")

	r = m.Handle(t0, Call{Key: "k", Endpoint: EndpointChat, Model: "gpt-4o-mini", InputTokens: 1, MaxTokens: 1})
	assert.Equal(t, "requests", r.ErrorType)
	assert.Equal(t, "Rate limit reached for gpt-4o-mini in organization org-ratelab-mock on requests per min (RPM): Limit 1, Used 1, Requested 1. "+
		"Please try again in 1m0s. Visit https://platform.openai.com/account/rate-limits to learn more.", r.Message)
	assert.Equal(t, ratelimit.DialectOpenAI, r.Dialect)

	r = m.Handle(t0, Call{Key: "k", Endpoint: EndpointGeneric})
	assert.Equal(t, "quota-exceeded", r.ErrorType)
	assert.Equal(t, "Request quota exceeded: 1 requests per 1m0s window. Retry in 1m0s.", r.Message)
	assert.Equal(t, ratelimit.DialectIETF, r.Dialect)
}

func TestHandleDialects(t *testing.T) {
	m := newMock(t, 1, nil)
	assert.Equal(t, ratelimit.DialectAnthropic, m.Dialect(EndpointMessages))
	assert.Equal(t, ratelimit.DialectAnthropic, m.Dialect(EndpointCountTokens))
	assert.Equal(t, ratelimit.DialectOpenAI, m.Dialect(EndpointChat))
	assert.Equal(t, ratelimit.DialectIETF, m.Dialect(EndpointGeneric))
	m = newMock(t, 1, func(c *Config) { c.Dialect = "x-ratelimit" })
	for e := EndpointMessages; e < numEndpoints; e++ {
		assert.Equal(t, ratelimit.DialectXRateLimit, m.Dialect(e), e.String())
		assert.Equal(t, ratelimit.DialectXRateLimit, m.Handle(t0, Call{Key: "k", Endpoint: e, InputTokens: 1, MaxTokens: 1}).Dialect)
	}
}

func TestHandleIsDeterministic(t *testing.T) {
	calls := make([]Call, 500)
	for i := range calls {
		calls[i] = msg(fmt.Sprint("k", i%3), int64(100+i%7*50), int64(16+i%5*100))
	}
	run := func() []Reply {
		m := newMock(t, 42, func(c *Config) {
			c.Limits.Requests.PerMinute = 30
			c.Limits.OutputTokens.PerMinute = 2000
			c.ErrorRate, c.OverloadRate = 0.05, 0.05
			c.Latency, c.LatencyJitter = time.Second, 500*time.Millisecond
		})
		out := make([]Reply, len(calls))
		for i, c := range calls {
			out[i] = m.Handle(at(time.Duration(i)*137*time.Millisecond), c)
		}
		return out
	}
	assert.Equal(t, run(), run())
}

func TestHandleConcurrentCalls(t *testing.T) {
	// Many goroutines, several keys, one instant: each key admits exactly its burst.
	m := newMock(t, 1, func(c *Config) { c.Limits.Requests.PerMinute = 25 })
	var wg sync.WaitGroup
	for g := range 40 {
		wg.Go(func() {
			for range 20 {
				m.Handle(t0, msg(fmt.Sprint("k", g%4), 1, 1))
			}
		})
	}
	wg.Wait()
	st := m.Stats()
	require.Len(t, st.Accounts, 4)
	for _, a := range st.Accounts {
		assert.Equal(t, int64(200), a.Requests)
		assert.Equal(t, int64(25), a.Status["200"], a.Key)
	}
}

func TestMaskKey(t *testing.T) {
	assert.Equal(t, "k1", maskKey("k1"))
	assert.Equal(t, "exactly12chr", maskKey("exactly12chr"))
	assert.Equal(t, "fake-k…wxyz", maskKey("fake-key-abcdefghijklmnopqrstuvwxyz"))
}

func TestHandleCountRejectedChargesRequestsOnly(t *testing.T) {
	// With the requests limit off, a refused request charges nothing (not a token).
	m := newMock(t, 1, func(c *Config) {
		c.Limits.Requests.PerMinute = 0
		c.Limits.InputTokens = Limit{PerMinute: 100, Algorithm: limiter.FixedWindow}
		c.CountRejected = true
	})
	require.Equal(t, 200, m.Handle(t0, msg("k", 60, 1)).Status)
	r := m.Handle(t0, msg("k", 60, 1))
	require.Equal(t, 429, r.Status)
	assert.Equal(t, int64(40), r.Limits.Dims[ratelimit.InputTokens].Remaining)
	assert.Equal(t, 200, m.Handle(t0, msg("k", 40, 1)).Status)

	// count_tokens counts its refusals against its own limit.
	m = newMock(t, 1, func(c *Config) {
		c.Limits.CountTokens = Limit{PerMinute: 60, Burst: ptr(int64(1))}
		c.CountRejected = true
	})
	ct := Call{Key: "k", Endpoint: EndpointCountTokens, InputTokens: 1}
	require.Equal(t, 200, m.Handle(t0, ct).Status)
	r = m.Handle(t0, ct)
	require.Equal(t, 429, r.Status)
	assert.Equal(t, 2*time.Second, r.Limits.RetryAfter)
	assert.Equal(t, 200, m.Handle(t0, msg("k", 1, 1)).Status, "the messages budget is untouched")
}
