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

// awaitReopen sends single probes after the refusal at lastRefused (run seconds) until one is
// admitted, and returns it. Where the reopening is expected at pred ± margin (pred > 0), the
// probes start at pred − margin and go every margin/10, so the reopening is placed within that.
// A retry-after on a refusal sets the expectation too (retryExpectation), probed every quarter
// second (no more densely: where refusals consume quota, each probe pushes the reopening back). Without an expectation,
// or past it, the waits grow: as nextDelay without an expectation, by half again each time
// from the expectation's step past one. jumped reports whether the reopening came where an
// expectation put it.
func (f *finder) awaitReopen(ctx context.Context, lastRefused, pred, margin float64) (*record.Attempt, bool, error) {
	delay, lastProbe := 0.0, math.Inf(-1)
	div := 10.0
	if a := f.lastRec(); a != nil && a.Status == 429 {
		if wait, exact, ok := retryWait(a); ok && (pred == 0 || exact || wait >= 2*time.Second) {
			// The server's own word beats an expectation, unless it says no more than
			// "within a second or two" (rounded up to whole seconds).
			pred, margin, div = retryExpectation(a)
		}
	}
	// Past an expectation, the waits grow from the expectation's step, not from scratch.
	beyond := 0.0
	// counted: a refused probe's exact wait ended past the expectation, so this server counts
	// refusals against the limit (OpenAI does) and every probe before the reopening pushes it a
	// unit later. Then each probe goes at the end of the last exact wait, none before it.
	counted := false
	for {
		now := f.r.Elapsed().Seconds()
		expecting := pred > 0 && now < pred+margin
		var at float64
		switch {
		case expecting:
			step := math.Max(margin/div, 2*f.lat+1e-3)
			lo := pred - margin
			if counted {
				lo = pred
			}
			at = math.Max(lo, lastProbe+step)
		case pred > 0 && margin > 0:
			if beyond == 0 {
				beyond = math.Max(margin/div, 2*f.lat+1e-3)
			}
			beyond *= 1.5
			at = math.Max(lastRefused, lastProbe) + beyond
		default:
			delay = nextDelay(delay, f.lat, f.delay0)
			at = lastRefused + delay
		}
		if ok, err := f.sleep(ctx, time.Duration((at-now)*float64(time.Second))); err != nil || !ok {
			f.done = "discovery ran out of time waiting for the limit to admit again"
			return nil, false, err
		}
		p, stopped, err := f.single(ctx, PhaseRest)
		if err != nil || stopped || len(p.recs) == 0 {
			return nil, false, err
		}
		a := &p.recs[0]
		if isOK(a) {
			return a, expecting, nil
		}
		lastRefused, lastProbe = record.Seconds(a.Sent), record.Seconds(a.Sent)
		if wait, exact, ok := retryWait(a); ok {
			if exact && pred > 0 && record.Seconds(a.Sent+wait) > pred+margin {
				counted = true
			}
			if !expecting || (counted && exact) {
				pred, margin, div = retryExpectation(a)
				beyond = 0
			}
		}
	}
}

// retryExpectation turns a refusal's retry wait (retryWait) into an expectation for
// awaitReopen. Rounded up to whole seconds, the reopening lies within the second before it:
// two seconds or more away (a window's boundary, typically) the probes start a second before
// it, so that a refusal just before the reopening places it; one second away (a bucket's next
// unit, a short window) they start half a second before, as the reopening may be as soon as
// at once. An exact wait (milliseconds, a fraction) puts the reopening at its end, give or
// take exactMargin: the probes go just before, at and just after it, with no second of idle
// probing.
func retryExpectation(a *record.Attempt) (pred, margin, div float64) {
	wait, exact, _ := retryWait(a)
	end := record.Seconds(a.Sent + wait)
	switch {
	case exact:
		m := exactMargin(wait)
		return end, m, 1
	case wait >= 2*time.Second:
		return end - 0.5, 0.5, 2
	}
	return end - 0.25, 0.25, 2
}

// lastRec is the most recently sent attempt.
func (f *finder) lastRec() *record.Attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last *record.Attempt
	for i := range f.recs {
		if last == nil || f.recs[i].Sent >= last.Sent {
			last = &f.recs[i]
		}
	}
	return last
}

// cycles measures a bucket-like limit: rest τ, then burst until refused, again and again. Each
// cycle costs one refusal and shows what refilled in τ. τ is drawn around the time to refill
// a part of the bucket (at least one unit), so refills vary in phase and the analysis can
// narrow the rate from both sides.
func (f *finder) cycles(ctx context.Context, rGuess, bGuess float64, shaper bool) error {
	for k := 0; ; k++ {
		r, b := rGuess, bGuess
		if l, ok := f.estimate(); ok {
			// The analysis tells the models apart (another kind must mispredict three
			// answers more); cycles go on until it shows whether refusals are counted, while
			// that costs less than the goal, and no more than eight. A shaper's delays time it
			// from the first burst alone. Where output tokens bind, the rate depends on how they
			// are charged (max_tokens up front or what was produced): until that shows, up to
			// eight cycles.
			enough := (k >= 1 && (f.countsKnown || float64(f.sent()) >= f.goalRequests() || k >= 8)) || l.Algorithm == summary.AlgoLeakyBucket
			if d := f.last; d != nil && (d.Dimension == "output_tokens" || d.Dimension == "tokens") && !f.outputKnown && k < 8 {
				enough = false
			}
			if f.precise(l) && l.Algorithm != summary.AlgoUnknown && enough && !f.bucketContradicted(l) {
				f.done = "the requests limit is known within the target precision"
				return nil
			}
			if l.Algorithm != summary.AlgoUnknown && f.overCostCap() {
				f.capStop()
				return nil
			}
			r = *l.EffectivePerMinute / 60
			if l.Burst != nil {
				b = *l.Burst
			}
		}
		if f.overBudget() {
			f.done = "discovery's request budget is spent"
			return nil
		}
		// Half the bucket, so that it never fills up; for large buckets less: the rate's
		// interval narrows with the units refilled over all cycles (±1 over the lot), and
		// about 1/(2·precision) per cycle gets there in a few cycles.
		refill := math.Max(1, math.Min(0.55*b, 0.5/f.o.Precision))
		if f.o.Progress != nil {
			f.o.Progress(fmt.Sprintf("refill cycle %d: %.4g/s, burst %.4g (%s)", k, r, b, f.lastWords()))
		}
		// τ counts from the last refusal, when the bucket was known to be empty (a shaper's
		// delayed answers may have taken part of it already).
		// At most a quarter of the time left, so that a poor early estimate cannot spend it.
		tau := math.Min(refill/r*(0.7+0.6*f.rng.Float64()), f.left().Seconds()/4)
		wait := f.lastRefusal + tau - f.r.Elapsed().Seconds()
		ok, err := f.sleep(ctx, time.Duration(wait*float64(time.Second)))
		if err != nil {
			return err
		}
		if !ok || f.left().Seconds() < math.Max(tau, 0.05) {
			f.done = "discovery ran out of time"
			return nil
		}
		// Gently: a shaper's answers come back ever later in a burst, and a slow start
		// varies the cycles' phase against its queue.
		pacer := f.burstPacer(refill)
		pacer.Start = math.Min(pacer.Max, math.Max(10, 2*refill))
		_, stopped, err := f.phase(ctx, PhaseRefill, pacer, f.left(), true, f.o.BurstCap)
		if err != nil || stopped {
			return err
		}
		// Zero to two more single attempts right after the refusal, at random: a limiter that
		// charges refusals then loses a varying amount per cycle, which a slower refill cannot
		// mimic. They go a couple of round trips apart, not in the burst, where the server's
		// order of near-simultaneous attempts would blur them. (Not for a shaper: its
		// refusals are told by its delays, and its queue is short.)
		if !shaper {
			for range f.rng.IntN(3) {
				if ok, err := f.sleep(ctx, time.Duration((2*f.lat+1e-3)*float64(time.Second))); err != nil || !ok {
					return err
				}
				if _, stopped, err := f.single(ctx, PhaseRefill); err != nil || stopped {
					return err
				}
			}
		}
	}
}

// saturate measures a window limit one window at a time: random arrivals a little above the
// rate from a reopening until the first refusal (the window's quota, and where the arrivals
// fill it), then probes around where the window should reopen (a window's length after the
// reopening that started the run: a fixed window's next boundary, or a sliding log's first
// entry expiring). Each window costs its quota, one refusal and a few probes; the reopenings
// place the boundaries.
func (f *finder) saturate(ctx context.Context, q, w float64, runStart float64) error {
	if w <= 0 {
		w = 1
	}
	rate := 1.25 * q / w
	margin := 0.25 * w
	for k := 0; ; k++ {
		if f.overBudget() {
			f.done = "discovery's request budget is spent"
			return nil
		}
		shut := f.lastRefusal
		reopen, _, err := f.awaitReopen(ctx, shut, runStart+w, margin)
		if err != nil || reopen == nil {
			return err
		}
		if record.Seconds(reopen.Sent)-shut > 3*w && k > 0 {
			// Shut for three windows: refusals keep the limit closed (they consume quota).
			f.mode = PhaseRefill
			return f.cycles(ctx, q/w, q, false)
		}
		runStart = record.Seconds(reopen.Sent)
		// A window placed by its reopenings may be known already (a fixed window: a boundary
		// placed sharply, its quota, and the interval, honest about the window's length,
		// within the target), before another window's worth is spent.
		if l, ok := f.estimate(); ok && f.precise(l) && l.Algorithm != summary.AlgoUnknown && f.sharpReopenings(windowOf(l, w)) >= 1 {
			f.done = "the requests limit is known within the target precision"
			return nil
		}
		// A quick start (four at once) tells a fixed window (a fresh quota, all admitted) from
		// a sliding log (only what has expired of the last run, seldom more than one);
		// refusals in it are tolerated, and the run ends at the first refusal once half the
		// quota is in.
		dur := math.Min(2*w, f.left().Seconds())
		pacer := quickStart{n: 4, then: NewPoissonPacer(rate, f.rng.Uint64())}
		out, stopped, err := f.phaseUntil(ctx, PhaseSustain, pacer, time.Duration(dur*float64(time.Second)),
			func(a *record.Attempt, _, ok, limited int) bool {
				return a.Status == 429 && (float64(ok) >= 0.5*q || limited >= 10)
			})
		if err != nil || stopped {
			return err
		}
		if out.firstLim < 0 {
			rate *= 2 // never refused: below the limit
			continue
		}
		if l, ok := f.estimate(); ok {
			if f.precise(l) && l.Algorithm != summary.AlgoUnknown && f.sharpReopenings(windowOf(l, w)) >= 1 {
				f.done = "the requests limit is known within the target precision"
				return nil
			}
			if l.Algorithm != summary.AlgoUnknown && f.overCostCap() {
				f.capStop()
				return nil
			}
			rate = 1.25 * *l.EffectivePerMinute / 60
			if l.WindowSeconds != nil && *l.WindowSeconds > 0 {
				w = *l.WindowSeconds
				half := (*l.EffectiveHigh - *l.EffectiveLow) / 2 / *l.EffectivePerMinute
				margin = math.Max(3*half*w, 0.01*w)
			}
		}
	}
}

// windowOf is l's window when the analysis knows it, else w: the first reopening may come
// well before a window's length after the first request (a window aligned to the clock), so
// the length discovery guessed from it can be short.
func windowOf(l summary.Limit, w float64) float64 {
	if l.WindowSeconds != nil && *l.WindowSeconds > 0 {
		return *l.WindowSeconds
	}
	return w
}

// sharpReopenings counts the reopenings (a refusal, then an admission) placed within 5% of w.
func (f *finder) sharpReopenings(w float64) int {
	f.mu.Lock()
	recs := slices.Clone(f.recs)
	f.mu.Unlock()
	sortBySent(recs)
	n := 0
	for i := 1; i < len(recs); i++ {
		if isOK(&recs[i]) && recs[i-1].Status == 429 && record.Seconds(recs[i].Sent-recs[i-1].Sent) <= 0.05*w {
			n++
		}
	}
	return n
}
