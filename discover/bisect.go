package discover

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// PhaseProbe labels the single attempts of bisection: each is sent where the bucket's
// rate interval is undecided, so that admitted or refused it halves the interval.
const PhaseProbe = "probe"

// bisect measures a bucket-like limit with single attempts. A bucket's level is known, for
// any rate, from the attempts so far (full at the first, one unit less per admission): the
// next attempt is admitted from the instant the level reaches one unit, which comes later
// the slower the rate. With the rate known to lie in [lo, hi], one attempt sent between the
// instants that lo and hi predict is refused under one end and admitted under the other:
// whatever the server answers, the interval shrinks to one side. Each attempt costs one
// request, and the interval halves with each until the answers' timing (about a round trip)
// no longer separates the ends; then the bucket is left to refill and drained by a burst,
// which lengthens the span the rate is measured over. d1 is how long after the first refusal
// the limit admitted again, a2 what the second burst admitted, bGuess what the first did.
func (f *finder) bisect(ctx context.Context, d1, a2, bGuess float64) error {
	rGuess := 1 / math.Max(d1, 1e-3)
	var prevLo, prevHi float64
	rivals := 0
	for k := 0; ; k++ {
		l, ok := f.estimate()
		if ok && f.precise(l) && l.Algorithm != summary.AlgoUnknown && f.enoughEvidence(k) && f.bucketPrecise(l) {
			f.done = "the requests limit is known within the target precision"
			return nil
		}
		if f.overBudget() {
			f.done = "discovery's request budget is spent"
			return nil
		}
		if ok && l.Algorithm != summary.AlgoUnknown && f.overCostCap() {
			f.capStop()
			return nil
		}
		r, b := rGuess, bGuess
		if ok {
			r = *l.EffectivePerMinute / 60
		}
		if l.Burst != nil && *l.Burst >= 1 {
			b = *l.Burst
		}
		bm := f.bucketModel(b)
		lo, hi, m, bounded := bm.interval(r)
		if bounded {
			r = (lo + hi) / 2
			b = bm.capAt(r)
		}
		if m > f.tolerance() || (bounded && b/r > f.left().Seconds()/2) {
			// No bucket explains the attempts, or only one too slow to refill in the time
			// left: the limit is another kind (a sliding window counter trickles like a
			// bucket within a window, and reopens at its boundary); cycles show it.
			return f.trickle(ctx, d1, a2, bGuess)
		}
		same := bounded && lo == prevLo && hi == prevHi
		if f.o.Progress != nil {
			f.o.Progress(fmt.Sprintf("bucket %d: %.4g–%.4g/s, %d mispredicted, same %v", k, lo, hi, m, same))
		}
		prevLo, prevHi = lo, hi
		var err error
		switch {
		case same:
			// The last attempt did not narrow the rate: random arrivals a little above it.
			err = f.sustainOnce(ctx, r, b)
		case !bounded:
			// The rate has no scale yet: let a unit or two refill and drain them.
			err = f.refillOnce(ctx, bm, r, b, math.Max(1, math.Min(b/2, 2)))
		default:
			// The instants the rates in the interval predict for the next admission (with
			// the capacity each allows, a faster rate need not admit sooner): their median
			// splits the rates in halves.
			now := f.r.Elapsed().Seconds()
			ts := make([]float64, 0, 129)
			for i := range 129 {
				// Only the rates that explain the attempts (the good ones need not be one
				// stretch: each rate has its own capacity).
				if x := lo + (hi-lo)*float64(i)/128; bm.mispredictions(x) <= m {
					ts = append(ts, bm.next(x, bm.capAt(x), now))
				}
			}
			if len(ts) == 0 {
				ts = append(ts, bm.next(r, b, now))
			}
			slices.Sort(ts)
			cHi, cLo, at := ts[0], ts[len(ts)-1], ts[len(ts)/2]
			if cLo-cHi < f.resolution() || (hi-lo)/2 <= 0.5*f.o.Precision*r {
				// The bucket's rate is known, the analysis is not sure yet: another kind of
				// limiter explains the attempts as well, or it cannot tell whether refusals
				// are charged. Random arrivals a little above the rate tell most apart; a
				// small bucket left to fill up and drained shows its whole capacity again,
				// which a window of a smaller quota cannot admit.
				if rivals++; b <= 10 && rivals%2 == 0 {
					err = f.refillOnce(ctx, bm, r, b, b)
				} else {
					err = f.sustainOnce(ctx, r, b)
				}
				break
			}
			if f.o.Progress != nil {
				f.o.Progress(fmt.Sprintf("bisect %d: %.4g/s in [%.4g, %.4g], burst %.4g (%s): next admission %.4f–%.4f s", k, r, lo, hi, b, l.Algorithm, cHi, cLo))
			}
			if ok, err := f.sleep(ctx, time.Duration((at-f.r.Elapsed().Seconds())*float64(time.Second))); err != nil || !ok {
				f.done = "discovery ran out of time"
				return err
			}
			_, _, err = f.single(ctx, PhaseProbe)
		}
		if err != nil || f.done != "" || f.runStop.Stopped() {
			return err
		}
	}
}

// tolerance is how many mispredictions a model may make and still be taken to explain the
// attempts: none in virtual time, a few per thousand on a network (near-simultaneous attempts
// reach the server in an order of its own).
func (f *finder) tolerance() int { return int(0.003 * float64(f.sent())) }

// sustainOnce sends random arrivals at 1.3 times rate r (per second), a fifth of the
// capacity b of them (6 to 40).
func (f *finder) sustainOnce(ctx context.Context, r, b float64) error {
	n := int(math.Max(6, math.Min(40, 0.2*b)))
	if f.o.Progress != nil {
		f.o.Progress(fmt.Sprintf("sustain: %d at %.4g/s (%s)", n, 1.3*r, f.lastWords()))
	}
	dur := math.Min(float64(n)/(1.3*r)*2, f.left().Seconds()/4)
	_, _, err := f.phase(ctx, PhaseSustain, NewPoissonPacer(1.3*r, f.rng.Uint64()), time.Duration(dur*float64(time.Second)), false, n)
	return err
}

// refillOnce rests while a bucket of rate r and capacity b (as the bucket model has it)
// refills about units, then bursts until refused.
func (f *finder) refillOnce(ctx context.Context, bm *bucketModel, r, b, units float64) error {
	units = math.Min(math.Max(1, units), b)
	now := f.r.Elapsed().Seconds()
	// From when the bucket holds a unit again, the time to refill the rest, drawn at random
	// so that the refills vary in phase.
	tau := math.Min(bm.next(r, b, now)-now+(units-1+f.rng.Float64())/r, f.left().Seconds()/4)
	ok, err := f.sleep(ctx, time.Duration(tau*float64(time.Second)))
	if err != nil {
		return err
	}
	if !ok || f.left().Seconds() < math.Max(tau, 0.05) {
		f.done = "discovery ran out of time"
		return nil
	}
	_, _, err = f.phase(ctx, PhaseRefill, f.burstPacer(units), f.left(), true, f.o.BurstCap)
	return err
}

// resolution is how close in time two predictions may lie and still be told apart by one
// attempt: about a round trip (the server decides somewhere within it), at least two
// milliseconds.
func (f *finder) resolution() float64 { return math.Max(2*f.lat+1e-3, 2e-3) }

// bucketModel replays token buckets over discovery's attempts: full at the first attempt,
// refilling at its rate up to its capacity, a unit less per admission (and per refusal when
// refusals are charged). From rest the bucket held b at the first attempt, so at the first
// refusal (t₁, after C₁ admissions since t₀) 0 ≤ b + x·(t₁ − t₀) − C₁ < 1: each rate x
// has its capacity, capAt(x).
type bucketModel struct {
	recs      []record.Attempt // 2xx and 429 only, in order of sending
	cr        bool
	slack     float64 // seconds after sending within which an admission may have been decided
	t0, t1    float64 // first attempt, first refusal (NaN when none)
	c1, bLast float64 // admissions before the first refusal; the capacity when none
}

// bucketModel captures the attempts so far.
func (f *finder) bucketModel(b float64) *bucketModel {
	f.mu.Lock()
	all := slices.Clone(f.recs)
	f.mu.Unlock()
	sortBySent(all)
	bm := &bucketModel{cr: f.cr, slack: f.resolution(), t0: math.NaN(), t1: math.NaN(), bLast: b}
	for i := range all {
		if a := &all[i]; isOK(a) || a.Status == 429 {
			bm.recs = append(bm.recs, *a)
		}
	}
	settle(bm.recs)
	for i := range bm.recs {
		a := &bm.recs[i]
		if math.IsNaN(bm.t0) {
			bm.t0 = record.Seconds(a.Sent)
		}
		switch {
		case !math.IsNaN(bm.t1):
		case a.Status == 429:
			bm.t1 = record.Seconds(a.Sent)
		default:
			bm.c1++
		}
	}
	return bm
}

// capAt is the capacity the first refusal allows at rate x.
func (bm *bucketModel) capAt(x float64) float64 {
	if math.IsNaN(bm.t1) {
		return bm.bLast
	}
	return math.Max(1, math.Ceil(bm.c1-x*(bm.t1-bm.t0)-1e-9))
}

// replay returns the bucket's level after the last attempt and when that was, and how many
// answers the bucket of rate r and capacity b does not predict (an admission counts as
// predicted when the bucket held a unit within slack of its sending).
func (bm *bucketModel) replay(r, b float64) (tok, last float64, m int) {
	tok, last = b, math.NaN()
	for i := range bm.recs {
		a := &bm.recs[i]
		ok := isOK(a)
		sent := record.Seconds(a.Sent)
		if !math.IsNaN(last) {
			tok = math.Min(b, tok+r*(sent-last))
		}
		last = sent
		switch {
		case ok && math.Min(b, tok+r*math.Min(bm.slack, record.Seconds(a.Latency))) < 1-1e-9:
			m++
		case !ok && tok >= 1-1e-9:
			m++
		}
		if ok || bm.cr {
			tok--
		}
	}
	return tok, last, m
}

// next returns the first instant from now (run seconds) at which the bucket of rate r and
// capacity b holds a unit.
func (bm *bucketModel) next(r, b, now float64) float64 {
	tok, last, _ := bm.replay(r, b)
	if !math.IsNaN(last) {
		tok = math.Min(b, tok+r*(now-last))
	}
	if tok >= 1 {
		return now
	}
	return now + (1-tok)/r
}

// mispredictions is how many answers a bucket of rate x, with the capacity the first
// refusal allows, does not predict.
func (bm *bucketModel) mispredictions(x float64) int {
	_, _, m := bm.replay(x, bm.capAt(x))
	return m
}

// interval returns the rates at which a bucket explains the attempts with the fewest
// mispredictions, and how many that is: it scans from a fiftieth to fifty times r in steps of
// 1%, then finer (0.02%) around the points within a misprediction of the best (precise data
// leave a band of good rates narrower than the coarse step), and bisects the edges of the
// best stretch; ok is false when that stretch reaches either end of the scan.
func (bm *bucketModel) interval(r float64) (lo, hi float64, m int, ok bool) {
	const step = 1.01
	n := int(math.Ceil(math.Log(2500) / math.Log(step)))
	from := r / 50
	at := func(i float64) float64 { return from * math.Pow(step, i) }
	ms := make([]int, n+1)
	coarse := math.MaxInt
	for i := range ms {
		ms[i] = bm.mispredictions(at(float64(i)))
		coarse = min(coarse, ms[i])
	}
	best, first, last := math.MaxInt, 0.0, 0.0
	consider := func(i float64, m int) {
		switch {
		case m < best:
			best, first, last = m, i, i
		case m == best:
			first, last = math.Min(first, i), math.Max(last, i)
		}
	}
	const sub = 50
	for i, m := range ms {
		consider(float64(i), m)
		if m > coarse+1 || (m == coarse && (i == 0 || ms[i-1] == m) && (i == n || ms[i+1] == m)) {
			continue // far from the best, or inside a stretch the coarse scan resolves
		}
		for j := -sub + 1; j < sub; j++ {
			x := float64(i) + float64(j)/sub
			if x >= 0 && x <= float64(n) {
				consider(x, bm.mispredictions(at(x)))
			}
		}
	}
	edge := func(good, bad float64) float64 {
		for range 12 {
			mid := (good + bad) / 2
			if bm.mispredictions(mid) <= best {
				good = mid
			} else {
				bad = mid
			}
		}
		return good
	}
	lo, hi = at(first), at(last)
	ok = first > 0 && last < float64(n)
	if ok {
		lo, hi = edge(lo, at(first-1.0/sub)), edge(hi, at(last+1.0/sub))
	}
	return lo, hi, best, ok
}

// sortBySent orders attempts by send time, keeping the order of equal times.
func sortBySent(recs []record.Attempt) {
	slices.SortStableFunc(recs, record.CompareSent)
}

// simultaneous is how close in time attempts are taken to reach the server in an order of
// its own (as infer takes them).
const simultaneous = time.Millisecond

// settle reorders each group of attempts (sorted by send time) sent within simultaneous of
// the group's first so that its admissions come first: the server took them first, or it
// would not have admitted them ahead of the ones it refused. Send times stay in place.
func settle(recs []record.Attempt) {
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].Sent-recs[i].Sent <= simultaneous {
			j++
		}
		if j-i > 1 {
			times := make([]time.Duration, j-i)
			for k := range times {
				times[k] = recs[i+k].Sent
			}
			slices.SortStableFunc(recs[i:j], func(a, b record.Attempt) int {
				switch ao, bo := isOK(&a), isOK(&b); {
				case ao && !bo:
					return -1
				case bo && !ao:
					return 1
				}
				return 0
			})
			for k := range times {
				recs[i+k].Sent = times[k]
			}
		}
		i = j
	}
}

// bucketContradicted reports whether l names a token bucket that the attempts contradict:
// the analysis prefers the simplest explanation and tries the sliding window counter, which
// trickles like a bucket within a window, only when the bucket misses more than a couple of
// answers; with fewer, discovery goes on until it does (or fits). Either accounting of
// refusals will do.
func (f *finder) bucketContradicted(l summary.Limit) bool {
	if l.Algorithm != summary.AlgoTokenBucket || l.EffectivePerMinute == nil || l.Burst == nil {
		return false
	}
	r := *l.EffectivePerMinute / 60
	bm := f.bucketModel(*l.Burst)
	for _, cr := range []bool{false, true} {
		bm.cr = cr
		if _, _, m, _ := bm.interval(r); m <= f.tolerance() {
			return false
		}
	}
	return true
}

// bucketPrecise reports whether, where l names a token bucket, the rates at which a bucket
// explains the attempts (each with the capacity the first burst allows) lie within the target
// precision too: over a short span a unit more of capacity at a lower rate explains a burst as
// well, and the analysis's interval, scanned around its best capacity, may not show it.
func (f *finder) bucketPrecise(l summary.Limit) bool {
	if l.Algorithm != summary.AlgoTokenBucket || l.EffectivePerMinute == nil || l.Burst == nil {
		return true
	}
	r := *l.EffectivePerMinute / 60
	lo, hi, _, ok := f.bucketModel(*l.Burst).interval(r)
	return ok && (hi-lo)/2 <= f.o.Precision*(lo+hi)/2
}

// enoughEvidence reports whether discovery has seen enough besides a precise rate: whether
// refusals consume quota, unless finding out would cost more than the goal budget.
func (f *finder) enoughEvidence(k int) bool {
	return k >= 1 && (f.countsKnown || float64(f.sent()) >= f.goalRequests())
}

// lastWords describes the last analysis's requests limit for progress lines.
func (f *finder) lastWords() string {
	l := f.last
	if l == nil || l.EffectivePerMinute == nil || l.EffectiveLow == nil || l.EffectiveHigh == nil {
		return "undetermined"
	}
	return fmt.Sprintf("%s, %.4g–%.4g/min", l.Algorithm, *l.EffectiveLow, *l.EffectiveHigh)
}
