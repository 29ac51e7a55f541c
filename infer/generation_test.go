package infer_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/sim"
	"github.com/ratelab/ratelab/summary"
	"github.com/ratelab/ratelab/workload"
)

// generationRun simulates an open workload against the mock's account model in virtual time:
// replies of out output tokens generated at 60 ± 15 tokens/s after 800 ± 300 ms (about 17 s for
// 1,000 tokens), output tokens charged as generated (Anthropic), an output-token bucket of otpm
// per minute binding (refilling in window, 0: a minute), requests and input tokens far from
// their limits.
func generationRun(t *testing.T, dialect string, stream bool, otpm, out int64, window time.Duration, rate int, seed int64) (*record.Run, []record.Attempt) {
	t.Helper()
	cfg := account.DefaultConfig()
	cfg.Algorithm = limiter.TokenBucket
	cfg.Dialect = dialect
	cfg.Limits.Requests = account.Limit{PerMinute: 100_000}
	cfg.Limits.InputTokens = account.Limit{PerMinute: 100_000_000}
	cfg.Limits.OutputTokens = account.Limit{PerMinute: otpm}
	cfg.OutputTokens = out
	if window > 0 {
		cfg.Window = window
	}
	cfg.TTFT, cfg.TTFTJitter = 800*time.Millisecond, 300*time.Millisecond
	cfg.OutputTPS, cfg.OutputTPSJitter = 60, 15
	m, err := account.New(cfg, seed)
	require.NoError(t, err)
	req := workload.Requests{API: api.Anthropic, MaxTokens: 1024, Stream: stream,
		Prompt: workload.PromptSizes{Tokens: 200, Seed: uint64(seed)}}
	var buf bytes.Buffer
	w := record.NewWriter(&buf)
	epoch := time.Date(2026, 1, 5, 9, 0, 7, 370_000_000, time.UTC)
	r, err := sim.New(sim.Options{Requests: req, Ledger: m, Records: w, Key: "k", Seed: seed, Epoch: epoch})
	require.NoError(t, err)
	_, err = r.Open(context.Background(), engine.OpenPhase{Label: "probe",
		Pacer: workload.Constant(workload.Rate{Hits: float64(rate), Per: time.Minute}), Duration: 5 * time.Minute})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	run := &record.Run{Schema: record.RunSchema, Command: "probe", Started: epoch, Segments: r.Segments(),
		Workload: record.Workload{PromptTokens: 200, MaxTokens: 1024, Stream: stream}}
	var recs []record.Attempt
	require.NoError(t, record.Scan(&buf, func(a *record.Attempt) error {
		recs = append(recs, *a)
		return nil
	}))
	return run, recs
}

// TestOutputChargedAsGenerated: with replies that take a large share of the output-token
// bucket's window to generate (17 s beside 60 s; 17 s beside 10 s; 6 s beside 60 s), output
// charged as it is generated (from the first token to the last of a stream, at the end of a
// reply that is not streamed) gives the output-token rate within the accuracy suite's tolerance
// (3% with headers), and the interval holds the truth.
func TestOutputChargedAsGenerated(t *testing.T) {
	tests := []struct {
		name      string
		stream    bool
		otpm, out int64
		window    time.Duration
		rate      int
		seeds     []int64
	}{
		{"streamed, 1,000 tokens, 40k/min", true, 40_000, 1000, 0, 120, []int64{1, 2}},
		{"not streamed, 1,000 tokens, 40k/min", false, 40_000, 1000, 0, 120, []int64{1, 2}},
		{"streamed, 1,000 tokens, 120k/min refilled in 10 s", true, 120_000, 1000, 10 * time.Second, 300, []int64{3}},
		{"not streamed, 1,000 tokens, 120k/min refilled in 10 s", false, 120_000, 1000, 10 * time.Second, 300, []int64{3}},
		{"streamed, 300 tokens, 8k/min", true, 8000, 300, 0, 60, []int64{4}},
	}
	const tol = 0.03
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			otpm := tt.otpm
			for _, seed := range tt.seeds {
				run, recs := generationRun(t, "anthropic", tt.stream, otpm, tt.out, tt.window, tt.rate, seed)
				an := infer.NewAnalyzer(run)
				limited := 0
				for i := range recs {
					an.Add(&recs[i])
					if recs[i].Status == 429 {
						limited++
					}
				}
				require.Positive(t, limited, "the output-token limit never bound")
				res := an.Result()
				var out *summary.Limit
				for i := range res.Limits {
					if res.Limits[i].Dimension == "output_tokens" {
						out = &res.Limits[i]
					}
				}
				require.NotNil(t, out, "seed %d: no output_tokens limit in %+v", seed, res.Limits)
				require.NotNil(t, out.EffectivePerMinute, "seed %d: no effective rate: %s", seed, out.Evidence)
				got := *out.EffectivePerMinute
				t.Logf("seed %d: %d attempts, %d refused; effective %.0f/min [%.0f, %.0f]; %s", seed, len(recs), limited,
					got, deref(out.EffectiveLow), deref(out.EffectiveHigh), out.Evidence)
				assert.InEpsilon(t, float64(otpm), got, tol, "seed %d: effective %.0f/min, want %d ± %.0f%%", seed, got, otpm, 100*tol)
				require.NotNil(t, out.EffectiveLow)
				require.NotNil(t, out.EffectiveHigh)
				assert.LessOrEqual(t, *out.EffectiveLow-0.005, float64(otpm), "seed %d: interval [%.0f, %.0f] misses %d", seed, *out.EffectiveLow, *out.EffectiveHigh, otpm)
				assert.GreaterOrEqual(t, *out.EffectiveHigh+0.005, float64(otpm), "seed %d: interval [%.0f, %.0f] misses %d", seed, *out.EffectiveLow, *out.EffectiveHigh, otpm)
			}
		})
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}
