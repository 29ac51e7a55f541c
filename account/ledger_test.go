package account

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// t0 is aligned to every window the tests use, so fixed windows start at t0.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

// newMock builds a mock from DefaultConfig changed by set.
func newMock(t testing.TB, seed int64, set func(*Config)) *Ledger {
	t.Helper()
	cfg := DefaultConfig()
	if set != nil {
		set(&cfg)
	}
	m, err := New(cfg, seed)
	require.NoError(t, err)
	return m
}

func msg(key string, in, maxTokens int64) Call {
	return Call{Key: key, Endpoint: EndpointMessages, InputTokens: in, MaxTokens: maxTokens}
}

func TestHandlePerKeyBudgetAtOneInstant(t *testing.T) {
	// rpm 3 over a 1m window; the other dimensions are far from binding. At one instant each
	// algorithm admits its burst: 3, except leaky-bucket, which admits 1 + burst (nginx: a
	// request is refused only when the backlog ahead of it exceeds the burst).
	tests := []struct {
		alg  limiter.Algorithm
		want int
	}{
		{limiter.TokenBucket, 3},
		{limiter.GCRA, 3},
		{limiter.FixedWindow, 3},
		{limiter.SlidingLog, 3},
		{limiter.SlidingWindow, 3},
		{limiter.LeakyBucket, 4},
	}
	for _, tc := range tests {
		t.Run(string(tc.alg), func(t *testing.T) {
			m := newMock(t, 1, func(c *Config) {
				c.Algorithm = tc.alg
				c.Limits.Requests.PerMinute = 3
				c.Limits.Requests.NoDelay = tc.alg == limiter.LeakyBucket
			})
			admitted := 0
			for range 10 {
				r := m.Handle(t0, msg("a", 10, 16))
				if r.Status == 200 {
					admitted++
					continue
				}
				assert.Equal(t, 429, r.Status)
				assert.Equal(t, "rate_limit_error", r.ErrorType)
				assert.Equal(t, ratelimit.Requests, r.Exceeded)
				assert.True(t, r.Limits.HasRetryAfter)
				assert.Positive(t, r.Limits.RetryAfter)
			}
			assert.Equal(t, tc.want, admitted)
			// another key has its own budget
			assert.Equal(t, 200, m.Handle(t0, msg("b", 10, 16)).Status)
			st, ok := m.AccountStats("a")
			require.True(t, ok)
			assert.Equal(t, int64(10), st.Requests)
			assert.Equal(t, map[string]int64{"200": int64(tc.want), "429": int64(10 - tc.want)}, st.Status)
			assert.Equal(t, DimStats{Admitted: int64(tc.want), Rejected: int64(10 - tc.want), Units: int64(tc.want)}, st.Dimensions["requests"])
		})
	}
}

func TestHandleAtomicAdmission(t *testing.T) {
	m := newMock(t, 1, func(c *Config) {
		c.Algorithm = limiter.FixedWindow
		c.Limits.Requests.PerMinute = 10
		c.Limits.InputTokens.PerMinute = 100
		c.Limits.OutputTokens.PerMinute = 20
		c.OutputAccounting = AccountMaxTokens
	})
	r := m.Handle(t0, msg("k", 30, 15))
	require.Equal(t, 200, r.Status)
	assert.Equal(t, int64(9), r.Limits.Dims[ratelimit.Requests].Remaining)
	assert.Equal(t, int64(70), r.Limits.Dims[ratelimit.InputTokens].Remaining)
	assert.Equal(t, int64(5), r.Limits.Dims[ratelimit.OutputTokens].Remaining)

	// Refused by output tokens: nothing else is consumed.
	r = m.Handle(t0, msg("k", 30, 15))
	require.Equal(t, 429, r.Status)
	assert.Equal(t, ratelimit.OutputTokens, r.Exceeded)
	assert.Equal(t, int64(9), r.Limits.Dims[ratelimit.Requests].Remaining, "a request refused by output tokens must not use a request slot")
	assert.Equal(t, int64(70), r.Limits.Dims[ratelimit.InputTokens].Remaining)
	assert.Equal(t, int64(5), r.Limits.Dims[ratelimit.OutputTokens].Remaining)
	assert.Equal(t, time.Minute, r.Limits.RetryAfter)
	assert.Zero(t, r.InputTokens)
	assert.Zero(t, r.OutputTokens)

	// Refused by input first (requests, tokens, input, output is the order), while output is
	// short too: the blame goes to input, the wait is the longest.
	r = m.Handle(at(30*time.Second), msg("k", 80, 15))
	require.Equal(t, 429, r.Status)
	assert.Equal(t, ratelimit.InputTokens, r.Exceeded)
	assert.Equal(t, 30*time.Second, r.Limits.RetryAfter)

	// A request that fits goes through.
	r = m.Handle(at(30*time.Second), msg("k", 70, 5))
	require.Equal(t, 200, r.Status)
	assert.Equal(t, int64(8), r.Limits.Dims[ratelimit.Requests].Remaining)

	st, _ := m.AccountStats("k")
	assert.Equal(t, DimStats{Admitted: 2, Rejected: 0, Units: 2}, st.Dimensions["requests"])
	assert.Equal(t, DimStats{Admitted: 2, Rejected: 1, Units: 100}, st.Dimensions["input_tokens"])
	assert.Equal(t, DimStats{Admitted: 2, Rejected: 1, Units: 20}, st.Dimensions["output_tokens"])
}

func TestHandleAtomicAdmissionEveryAlgorithm(t *testing.T) {
	// For every algorithm, a request refused by its last dimension leaves the earlier ones
	// exactly as they were (the rollback is exact).
	for _, alg := range limiter.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			m := newMock(t, 1, func(c *Config) {
				c.Algorithm = alg
				c.Limits.Requests.PerMinute = 10
				c.Limits.InputTokens.PerMinute = 1000
				c.Limits.OutputTokens.PerMinute = 10
				c.Limits.Tokens.PerMinute = 5000
				c.OutputAccounting = AccountMaxTokens
				if alg == limiter.LeakyBucket {
					c.Limits.OutputTokens.Burst = ptr(int64(1)) // refuse while more than 1 is queued
				}
			})
			first := m.Handle(t0, msg("k", 100, 10))
			require.Equal(t, 200, first.Status)
			refused := m.Handle(at(time.Millisecond), msg("k", 100, 10))
			require.Equal(t, 429, refused.Status)
			require.Equal(t, ratelimit.OutputTokens, refused.Exceeded)
			peek := m.Handle(at(time.Millisecond), Call{Key: "k", Endpoint: EndpointGeneric})
			require.Equal(t, 200, peek.Status)
			// The generic call took one request: had the refused call taken one too, two
			// would be gone since the first.
			assert.Equal(t, first.Limits.Dims[ratelimit.Requests].Remaining-1, peek.Limits.Dims[ratelimit.Requests].Remaining)
			for _, d := range []ratelimit.Dimension{ratelimit.Tokens, ratelimit.InputTokens} {
				assert.Equal(t, first.Limits.Dims[d].Remaining, refused.Limits.Dims[d].Remaining, d.String())
			}
		})
	}
}

func TestHandleAdvertisedDiffersFromEnforced(t *testing.T) {
	// Advertise 60 per minute, enforce 1 per second (Anthropic: "60 RPM may be enforced as 1
	// request per second").
	m := newMock(t, 1, func(c *Config) {
		c.Limits.Requests = Limit{PerMinute: 60, Window: time.Second, Burst: ptr(int64(1)),
			Advertise: &Limit{PerMinute: 60}}
	})
	r := m.Handle(t0, msg("k", 10, 16))
	require.Equal(t, 200, r.Status)
	assert.Equal(t, int64(60), r.Limits.Dims[ratelimit.Requests].Limit)
	assert.Equal(t, int64(59), r.Limits.Dims[ratelimit.Requests].Remaining)
	assert.Equal(t, time.Second, r.Limits.Dims[ratelimit.Requests].Reset)
	assert.Equal(t, time.Minute, r.Limits.Dims[ratelimit.Requests].Window)

	r = m.Handle(at(100*time.Millisecond), msg("k", 10, 16))
	require.Equal(t, 429, r.Status, "the enforced limit is 1 per second")
	assert.Equal(t, int64(59), r.Limits.Dims[ratelimit.Requests].Remaining, "the advertised budget still shows plenty")
	assert.Equal(t, 900*time.Millisecond, r.Limits.RetryAfter, "retry-after comes from the enforced limiter")

	r = m.Handle(at(time.Second), msg("k", 10, 16))
	require.Equal(t, 200, r.Status)
	// advertised: 59 + 1 s × 1/s refill, capped at 60, minus this request
	assert.Equal(t, int64(59), r.Limits.Dims[ratelimit.Requests].Remaining)

	lines, err := m.cfg.Describe()
	require.NoError(t, err)
	assert.Contains(t, lines[0], "requests: 1 per 1s (token-bucket, burst 1, 60/min); advertised as 60 per 1m0s")
}

func TestHandleCountRejected(t *testing.T) {
	// A bucket of 1 refilling at 1 per second.
	for _, count := range []bool{false, true} {
		t.Run(fmt.Sprint("count_rejected=", count), func(t *testing.T) {
			m := newMock(t, 1, func(c *Config) {
				c.Limits.Requests = Limit{PerMinute: 60, Burst: ptr(int64(1))}
				c.CountRejected = count
			})
			require.Equal(t, 200, m.Handle(t0, msg("k", 1, 1)).Status)
			r := m.Handle(t0, msg("k", 1, 1))
			require.Equal(t, 429, r.Status)
			want := time.Second
			if count {
				want = 2 * time.Second // the refused attempt took the next token too
			}
			assert.Equal(t, want, r.Limits.RetryAfter)
			if count {
				assert.Equal(t, 429, m.Handle(at(time.Second), Call{Key: "k", Endpoint: EndpointGeneric}).Status, "still in debt after 1 s")
				// that refusal was counted too: one more second
				want += time.Second
			}
			assert.Equal(t, 200, m.Handle(t0.Add(want), msg("k", 1, 1)).Status, "admitted once retry-after has passed")
			st, _ := m.AccountStats("k")
			units := int64(2)
			if count {
				units = 4
			}
			assert.Equal(t, units, st.Dimensions["requests"].Units)
		})
	}
}

func TestHandleOutputAccounting(t *testing.T) {
	tests := []struct {
		name          string
		accounting    OutputAccounting
		replyTokens   int64
		maxTokens     int64
		wantOut       int64
		wantRemaining int64 // output tokens remaining after the first call
		secondStatus  int   // a second identical call at the same instant
		secondRetry   time.Duration
	}{
		{"actual charges the reply", AccountActual, 10, 50, 10, 90, 200, 0},
		{"max_tokens pre-charges max_tokens", AccountMaxTokens, 10, 50, 10, 50, 200, 0},
		{"actual with no reply length talks until max_tokens", AccountActual, 0, 50, 50, 50, 200, 0},
		// 150 > 100: actual admits while the budget is not in debt, then owes 50 (30 s at 100/min)
		{"actual goes into debt", AccountActual, 0, 150, 150, 0, 429, 30 * time.Second},
		// max_tokens refuses what can never fit; retry-after is the time to full (0 here: one window)
		{"max_tokens refuses more than the bucket holds", AccountMaxTokens, 0, 150, 0, 100, 429, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, 1, func(c *Config) {
				c.Limits.OutputTokens.PerMinute = 100
				c.OutputAccounting = tc.accounting
				c.OutputTokens = tc.replyTokens
			})
			r := m.Handle(t0, msg("k", 5, tc.maxTokens))
			assert.Equal(t, tc.wantOut, r.OutputTokens)
			assert.Equal(t, tc.wantRemaining, r.Limits.Dims[ratelimit.OutputTokens].Remaining)
			r2 := m.Handle(t0, msg("k", 5, tc.maxTokens))
			assert.Equal(t, tc.secondStatus, r2.Status)
			if tc.secondStatus == 429 {
				assert.Equal(t, ratelimit.OutputTokens, r2.Exceeded)
				assert.Equal(t, tc.secondRetry, r2.Limits.RetryAfter)
			}
		})
	}
}

func TestHandleCombinedTokens(t *testing.T) {
	m := newMock(t, 1, func(c *Config) {
		c.Limits.Tokens.PerMinute = 100
		c.OutputTokens = 20
	})
	r := m.Handle(t0, msg("k", 30, 50))
	require.Equal(t, 200, r.Status)
	assert.Equal(t, int64(50), r.Limits.Dims[ratelimit.Tokens].Remaining, "input 30 + actual output 20")
	assert.Equal(t, 200, m.Handle(t0, msg("k", 30, 50)).Status)
	r = m.Handle(t0, msg("k", 30, 50))
	assert.Equal(t, 429, r.Status)
	assert.Equal(t, ratelimit.Tokens, r.Exceeded)
	assert.Contains(t, r.Message, "of 100 tokens per minute")
}
