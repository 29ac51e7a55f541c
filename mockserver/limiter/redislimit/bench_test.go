package redislimit

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ratelab/ratelab/mockserver/limiter"
)

// Benchmarks: decisions per second and latency per decision through Redis (one client, and two
// clients in parallel as two mock replicas would be) against the in-process limiter behind the
// account's mutex. Each reports p50 and p99 latency; the p99 through Redis is what a request
// adds. They are measurements, never pass/fail.

// benchConfig is 1000 per second, as package limiter's benchmarks.
func benchConfig(a limiter.Algorithm) limiter.Config {
	return limiter.Config{Algorithm: a, Limit: 1000, Window: time.Second}
}

// latencies collects per-decision durations and reports their percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(ds []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, ds...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	at := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

func BenchmarkDecision(b *testing.B) {
	ctx := context.Background()
	for _, a := range limiter.Algorithms {
		b.Run("in-process/"+string(a), func(b *testing.B) {
			in, err := limiter.New(benchConfig(a))
			if err != nil {
				b.Fatal(err)
			}
			var mu sync.Mutex
			var lat latencies
			ds := make([]time.Duration, 0, 1<<16)
			for b.Loop() {
				start := time.Now()
				mu.Lock()
				in.Allow(start, 1)
				mu.Unlock()
				ds = append(ds, time.Since(start))
			}
			lat.add(ds)
			lat.report(b)
		})
	}
	s, srv := startStore(b, Options{Timeout: 5 * time.Second})
	for _, a := range limiter.Algorithms {
		b.Run("redis-1-client/"+string(a), func(b *testing.B) {
			l, err := s.Limiter(Key("bench-1", string(a)), benchConfig(a))
			if err != nil {
				b.Fatal(err)
			}
			var lat latencies
			ds := make([]time.Duration, 0, 1<<16)
			for b.Loop() {
				start := time.Now()
				if _, err := l.Allow(ctx, 1); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(start))
			}
			lat.add(ds)
			lat.report(b)
		})
	}
	second, err := Open(srv.URL, Options{Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer second.Close()
	for _, a := range limiter.Algorithms {
		b.Run("redis-2-clients/"+string(a), func(b *testing.B) {
			var ls [2]*Limiter
			for i, st := range []*Store{s, second} {
				if ls[i], err = st.Limiter(Key("bench-2", string(a)), benchConfig(a)); err != nil {
					b.Fatal(err)
				}
			}
			var lat latencies
			var next sync.Mutex
			client := 0
			b.RunParallel(func(pb *testing.PB) {
				next.Lock()
				l := ls[client%2]
				client++
				next.Unlock()
				ds := make([]time.Duration, 0, 1<<14)
				for pb.Next() {
					start := time.Now()
					if _, err := l.Allow(ctx, 1); err != nil {
						b.Error(err)
						return
					}
					ds = append(ds, time.Since(start))
				}
				lat.add(ds)
			})
			lat.report(b)
		})
	}
}

// BenchmarkAllowAll measures a mock request on three dimensions (requests, input and output
// tokens): one AllowAll round trip against three Allow calls.
func BenchmarkAllowAll(b *testing.B) {
	ctx := context.Background()
	s, _ := startStore(b, Options{Timeout: 5 * time.Second})
	dims := []string{"requests", "input_tokens", "output_tokens"}
	reqs := make([]Request, len(dims))
	for i, d := range dims {
		l, err := s.Limiter(Key("bench-all", d), limiter.Config{Algorithm: limiter.TokenBucket, Limit: 1_000_000, Window: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = Request{Limiter: l, Cost: 1}
	}
	b.Run("one-round-trip", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.AllowAll(ctx, reqs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("three-calls", func(b *testing.B) {
		for b.Loop() {
			for _, r := range reqs {
				if _, err := r.Limiter.Allow(ctx, r.Cost); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
