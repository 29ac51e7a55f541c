package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// comparePhase runs a compare phase: every strategy × client count × mode as a segment of its
// own, each from a fresh budget (a fresh embedded-mock account, a fresh simulated model, or,
// against a real API, a rest until the shared budget is replenished).
func (r *runState) comparePhase(ctx context.Context, i int, ph *phasePlan) error {
	segs := ph.compare.segments()
	if r.tg.mock == nil && !r.quiet && len(segs) > 1 && ph.compare.modes[0] == record.ModeLive {
		how := "until the headers say it is replenished"
		if d := ph.compare.rest; d > 0 {
			how = "for " + d.String()
		}
		fmt.Fprintf(r.o.Stderr, "ratelab: note: the segments against %s share one budget (the same key); the run rests %s between them.\n", r.tg.host(), how)
	}
	for j, sp := range segs {
		if r.stopped.Stopped() {
			break
		}
		if ctx.Err() != nil {
			r.interrupt()
			break
		}
		if sp.mode == record.ModeLive && r.remoteSent {
			if err := r.rest(ctx, ph.compare.rest); err != nil {
				return nil // interrupted while resting
			}
		}
		budget, ok := r.remaining()
		if !ok {
			break
		}
		if err := r.segment(ctx, ph, j, sp, budget); err != nil {
			return err
		}
	}
	return nil
}

// segment runs segment j of a compare phase on an engine of its own, within what is left of
// the run's budget.
func (r *runState) segment(ctx context.Context, ph *phasePlan, j int, sp segmentPlan, budget engine.Budget) error {
	p := ph.compare
	spec := engineSpec{mode: sp.mode, budget: budget, maxInflight: p.maxInflight, stream: p.stream}
	switch {
	case sp.mode == record.ModeSim:
		m, err := account.New(*r.tg.mock, r.s.Seed) // a fresh model: a fresh budget
		if err != nil {
			return &ConfigError{Field: "mock", Msg: err.Error()}
		}
		spec.model = m
	case r.tg.mock != nil:
		r.keys++
		spec.key = fmt.Sprintf("ratelab-compare-%d", r.keys) // a fresh account: a fresh budget
	}
	eng, err := r.newEngine(spec)
	if err != nil {
		return err
	}
	r.health.running(eng)
	wall := time.Now()
	stopProgress := r.progress(eng, 0)

	// The report's builder reads the run's segments on the tap's goroutine: every attempt
	// written so far is consumed before a segment's times change.
	r.tap.Sync()
	seg := &ph.segs[j]
	seg.StartS, seg.ran = r.offset.Seconds(), true
	r.syncSegments(false)
	label := sp.label()
	fleet, err := r.fleetFor(sp.strategy.s, r.s.Seed, sp.mode)
	if err != nil {
		stopProgress()
		r.health.running(nil)
		return errors.Join(err, eng.Close())
	}
	var res engine.Result
	var phaseErr error
	if p.open() {
		res, phaseErr = eng.Open(ctx, engine.OpenPhase{Label: label, Kind: "compare", Pacer: p.pacer, Duration: p.duration,
			Fleet: fleet, Strategy: sp.strategy.label})
	} else {
		res, phaseErr = eng.Closed(ctx, engine.ClosedPhase{Label: label, Kind: "compare", Clients: sp.clients,
			Requests: p.requests, Think: p.think, Fleet: fleet, Strategy: sp.strategy.label, Share: p.share})
	}
	stopProgress()
	r.health.running(nil)
	closeErr := eng.Close()
	r.tap.Sync()
	st := eng.Stats()
	if got := eng.Segments(); len(got) > 0 {
		seg.EndS = max(got[len(got)-1].EndS, seg.StartS)
		seg.TTFTClock = got[len(got)-1].TTFTClock
	} else {
		seg.EndS = seg.StartS
	}
	r.syncSegments(false)
	r.account(st, eng.Elapsed(), sp.mode == record.ModeLive)
	if !r.quiet {
		r.printSegment(j, len(ph.segs), sp, res, st, time.Since(wall))
	}
	stopped := eng.Stopped()
	if stopped.Kind == engine.StopTerminal && (sp.mode == record.ModeSim || r.tg.mock != nil) {
		// Every segment has a fresh budget: the next strategy meets the quota on its own.
		r.terminal, stopped = stopped, engine.Stop{}
	}
	return r.phaseError(fmt.Sprintf("phases[%d] (compare) segment %s", ph.index, label), stopped, phaseErr, closeErr)
}

// rest waits before a live segment against a real API until its budget is replenished: d when
// given, else the longest reset the last headers stated (the instant the budget is full
// again), else a minute. Without d it rests only when the last live segment saw a limit (a
// rate-limit header or a 429): a budget nobody has seen needs no refill. An interrupt ends it
// with engine.ErrInterrupted.
func (r *runState) rest(ctx context.Context, d time.Duration) error {
	if d == 0 {
		st := r.lastLive
		switch {
		case st.Dialect != ratelimit.DialectNone:
			for _, s := range st.Limits {
				if s.Has(ratelimit.HasReset) {
					d = max(d, s.Reset)
				}
			}
			d += time.Second // reset instants are rounded to the second
		case st.RateLimited > 0:
			d = time.Minute
		default:
			if !r.quiet {
				fmt.Fprintln(r.o.Stderr, "ratelab: no rate limit seen in the last segment (no header, no 429): no rest before the next")
			}
			return nil
		}
	}
	if !r.quiet {
		fmt.Fprintf(r.o.Stderr, "ratelab: resting %s for the shared budget to refill\n", d.Round(time.Millisecond))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	start := time.Now()
	select {
	case <-t.C:
	case <-ctx.Done():
		r.interrupt()
		r.offset += time.Since(start)
		return engine.ErrInterrupted
	}
	r.offset += time.Since(start)
	return nil
}
