package workload

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// ArrivalKind is how a replay's requests arrive.
type ArrivalKind string

// The arrival models of a replay.
const (
	// ArrivalTrace replays the trace's own arrival times (grown by the scale, see Replay).
	ArrivalTrace ArrivalKind = "trace"
	// ArrivalPoisson sends the same number of requests over the same time as independent
	// (Poisson) arrivals at the trace's mean rate.
	ArrivalPoisson ArrivalKind = "poisson"
	// ArrivalConstant sends them evenly spaced at the trace's mean rate.
	ArrivalConstant ArrivalKind = "constant"
)

// ParseArrivals reads an arrival model: trace, poisson or constant.
func ParseArrivals(s string) (ArrivalKind, error) {
	switch k := ArrivalKind(strings.ToLower(strings.TrimSpace(s))); k {
	case "":
		return ArrivalTrace, nil
	case ArrivalTrace, ArrivalPoisson, ArrivalConstant:
		return k, nil
	}
	return "", fmt.Errorf("invalid arrivals %q: want trace, poisson or constant", s)
}

// ReplaySpec is how a trace is replayed: the arrival model and the distribution of each size.
type ReplaySpec struct {
	Arrivals                 ArrivalKind
	Input, Output, CacheRead Size
	Seed                     uint64
}

// ParseReplaySpec reads a replay's arrival model (ParseArrivals) and its input, output and
// cache-read sizes (ParseSize), leaving Seed 0. On error it also returns which of the four forms
// failed (0 arrivals, 1 input, 2 output, 3 cache read), for the caller to name in its own terms
// (a flag or a scenario field).
func ParseReplaySpec(arrivals, input, output, cacheRead string) (ReplaySpec, int, error) {
	var sp ReplaySpec
	var err error
	if sp.Arrivals, err = ParseArrivals(arrivals); err != nil {
		return sp, 0, err
	}
	for i, sz := range []struct {
		val string
		dst *Size
	}{{input, &sp.Input}, {output, &sp.Output}, {cacheRead, &sp.CacheRead}} {
		if *sz.dst, err = ParseSize(sz.val); err != nil {
			return sp, i + 1, err
		}
	}
	return sp, 0, nil
}

// Replay is a trace's workload grown by a factor Scale, as the pacer of an open-model phase
// (Due) and the sizes of each logical request (Of, CacheReadOf). It is replicated, not
// time-compressed: Scale × the requests over the same span of time, so a daily peak stays as
// long as it was and only grows taller. Request n of the replay sits at position
// p = (n + uₙ)/Scale among the trace's requests (uₙ seeded uniform in [0,1); uₙ = 0 at Scale 1,
// which replays the trace exactly): it takes the sizes of trace request i = ⌊p⌋ and arrives
// between request i and i+1, at At[i] + (p − i)·(At[i+1] − At[i]). The trace's cumulative
// arrival curve is thus multiplied by Scale, each copy jittered within the gap it falls in, and
// the arrivals stay in order. A Replay caches its last Poisson arrival: it is not safe for
// concurrent use.
type Replay struct {
	trace *Trace
	scale float64
	spec  ReplaySpec
	n     uint64  // requests in the replay
	rate  float64 // mean arrivals per second
	gap   time.Duration
	// Poisson: the last arrival computed, so that sequential Due calls cost O(1).
	lastN  uint64
	lastAt float64
}

// NewReplay returns trace t replayed at scale (> 0) under spec.
func NewReplay(t *Trace, scale float64, spec ReplaySpec) (*Replay, error) {
	if t == nil || t.Len() == 0 {
		return nil, fmt.Errorf("replay: the trace has no requests")
	}
	if !(scale > 0) || scale > 1e4 {
		return nil, fmt.Errorf("scale %g: want a factor above 0 and at most 10000", scale)
	}
	if spec.Arrivals == "" {
		spec.Arrivals = ArrivalTrace
	}
	r := &Replay{trace: t, scale: scale, spec: spec}
	N := t.Len()
	r.gap = time.Second
	if N > 1 && t.Duration() > 0 {
		r.gap = t.Duration() / time.Duration(N-1)
	}
	r.n = uint64(math.Round(float64(N) * scale))
	if spec.Arrivals == ArrivalTrace && scale != 1 {
		r.n = 0
		// requests n with ⌊(n + uₙ)/scale⌋ < N: all n < N·scale − 1, and the last one or two by test
		for n := uint64(max(math.Floor(float64(N)*scale)-2, 0)); ; n++ {
			if r.position(n) >= float64(N) {
				r.n = n
				break
			}
		}
	}
	span := t.Duration() + r.gap
	r.rate = float64(r.n) / span.Seconds()
	return r, nil
}

// position is request n's place among the trace's requests.
func (r *Replay) position(n uint64) float64 {
	if r.scale == 1 {
		return float64(n)
	}
	return (float64(n) + unitFloat(r.spec.Seed^0x7265706c6179, n)) / r.scale
}

// Requests returns the number of requests the replay sends.
func (r *Replay) Requests() uint64 { return r.n }

// Span returns a duration every arrival falls before: the trace's span plus one mean gap.
func (r *Replay) Span() time.Duration { return r.trace.Duration() + r.gap + time.Second }

// Scale returns the replay's factor.
func (r *Replay) Scale() float64 { return r.scale }

// Due returns when request hits+1 arrives.
func (r *Replay) Due(hits uint64) (time.Duration, bool) {
	if hits >= r.n {
		return 0, false
	}
	switch r.spec.Arrivals {
	case ArrivalConstant:
		return seconds(float64(hits) / r.rate)
	case ArrivalPoisson:
		if hits < r.lastN || r.lastN == 0 {
			r.lastN, r.lastAt = 0, 0
		}
		for ; r.lastN < hits; r.lastN++ {
			u := unitFloat(r.spec.Seed^0x706f6973736f6e, r.lastN)
			r.lastAt += -math.Log1p(-u) / r.rate
		}
		return seconds(r.lastAt)
	}
	t := r.trace
	p := r.position(hits)
	i := int(p)
	at := t.At[i]
	if f := p - float64(i); f > 0 {
		gap := r.gap
		if i+1 < len(t.At) {
			gap = t.At[i+1] - t.At[i]
		}
		at += time.Duration(f * float64(gap))
	}
	return at, true
}

// Rate returns the replay's mean rate in requests per second.
func (r *Replay) Rate(time.Duration) float64 { return r.rate }

// String describes the replay.
func (r *Replay) String() string {
	return fmt.Sprintf("Replay{%s ×%g, %s arrivals}", r.trace.Source, r.scale, r.spec.Arrivals)
}

// source is the trace request whose sizes request id takes.
func (r *Replay) source(id int64) int {
	var p float64
	if r.spec.Arrivals == ArrivalTrace {
		p = r.position(uint64(id))
	} else {
		p = float64(id) / r.scale
	}
	return min(int(p), r.trace.Len()-1)
}

// Of returns request id's input (prompt, uncached) and output tokens.
func (r *Replay) Of(id int64) (input, output int64) {
	i := r.source(id)
	t := r.trace
	return r.spec.Input.draw(r.spec.Seed^1, id, t.Input[i], t.Input),
		r.spec.Output.draw(r.spec.Seed^2, id, t.Output[i], t.Output)
}

// CacheReadOf returns request id's prompt tokens read from the cache.
func (r *Replay) CacheReadOf(id int64) int64 {
	i := r.source(id)
	var rec int64
	if r.trace.CacheRead != nil {
		rec = r.trace.CacheRead[i]
	}
	return r.spec.CacheRead.draw(r.spec.Seed^3, id, rec, r.trace.CacheRead)
}
