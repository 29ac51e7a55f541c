package planner

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/backoff"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/workload"
)

// dayTrace is n requests over 24 hours with a daily shape (a rate of 1 at 03:00 rising to 3 at
// 15:00, relative), Poisson within it, log-normal sizes (median 800 input, 200 output tokens).
func dayTrace(n int, seed uint64) *workload.Trace {
	rng := rand.New(rand.NewPCG(seed, 1))
	const day = 86400.0
	shape := func(t float64) float64 { return 2 - math.Cos(2*math.Pi*(t-3*3600)/day) }
	t := &workload.Trace{Source: "day"}
	// thinning: candidates at the peak rate, kept with probability shape/3
	peak := float64(n) / day * 1.5
	for at := 0.0; at < day; {
		at += rng.ExpFloat64() / peak
		if rng.Float64()*3 > shape(at) {
			continue
		}
		t.At = append(t.At, time.Duration(at*1e9))
		t.Input = append(t.Input, int64(800*math.Exp(0.8*rng.NormFloat64())))
		t.Output = append(t.Output, int64(200*math.Exp(0.6*rng.NormFloat64())))
	}
	return t
}

// dayLimits fit dayTrace(1e6) about twice at its peak minute: 2,000 requests, 2.5 M input and
// 500 k output tokens a minute, token buckets.
func dayLimits() account.Config {
	cfg := offConfig()
	cfg.Limits.Requests.PerMinute = 2000
	cfg.Limits.InputTokens.PerMinute = 2_500_000
	cfg.Limits.OutputTokens.PerMinute = 500_000
	return cfg
}

func planStrategies(tb testing.TB, names ...string) []Strategy {
	var out []Strategy
	for _, n := range names {
		s, err := backoff.Resolve(n)
		require.NoError(tb, err)
		out = append(out, Strategy{Label: n, S: s})
	}
	return out
}

// BenchmarkPlanDay is the scale: a 24-hour trace of 1,000,000 requests, scales 1, 2, 4
// and 8, three strategies. Run with -benchtime 1x.
func BenchmarkPlanDay(b *testing.B) {
	tr := dayTrace(1_000_000, 1)
	slo, err := ParseSLO(DefaultSLO)
	require.NoError(b, err)
	for b.Loop() {
		_, err := Run(context.Background(), Options{Trace: tr, Scales: []float64{1, 2, 4, 8}, Limits: dayLimits(), SLO: slo,
			Strategies: planStrategies(b, "full-jitter", "retry-after", "header-pacing"), Seed: 1})
		require.NoError(b, err)
	}
}
