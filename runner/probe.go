package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/discover"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/sim"
)

// findMargin is how long before the run's max_duration discovery plans to be done, so that the
// last attempts end (and the report is written) before the engine's hard stop.
const findMargin = 2 * time.Second

// engineSpec says which engine a phase or segment runs on.
type engineSpec struct {
	mode        string // live or sim
	key         string // API key; "" for the run's
	budget      engine.Budget
	maxInflight int
	// model is the account model a simulated engine sends to; epoch is the virtual instant its
	// clock starts at (zero: sim.DefaultEpoch).
	model *account.Ledger
	epoch time.Time
	// stream overrides the workload's stream setting (a compare phase's stream); nil keeps it.
	stream *bool
}

// newEngine starts an engine whose clock continues the run's timeline at r.offset.
func (r *runState) newEngine(sp engineSpec) (engine.Engine, error) {
	tg, err := r.tg.build(sp.key, sp.stream)
	if err != nil {
		return nil, targetError(err)
	}
	timeout := r.s.Workload.Timeout.Std()
	if sp.mode == record.ModeSim {
		key := sp.key
		if key == "" {
			key = r.tg.cfg.Key
		}
		return sim.New(sim.Options{Requests: tg.Requests(), Ledger: sp.model, Records: r.out, Key: key, Model: r.s.Target.Model, Epoch: sp.epoch,
			Offset: r.offset, Timeout: timeout, StreamIdle: r.s.Workload.StreamIdleTimeout.Std(), Budget: sp.budget, Seed: r.s.Seed})
	}
	return probe.NewEngine(probe.Options{Target: tg, Records: r.out, MaxInflight: sp.maxInflight,
		Timeout: timeout, StreamIdle: r.s.Workload.StreamIdleTimeout.Std(), Budget: sp.budget, Seed: r.s.Seed, Start: r.liveStart()})
}

// progress shows the live progress line of a live engine on a terminal, unless quiet.
func (r *runState) progress(e engine.Engine, planned time.Duration) (stop func()) {
	eng, ok := e.(*probe.Engine)
	if !ok || r.quiet || !r.o.StderrTTY {
		return func() {}
	}
	if d := r.budget.MaxDuration; d > 0 && (planned == 0 || d-r.offset < planned) {
		planned = d - r.offset
	}
	return eng.Progress(r.o.Stderr, planned)
}

// simModel returns the account model simulated probe phases share (one budget, as the live
// probe phases share one key), creating it on first use.
func (r *runState) simModel() (*account.Ledger, error) {
	if r.simMock == nil {
		m, err := account.New(*r.tg.mock, r.s.Seed)
		if err != nil {
			return nil, &ConfigError{Field: "mock", Msg: err.Error()}
		}
		r.simMock = m
	}
	return r.simMock, nil
}

// probePhase runs a probe phase on an engine of its own, within what is left of the run's
// budget: discovery (discover.Run), or one open-model phase at a rate or along stages.
func (r *runState) probePhase(ctx context.Context, i int, ph *phasePlan) error {
	p := ph.probe
	budget, ok := r.remaining()
	if !ok {
		return nil
	}
	spec := engineSpec{mode: p.mode, budget: budget, maxInflight: p.maxInflight}
	if p.mode == record.ModeSim {
		m, err := r.simModel()
		if err != nil {
			return err
		}
		// The shared model's clock runs on: virtual time continues the run's timeline.
		spec.model, spec.epoch = m, sim.DefaultEpoch.Add(r.offset)
	}
	eng, err := r.newEngine(spec)
	if err != nil {
		return err
	}
	r.ranProbe = true
	r.tap.Sync() // the report's builder reads the run while attempts flow: change it only here
	if p.note != "" {
		r.rec.Notes = append(r.rec.Notes, p.note)
	}
	if !p.find {
		ph.segs[0].StartS, ph.segs[0].ran = r.offset.Seconds(), true
		r.syncSegments(false)
	}

	r.health.running(eng)
	wall := time.Now()
	stopProgress := r.progress(eng, p.duration)
	var res engine.Result
	var phaseErr error
	what := fmt.Sprintf("phases[%d] (probe)", ph.index)
	if p.find {
		phaseErr = r.discover(ctx, eng, budget, p)
	} else {
		var fleet backoff.Fleet
		if fleet, phaseErr = r.fleetFor(p.strategy, r.s.Seed, p.mode); phaseErr == nil {
			res, phaseErr = eng.Open(ctx, engine.OpenPhase{
				Label: p.label, Kind: "probe", Phase: p.shape, Pacer: p.pacer, Duration: p.duration,
				Fleet: fleet, Strategy: strategyLabel(p),
			})
		}
	}
	stopProgress()
	r.health.running(nil)
	closeErr := eng.Close()
	r.tap.Sync()
	st := eng.Stats()
	if p.find {
		for _, sg := range eng.Segments() {
			ph.segs = append(ph.segs, plannedSegment{Segment: sg, ran: true})
		}
	} else if got := eng.Segments(); len(got) > 0 {
		ph.segs[0].EndS = max(got[len(got)-1].EndS, ph.segs[0].StartS)
		ph.segs[0].TTFTClock = got[len(got)-1].TTFTClock
	} else {
		ph.segs[0].EndS = ph.segs[0].StartS
	}
	r.syncSegments(false)
	r.account(st, eng.Elapsed(), p.mode == record.ModeLive)
	r.probeStats.Add(st)
	if !r.quiet {
		r.printProbePhase(i, p, res, st, eng.Stopped(), time.Since(wall))
	}
	return r.phaseError(what, eng.Stopped(), phaseErr, closeErr)
}

// discover runs limit discovery (discover) on eng until the requests limit is known within
// ±2%, or the run's budget or time stops it, and notes in run.json why it stopped. The figures
// come afterwards from the attempt log, as for any phase.
func (r *runState) discover(ctx context.Context, eng engine.Engine, budget engine.Budget, p *probePlan) error {
	o := discover.Options{
		Seed:        r.s.Seed,
		MaxDuration: r.findDeadline(),
		MaxRequests: budget.MaxRequests,
		Run:         r.rec,
		CostCap:     p.findCostCap,
	}
	if p.findRamp {
		o.Ramp = &discover.Ramp{}
	}
	rep, err := discover.Run(ctx, eng, o)
	if ctx.Err() != nil {
		// Interrupted, in a burst or in one of the waits between them.
		rep.Done, rep.Stop, err = "", engine.Stop{Kind: engine.StopInterrupted}, engine.ErrInterrupted
	}
	why := rep.Done
	if rep.Stop.Stopped() {
		why = r.words(r.runStop(rep.Stop))
	}
	if why != "" {
		r.tap.Sync()
		r.rec.Notes = append(r.rec.Notes, fmt.Sprintf("find: %d attempts, %d refused (429); %s", rep.Attempts, rep.RateLimited, why))
	}
	if errors.Is(err, discover.ErrTarget) {
		return fmt.Errorf("%w (check the target URL, its api and the key)", err)
	}
	return err
}

// findDeadline is when, in run time, discovery must be done: discover.DefaultMaxDuration after it
// starts, and shortly before the run's max_duration.
func (r *runState) findDeadline() time.Duration {
	d := r.offset + discover.DefaultMaxDuration
	if md := r.budget.MaxDuration; md > 0 {
		d = min(d, max(md-findMargin, md*9/10))
	}
	return d
}

// strategyLabel is the records' strategy field of a probe phase: "" for no retries.
func strategyLabel(p *probePlan) string {
	return p.stratLabel
}
