package discover

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// phaseOut is what one phase did: its attempts in order of sending.
type phaseOut struct {
	recs      []record.Attempt
	ok, limit int
	firstLim  int // index of the first refusal, −1 when none
}

// admittedBefore counts the admissions before the first refusal (all when none).
func (p *phaseOut) admittedBefore() int {
	n := 0
	for i := range p.recs {
		if i == p.firstLim {
			break
		}
		if p.recs[i].Status >= 200 && p.recs[i].Status < 300 {
			n++
		}
	}
	return n
}

// phase runs one open phase; stopAtLimit ends it at the first refusal, maxHits after that many
// attempts. It reports stopped when the run stopped.
func (f *finder) phase(ctx context.Context, name string, pacer workload.Pacer, dur time.Duration, stopAtLimit bool, maxHits int) (phaseOut, bool, error) {
	return f.phaseUntil(ctx, name, pacer, dur, func(a *record.Attempt, seen, _, _ int) bool {
		return (stopAtLimit && a.Status == 429) || (maxHits > 0 && seen >= maxHits)
	})
}

// phaseUntil runs one open phase until stop, which sees each attempt with the counts so far
// (attempts, admitted, refused), says so.
func (f *finder) phaseUntil(ctx context.Context, name string, pacer workload.Pacer, dur time.Duration, stop func(a *record.Attempt, seen, ok, limited int) bool) (phaseOut, bool, error) {
	if dur <= 0 {
		f.done = "discovery ran out of time"
		return phaseOut{firstLim: -1}, true, nil
	}
	pacer, wait := f.ramped(pacer)
	if ok, err := f.rampWait(ctx, wait); err != nil || !ok {
		f.done = "discovery ran out of time waiting for the ramp"
		return phaseOut{firstLim: -1}, true, err
	}
	f.seq++
	label := fmt.Sprintf("find-%03d-%s", f.seq, name)
	f.mu.Lock()
	from := len(f.recs)
	f.mu.Unlock()
	seen, ok, limited := 0, 0, 0
	res, err := f.r.Open(ctx, engine.OpenPhase{
		Label: label, Kind: "find", Phase: name, Pacer: pacer, Duration: dur,
		Observe: func(a *record.Attempt) bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.recs = append(f.recs, *a)
			seen++
			switch {
			case isOK(a):
				ok++
			case a.Status == 429:
				limited++
			}
			return stop(a, seen, ok, limited)
		},
	})
	f.mu.Lock()
	out := phaseOut{recs: slices.Clone(f.recs[from:]), firstLim: -1}
	f.mu.Unlock()
	sortBySent(out.recs)
	for i := range out.recs {
		switch st := out.recs[i].Status; {
		case st == 429:
			out.limit++
			if out.firstLim < 0 {
				out.firstLim = i
			}
		case st >= 200 && st < 300:
			out.ok++
		}
	}
	for i := range out.recs {
		if out.recs[i].Status == 429 {
			f.lastRefusal = math.Max(f.lastRefusal, record.Seconds(out.recs[i].Sent))
		}
	}
	if res.Stop.Stopped() && res.Stop.Kind != engine.StopObserver {
		f.runStop = res.Stop
	}
	if f.o.Progress != nil {
		f.o.Progress(fmt.Sprintf("%s: %d attempts, %d admitted, %d refused, until %.3f s (last analysis: %s)", label, len(out.recs), out.ok, out.limit, f.r.Elapsed().Seconds(), f.lastWords()))
	}
	return out, f.runStop.Stopped(), err
}

// single sends one request.
func (f *finder) single(ctx context.Context, name string) (phaseOut, bool, error) {
	if f.left() <= 0 {
		f.done = "discovery ran out of time"
		return phaseOut{firstLim: -1}, true, nil
	}
	return f.phase(ctx, name, workload.Constant(workload.Rate{Hits: 1, Per: time.Second}), time.Millisecond, false, 0)
}

// left is the time discovery still has.
func (f *finder) left() time.Duration { return f.o.MaxDuration - f.r.Elapsed() }

// sent is how many attempts discovery has made.
func (f *finder) sent() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.recs))
}

// overBudget reports whether discovery's own request cap is reached.
func (f *finder) overBudget() bool { return f.o.MaxRequests > 0 && f.sent() >= f.o.MaxRequests }

// sleep rests, within the time left; false when no time is left for it.
func (f *finder) sleep(ctx context.Context, d time.Duration) (bool, error) {
	if d <= 0 {
		return true, nil
	}
	if d >= f.left() {
		return false, nil
	}
	return true, f.r.Sleep(ctx, d)
}

// maxLatency is the longest latency of an admitted attempt among recs, in seconds.
func maxLatency(recs []record.Attempt) float64 {
	m := 0.0
	for i := range recs {
		if isOK(&recs[i]) {
			m = math.Max(m, record.Seconds(recs[i].Latency))
		}
	}
	return m
}

// lastRefusal is the send time of the last refusal among recs (sorted by send time).
func lastRefusal(recs []record.Attempt) float64 {
	t := 0.0
	for i := range recs {
		if recs[i].Status == 429 {
			t = record.Seconds(recs[i].Sent)
		}
	}
	return t
}
