package sim

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// bucketConfig is a mock whose only binding limit is a token bucket of rpm requests per minute
// holding burst (0: one minute's quota), speaking dialect.
func bucketConfig(rpm, burst int64, dialect string) account.Config {
	cfg := account.DefaultConfig()
	cfg.Algorithm = limiter.TokenBucket
	cfg.Limits.Requests.PerMinute = rpm
	if burst > 0 {
		cfg.Limits.Requests.Burst = &burst
	}
	cfg.Limits.InputTokens.PerMinute = 1_000_000_000
	cfg.Limits.OutputTokens.PerMinute = 1_000_000_000
	cfg.Dialect = dialect
	return cfg
}

// anthropicRequests are anthropic requests of the default workload.
var anthropicRequests = workload.Requests{API: api.Anthropic, MaxTokens: workload.DefaultMaxTokens,
	Prompt: workload.PromptSizes{Tokens: workload.DefaultPromptTokens, Seed: 1}}

// newRunner builds a runner on a fresh mock of cfg writing to w (io.Discard when nil).
func newRunner(t testing.TB, cfg account.Config, w io.Writer, seed int64) *Engine {
	t.Helper()
	m, err := account.New(cfg, seed)
	require.NoError(t, err)
	if w == nil {
		w = io.Discard
	}
	r, err := New(Options{Requests: anthropicRequests, Ledger: m, Records: record.NewWriter(w), Key: "k", Seed: seed})
	require.NoError(t, err)
	return r
}

// fleet resolves a strategy spec into a fleet seeded with seed.
func fleet(t testing.TB, spec string, seed int64) backoff.Fleet {
	t.Helper()
	s, err := backoff.Resolve(spec)
	require.NoError(t, err)
	return s.NewFleet(seed)
}
