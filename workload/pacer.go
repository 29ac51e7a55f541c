package workload

import (
	"fmt"
	"math"
	"time"
)

// Pacer decides when each hit of an open-model phase is due. A pacer is a pure function of the
// number of hits already sent (and, for Rate, of the elapsed time): it never reads a clock, so
// the live engine and the simulator pace identically and tests are exact.
//
// Every pacer integrates its rate r(t) into the expected hit count H(t) = ∫₀ᵗ r(u) du and
// inverts it in closed form: hit number n+1 (n hits already sent) is due at the smallest t with
// H(t) ≥ n. The first hit is therefore due at t = 0.
type Pacer interface {
	// Due returns when hit number hits+1 is due, as time since the phase started; ok is false
	// when no further hit is ever due (a zero rate, or past the end of the last stage).
	Due(hits uint64) (at time.Duration, ok bool)
	// Rate returns the instantaneous rate at elapsed, in hits per second.
	Rate(elapsed time.Duration) float64
	// String describes the pacer, e.g. Constant{20/s}.
	String() string
}

// Pace is vegeta's Pacer.Pace derived from Due: the wait before the next hit when hits have
// been sent after elapsed, and whether the pacer has no further hit. When the caller is behind
// (Due(hits) ≤ elapsed) the wait is 0 and the caller catches up.
func Pace(p Pacer, elapsed time.Duration, hits uint64) (wait time.Duration, stop bool) {
	at, ok := p.Due(hits)
	if !ok {
		return 0, true
	}
	if at <= elapsed {
		return 0, false
	}
	return at - elapsed, false
}

// HitsBefore returns how many hits p makes due strictly before elapsed: the smallest n with
// Due(n) ≥ elapsed (or no hit n). It searches Due, so it agrees with it exactly.
func HitsBefore(p Pacer, elapsed time.Duration) uint64 {
	if elapsed <= 0 {
		return 0
	}
	before := func(n uint64) bool {
		at, ok := p.Due(n)
		return ok && at < elapsed
	}
	// Exponential search for an upper bound, then bisection: lo is before, hi is not.
	if !before(0) {
		return 0
	}
	lo, hi := uint64(0), uint64(1)
	for before(hi) {
		lo = hi
		if hi > math.MaxUint64/2 {
			return hi
		}
		hi *= 2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if before(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// maxDue is the latest instant a pacer returns; later hits are never due (it also keeps
// conversions from float seconds away from Duration overflow).
const maxDue = 100 * 365 * 24 * time.Hour

// seconds converts float seconds to a Duration, rounded to the nanosecond; ok is false when the
// value is not finite or beyond maxDue.
func seconds(s float64) (time.Duration, bool) {
	if math.IsNaN(s) || s < 0 || s > maxDue.Seconds() {
		return 0, false
	}
	return time.Duration(math.Round(s * 1e9)), true
}

// ConstantPacer sends at a constant rate r hits per second:
//
//	H(t) = r·t        Due(n) = n / r
//
// A zero rate sends nothing.
type ConstantPacer struct {
	At Rate
}

// Constant returns a pacer at the fixed rate r.
func Constant(r Rate) ConstantPacer { return ConstantPacer{At: r} }

// Due returns n / r seconds.
func (c ConstantPacer) Due(hits uint64) (time.Duration, bool) {
	r := c.At.PerSecond()
	if r <= 0 {
		return 0, false
	}
	return seconds(float64(hits) / r)
}

// Rate returns r.
func (c ConstantPacer) Rate(time.Duration) float64 { return c.At.PerSecond() }

// String returns Constant{r}.
func (c ConstantPacer) String() string { return fmt.Sprintf("Constant{%s}", c.At) }

// LinearPacer ramps linearly from Start hits per second, changing by Slope hits per second every
// second (Slope may be negative; the rate never goes below zero):
//
//	r(t) = a + b·t    H(t) = a·t + b·t²/2
//
// Due(n) solves b·t²/2 + a·t − n = 0 for its smallest non-negative root, in the form that stays
// exact when b is zero or tiny:
//
//	t = 2n / (a + √(a² + 2bn))
//
// When a² + 2bn < 0 the rate reaches zero before hit n+1, which is then never due.
type LinearPacer struct {
	Start float64 // a, hits per second at t = 0
	Slope float64 // b, hits per second per second
}

// Due returns the root above.
func (l LinearPacer) Due(hits uint64) (time.Duration, bool) {
	if l.Start < 0 || (l.Start == 0 && l.Slope <= 0) {
		return 0, false // the rate is never positive
	}
	t, ok := linearDue(l.Start, l.Slope, float64(hits))
	if !ok {
		return 0, false
	}
	return seconds(t)
}

// linearDue solves a·t + b·t²/2 = n for the smallest t ≥ 0, in seconds. The caller makes sure
// the rate is positive somewhere, so that n = 0 is due at once.
func linearDue(a, b, n float64) (float64, bool) {
	if n <= 0 {
		return 0, true
	}
	disc := a*a + 2*b*n
	if disc < 0 {
		return 0, false
	}
	den := a + math.Sqrt(disc)
	if den <= 0 {
		return 0, false
	}
	return 2 * n / den, true
}

// Rate returns max(0, a + b·t).
func (l LinearPacer) Rate(elapsed time.Duration) float64 {
	return math.Max(0, l.Start+l.Slope*elapsed.Seconds())
}

// String returns Linear{a/s + b/s²}.
func (l LinearPacer) String() string {
	return fmt.Sprintf("Linear{%g/s %+g/s²}", l.Start, l.Slope)
}

// StagesPacer is k6's ramping-arrival-rate: a piecewise linear rate that moves from the start
// rate to each stage's target over the stage's duration, and ends with the last stage. With
// stage i spanning [Tᵢ, Tᵢ₊₁), rates rᵢ → rᵢ₊₁ and Hᵢ hits expected before Tᵢ:
//
//	Hᵢ₊₁ = Hᵢ + (rᵢ + rᵢ₊₁)/2 · (Tᵢ₊₁ − Tᵢ)
//	Due(n) = Tᵢ + linearDue(rᵢ, (rᵢ₊₁ − rᵢ)/(Tᵢ₊₁ − Tᵢ), n − Hᵢ)   for the i with Hᵢ ≤ n < Hᵢ₊₁
//
// No hit is due at or after the end of the last stage.
type StagesPacer struct {
	start  Rate
	stages []Stage
	t      []float64 // Tᵢ in seconds, len(stages)+1
	r      []float64 // rᵢ in hits/s, len(stages)+1
	h      []float64 // Hᵢ, len(stages)+1
	total  time.Duration
}

// Stages returns the pacer of stages ramping from start.
func Stages(start Rate, stages []Stage) *StagesPacer {
	p := &StagesPacer{start: start, stages: stages}
	p.t = make([]float64, len(stages)+1)
	p.r = make([]float64, len(stages)+1)
	p.h = make([]float64, len(stages)+1)
	p.r[0] = start.PerSecond()
	for i, s := range stages {
		d := s.Duration.Seconds()
		p.t[i+1] = p.t[i] + d
		p.r[i+1] = s.Target.PerSecond()
		p.h[i+1] = p.h[i] + (p.r[i]+p.r[i+1])/2*d
		p.total += s.Duration
	}
	return p
}

// Duration is the total length of the stages.
func (p *StagesPacer) Duration() time.Duration { return p.total }

// Due returns the piecewise root above.
func (p *StagesPacer) Due(hits uint64) (time.Duration, bool) {
	n := float64(hits)
	last := len(p.stages)
	if last == 0 || n >= p.h[last] {
		return 0, false
	}
	// The first stage whose end count exceeds n; stages are few, and a linear scan keeps Due
	// allocation-free and obvious.
	i := 0
	for p.h[i+1] <= n {
		i++
	}
	d := p.t[i+1] - p.t[i]
	t, ok := linearDue(p.r[i], (p.r[i+1]-p.r[i])/d, n-p.h[i])
	if !ok {
		return 0, false
	}
	at, ok := seconds(p.t[i] + math.Min(t, d))
	if !ok || at >= p.total {
		return 0, false
	}
	return at, true
}

// Rate interpolates the rate at elapsed; it is zero after the last stage.
func (p *StagesPacer) Rate(elapsed time.Duration) float64 {
	s := elapsed.Seconds()
	last := len(p.stages)
	if s < 0 || last == 0 || s >= p.t[last] {
		return 0
	}
	i := 0
	for p.t[i+1] <= s {
		i++
	}
	f := (s - p.t[i]) / (p.t[i+1] - p.t[i])
	return p.r[i] + f*(p.r[i+1]-p.r[i])
}

// String returns Stages{start → stages}.
func (p *StagesPacer) String() string {
	return fmt.Sprintf("Stages{%s → %s}", p.start, FormatStages(p.stages))
}
