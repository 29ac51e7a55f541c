package redisstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/redistest"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/limiter/redislimit"
	"github.com/ratelab/ratelab/ratelimit"
)

func ptr[T any](v T) *T { return &v }

// TestSameRepliesAsInMemory runs the same calls through a ledger in memory and a ledger on
// Redis: the statuses, the refusing dimension, the error texts and every header's limit and
// remaining agree, for each algorithm and for the ledger's variants (an advertised shadow,
// counted rejections, output tokens charged after the fact or at admission). The limits refill
// by the minute or window, so the two clocks' few milliseconds apart change nothing.
func TestSameRepliesAsInMemory(t *testing.T) {
	srv := redistest.Start(t)
	rs, err := redislimit.Open(srv.URL, redislimit.Options{})
	require.NoError(t, err)
	defer rs.Close()
	tests := []struct {
		name string
		set  func(*account.Config)
	}{
		{"token-bucket", func(c *account.Config) {}},
		{"gcra", func(c *account.Config) { c.Algorithm = limiter.GCRA }},
		{"leaky-bucket", func(c *account.Config) { c.Algorithm = limiter.LeakyBucket; c.Limits.Requests.NoDelay = true }},
		{"fixed-window first-request", func(c *account.Config) {
			c.Algorithm, c.WindowStart, c.Window = limiter.FixedWindow, limiter.StartFirstRequest, 4*time.Minute
		}},
		{"sliding-log", func(c *account.Config) { c.Algorithm, c.Window = limiter.SlidingLog, 4*time.Minute }},
		{"sliding-window half-up", func(c *account.Config) {
			c.Algorithm, c.CounterRounding, c.Window = limiter.SlidingWindow, limiter.RoundHalfUp, 4*time.Minute
		}},
		{"advertised and counted rejections", func(c *account.Config) {
			c.CountRejected = true
			c.Limits.Requests.Advertise = &account.Limit{PerMinute: 60}
		}},
		{"max_tokens accounting, combined tokens", func(c *account.Config) {
			c.OutputAccounting = account.AccountMaxTokens
			c.Limits.Tokens = account.Limit{PerMinute: 1, Burst: ptr(int64(200))}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := account.DefaultConfig()
			cfg.Limits.Requests = account.Limit{PerMinute: 1, Burst: ptr(int64(4))}
			cfg.Limits.InputTokens = account.Limit{PerMinute: 1, Burst: ptr(int64(120))}
			cfg.Limits.OutputTokens = account.Limit{PerMinute: 1, Burst: ptr(int64(60))}
			tc.set(&cfg)
			if cfg.Window == 4*time.Minute { // the same quotas per window: 4 requests, 120 and 60 tokens
				for _, l := range []*account.Limit{&cfg.Limits.Requests, &cfg.Limits.InputTokens, &cfg.Limits.OutputTokens} {
					l.PerMinute, l.Burst = *l.Burst/4, nil
				}
			}
			mem, err := account.New(cfg, 1)
			require.NoError(t, err)
			red, err := account.New(cfg, 1)
			require.NoError(t, err)
			require.NoError(t, red.UseStore(New(rs), account.StoreOptions{}))
			key := "sk-same-" + tc.name
			now := time.Now()
			statuses := map[int]int{}
			for i := range 10 {
				call := account.Call{Key: key, Endpoint: account.EndpointMessages, InputTokens: 25, MaxTokens: 30}
				if i%3 == 2 {
					call.Endpoint = account.EndpointGeneric
				}
				a, b := mem.Handle(now, call), red.Handle(now, call)
				require.NoError(t, b.StoreError)
				assert.Equal(t, a.Status, b.Status, "call %d", i)
				statuses[b.Status]++
				assert.Equal(t, a.Exceeded, b.Exceeded, "call %d", i)
				assert.Equal(t, a.ErrorType, b.ErrorType, "call %d", i)
				assert.Equal(t, a.OutputTokens, b.OutputTokens, "call %d", i)
				for d := range ratelimit.NumDimensions {
					x, y := a.Limits.Dims[d], b.Limits.Dims[d]
					assert.Equal(t, x.Limit, y.Limit, "call %d %s limit", i, d)
					assert.Equal(t, x.Remaining, y.Remaining, "call %d %s remaining", i, d)
				}
			}
			assert.Positive(t, statuses[200], "some admitted")
			assert.Positive(t, statuses[429], "some refused")
			ms, _ := mem.AccountStats(key)
			rss, _ := red.AccountStats(key)
			assert.Equal(t, ms, rss)
		})
	}
}
