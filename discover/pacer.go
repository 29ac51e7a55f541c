package discover

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ratelab/ratelab/workload"
)

// ExpPacer doubles its rate every Doubling, from Start hits per second up to Max, then holds
// it: a burst that starts gently (so a slow limit is not flooded) and soon outruns any refill.
// With r(t) = s₀·2^(t/h) up to the instant t꜀ = h·log₂(Max/s₀) where it reaches Max:
//
//	H(t) = s₀·h/ln2 · (2^(t/h) − 1)         t ≤ t꜀
//	H(t) = H(t꜀) + Max·(t − t꜀)              t > t꜀
//	Due(n) = h·log₂(1 + n·ln2/(s₀·h))      n ≤ H(t꜀), else t꜀ + (n − H(t꜀))/Max
type ExpPacer struct {
	Start    float64 // s₀, hits per second at t = 0 (> 0)
	Doubling time.Duration
	Max      float64 // hits per second; ≤ Start means constant at Start
}

func (p ExpPacer) knee() (tc, hc float64) {
	h := p.Doubling.Seconds()
	if p.Max <= p.Start || h <= 0 {
		return 0, 0
	}
	tc = h * math.Log2(p.Max/p.Start)
	hc = p.Start * h / math.Ln2 * (math.Exp2(tc/h) - 1)
	return tc, hc
}

// Due returns the instant hit number hits+1 is due (formula above).
func (p ExpPacer) Due(hits uint64) (time.Duration, bool) {
	if p.Start <= 0 {
		return 0, false
	}
	n := float64(hits)
	h := p.Doubling.Seconds()
	tc, hc := p.knee()
	var t float64
	if n <= hc && hc > 0 {
		t = h * math.Log2(1+n*math.Ln2/(p.Start*h))
	} else {
		top := math.Max(p.Max, p.Start)
		t = tc + (n-hc)/top
	}
	return seconds(t)
}

// Rate returns min(Max, s₀·2^(t/h)).
func (p ExpPacer) Rate(elapsed time.Duration) float64 {
	tc, _ := p.knee()
	if t := elapsed.Seconds(); t < tc {
		return p.Start * math.Exp2(t/p.Doubling.Seconds())
	}
	return math.Max(p.Max, p.Start)
}

// String describes the pacer.
func (p ExpPacer) String() string {
	return fmt.Sprintf("Exp{%g/s ×2 every %s up to %g/s}", p.Start, p.Doubling, p.Max)
}

// PoissonPacer sends at a mean rate with exponentially distributed gaps (a Poisson process),
// drawn from a seeded source, so a run is reproducible. Random arrivals are what tells limiter
// models apart: evenly spaced attempts keep a fixed phase against a limiter's refill and
// windows, and several models then explain them equally well. Hit n+1 is due at the sum of
// the first n gaps (hit 1 at once). It keeps the instants it has drawn; it is not safe for
// concurrent use (the engine calls it from one goroutine).
type PoissonPacer struct {
	rate float64
	rng  *rand.Rand
	due  []float64 // due[n]: instant of hit n+1, seconds
}

// NewPoissonPacer returns a Poisson pacer at rate hits per second, seeded with seed.
func NewPoissonPacer(rate float64, seed uint64) *PoissonPacer {
	return &PoissonPacer{rate: rate, rng: rand.New(rand.NewPCG(seed, 0x706f6973)), due: []float64{0}}
}

// Due returns the sum of the first hits gaps.
func (p *PoissonPacer) Due(hits uint64) (time.Duration, bool) {
	if p.rate <= 0 {
		return 0, false
	}
	for uint64(len(p.due)) <= hits {
		if len(p.due) > 50_000_000 {
			return 0, false
		}
		last := p.due[len(p.due)-1]
		p.due = append(p.due, last+p.rng.ExpFloat64()/p.rate)
	}
	return seconds(p.due[hits])
}

// Rate returns the mean rate.
func (p *PoissonPacer) Rate(time.Duration) float64 { return p.rate }

// String describes the pacer.
func (p *PoissonPacer) String() string { return fmt.Sprintf("Poisson{%g/s}", p.rate) }

// seconds converts float seconds to a Duration; ok is false beyond a century.
func seconds(s float64) (time.Duration, bool) {
	if math.IsNaN(s) || s < 0 || s > 100*365*24*3600 {
		return 0, false
	}
	return time.Duration(math.Round(s * 1e9)), true
}

// quickStart sends n hits gap apart, then continues with another pacer (shifted after them).
type quickStart struct {
	n    uint64
	gap  float64 // seconds
	then workload.Pacer
}

// Due returns k·gap for the first n hits, then n·gap + then.Due(k − n).
func (q quickStart) Due(hits uint64) (time.Duration, bool) {
	if hits < q.n {
		return seconds(float64(hits) * q.gap)
	}
	d, ok := q.then.Due(hits - q.n)
	if !ok {
		return 0, false
	}
	return d + time.Duration(float64(q.n)*q.gap*float64(time.Second)), true
}

// Rate returns the following pacer's rate.
func (q quickStart) Rate(elapsed time.Duration) float64 { return q.then.Rate(elapsed) }

// String describes the pacer.
func (q quickStart) String() string { return fmt.Sprintf("%d quick, then %s", q.n, q.then) }
