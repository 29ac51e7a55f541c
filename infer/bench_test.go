package infer

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/record"
)

// saturatedLog makes n attempts sent at twice the rate of a token bucket (r per second,
// capacity b), with random gaps, decided by the limiter package; segments splits them into
// compare-like segments of fresh budgets (0: one probe segment).
func saturatedLog(n int, r float64, b int64, segments int) (*record.Run, []record.Attempt) {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	run := &record.Run{Schema: record.RunSchema, Command: "probe", Started: start}
	recs := make([]record.Attempt, 0, n)
	per := n
	if segments > 0 {
		per = n / segments
	}
	var l limiter.Limiter
	t := 0.0
	for i := range n {
		label := "probe"
		if segments > 0 {
			label = fmt.Sprintf("seg-%d", i/per)
		}
		if i%per == 0 {
			l, _ = limiter.New(limiter.Config{Algorithm: limiter.TokenBucket, Limit: int64(r * 60), Window: time.Minute, Burst: b})
			if segments > 0 {
				run.Segments = append(run.Segments, record.Segment{Label: label, Kind: "compare", Strategy: "s", StartS: t})
			}
		}
		t += rng.ExpFloat64() / (2 * r)
		d := l.Allow(start.Add(time.Duration(t*1e9)), 1)
		a := record.Attempt{Run: label, Request: int64(i), Number: 1, Sent: time.Duration(t * 1e9), Scheduled: time.Duration(t * 1e9), Latency: 300 * time.Microsecond, Status: 429}
		if d.Allowed {
			a.Status = 200
		}
		if segments > 0 {
			a.Strategy = "s"
		}
		recs = append(recs, a)
	}
	return run, recs
}

// BenchmarkAnalyzerAdd measures feeding one attempt (the per-attempt cost of the streaming
// analysis).
func BenchmarkAnalyzerAdd(b *testing.B) {
	run, recs := saturatedLog(200_000, 50, 100, 0)
	a := NewAnalyzer(run)
	i := 0
	for b.Loop() {
		a.Add(&recs[i%len(recs)])
		i++
	}
}

// BenchmarkResult measures the inference over a saturated probe of 20,000 attempts (the most a
// timeline keeps), and over a compare run of 40 segments of 2,500 attempts.
func BenchmarkResult(b *testing.B) {
	for _, bc := range []struct {
		name     string
		n, segs  int
		rate     float64
		capacity int64
	}{
		{"probe-20k", 20_000, 0, 50, 100},
		{"compare-40x2500", 100_000, 40, 10, 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			run, recs := saturatedLog(bc.n, bc.rate, bc.capacity, bc.segs)
			a := NewAnalyzer(run)
			for i := range recs {
				a.Add(&recs[i])
			}
			for b.Loop() {
				a.Result()
			}
		})
	}
}
