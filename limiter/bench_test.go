package limiter

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// benchLimiter returns a limiter at 1000 per second, warmed up by one virtual minute of
// requests arriving a third faster than the rate, so both the admit and the deny paths run and
// the sliding log's ring has reached its steady size before b.Loop starts timing.
func benchLimiter(b *testing.B, c Config) (Limiter, time.Time) {
	b.Helper()
	c.Limit, c.Window = 1000, time.Second
	l, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	for range 80_000 {
		now = now.Add(benchStep)
		l.Allow(now, 1)
	}
	return l, now
}

// benchStep is the gap between benchmark requests: 1333/s against a 1000/s limit.
const benchStep = 750 * time.Microsecond

// benchConfigs are the benchmarked limiters: every algorithm, then the variants.
var benchConfigs = func() (out []struct {
	name string
	c    Config
}) {
	for _, a := range Algorithms {
		out = append(out, struct {
			name string
			c    Config
		}{string(a), Config{Algorithm: a}})
	}
	out = append(out, struct {
		name string
		c    Config
	}{"fixed-window/first-request", Config{Algorithm: FixedWindow, Start: StartFirstRequest}})
	for _, r := range CounterRoundings[1:] {
		out = append(out, struct {
			name string
			c    Config
		}{"sliding-window/" + string(r), Config{Algorithm: SlidingWindow, Rounding: r}})
	}
	return out
}()

// BenchmarkAllow measures one decision through the Limiter interface.
func BenchmarkAllow(b *testing.B) {
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) {
			l, now := benchLimiter(b, bc.c)
			b.ReportAllocs()
			admitted := 0
			for b.Loop() {
				now = now.Add(benchStep)
				if l.Allow(now, 1).Allowed {
					admitted++
				}
			}
			b.ReportMetric(float64(admitted)/float64(b.N), "admitted/op")
		})
	}
}

// BenchmarkPeek measures a read-only decision, what a response's headers cost.
func BenchmarkPeek(b *testing.B) {
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) {
			l, now := benchLimiter(b, bc.c)
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(benchStep)
				l.Peek(now)
			}
		})
	}
}

// BenchmarkReferenceXRate is the reference for BenchmarkAllow: golang.org/x/time/rate's token
// bucket deciding AllowN at the same instants, rate and burst as the token-bucket case.
func BenchmarkReferenceXRate(b *testing.B) {
	l := rate.NewLimiter(1000, 1000)
	now := t0
	for range 80_000 {
		now = now.Add(benchStep)
		l.AllowN(now, 1)
	}
	b.ReportAllocs()
	admitted := 0
	for b.Loop() {
		now = now.Add(benchStep)
		if l.AllowN(now, 1) {
			admitted++
		}
	}
	b.ReportMetric(float64(admitted)/float64(b.N), "admitted/op")
}
