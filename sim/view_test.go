package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// TestViewFastMatchesExact drives mocks of every shape the fast path covers (anthropic, openai
// and no headers; buckets and windows; token limits near the thousands the anthropic writer
// rounds to; advertised shadows; faults) with random calls at random sub-second instants and
// latencies, and checks that the fast path gives exactly what the header round trip gives.
func TestViewFastMatchesExact(t *testing.T) {
	type shape struct {
		name    string
		dialect string
		alg     limiter.Algorithm
		tpm     bool
		faults  bool
	}
	shapes := []shape{
		{"anthropic token bucket", "anthropic", limiter.TokenBucket, false, false},
		{"anthropic fixed window with tpm and faults", "anthropic", limiter.FixedWindow, true, true},
		{"anthropic sliding log", "anthropic", limiter.SlidingLog, false, false},
		{"openai gcra with tpm", "openai", limiter.GCRA, true, false},
		{"openai leaky bucket", "openai", limiter.LeakyBucket, false, true},
		{"endpoint default dialects", "", limiter.SlidingWindow, true, false},
		{"no headers", "none", limiter.TokenBucket, false, true},
	}
	endpoints := []account.Endpoint{account.EndpointMessages, account.EndpointChat, account.EndpointGeneric}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			cfg := account.DefaultConfig()
			cfg.Algorithm, cfg.Dialect = sh.alg, sh.dialect
			cfg.Window = 10 * time.Second
			cfg.Limits.Requests.PerMinute = 120
			cfg.Limits.InputTokens.PerMinute = 123_456
			cfg.Limits.OutputTokens.PerMinute = 9_999
			if sh.tpm {
				cfg.Limits.Tokens.PerMinute = 200_500
			}
			if sh.faults {
				cfg.ErrorRate, cfg.OverloadRate = 0.05, 0.05
			}
			cfg.Latency, cfg.LatencyJitter = 400*time.Millisecond, 390*time.Millisecond
			m, err := account.New(cfg, 7)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(1, 2))
			now := DefaultEpoch.Add(123456789)
			var v viewer
			covered := 0
			for i := range 5000 {
				now = now.Add(time.Duration(rng.Int64N(int64(400 * time.Millisecond))))
				e := endpoints[rng.IntN(len(endpoints))]
				key := []string{"a", "b"}[rng.IntN(2)]
				reply := m.Handle(now, account.Call{Key: key, Endpoint: e, InputTokens: 1 + rng.Int64N(3000), MaxTokens: 1 + rng.Int64N(600)})
				r := &response{reply: &reply, endpoint: e, arrival: now, received: now.Add(reply.Latency)}
				var fast, exact ratelimit.Snapshot
				if !fastView(&fast, r) {
					continue
				}
				covered++
				v.exact(&exact, r)
				require.Equal(t, exact, fast, "call %d (%s, status %d)", i, e, reply.Status)
			}
			assert.Greater(t, covered, 1000)
		})
	}
}

// TestViewExactDialects: the dialects without a fast path go through the header round trip and
// read back what the mock meant, up to each dialect's rounding.
func TestViewExactDialects(t *testing.T) {
	for _, d := range []string{"ietf", "ietf-legacy", "x-ratelimit"} {
		t.Run(d, func(t *testing.T) {
			cfg := bucketConfig(60, 5, d)
			m, err := account.New(cfg, 1)
			require.NoError(t, err)
			var v viewer
			now := DefaultEpoch.Add(300 * time.Millisecond)
			for i := range 8 {
				reply := m.Handle(now, account.Call{Key: "k", Endpoint: account.EndpointMessages, InputTokens: 3, MaxTokens: 4})
				r := &response{reply: &reply, endpoint: account.EndpointMessages, arrival: now, received: now}
				var s ratelimit.Snapshot
				v.see(&s, r)
				want := int64(max(4-i, 0))
				req := s.Dims[ratelimit.Requests]
				require.True(t, req.Has(ratelimit.HasRemaining), "call %d", i)
				assert.Equal(t, want, req.Remaining, "call %d", i)
				if i >= 5 {
					assert.Equal(t, 429, reply.Status)
					assert.True(t, s.HasRetryAfter)
					assert.Equal(t, int8(1), s.ShouldRetry)
				}
			}
		})
	}
}
