package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/planner"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/workload"
)

// capacityPlan is a plan: phase: the planner's options but the trace and the limits, which are
// read when the phase runs.
type capacityPlan struct {
	phase *scenario.PlanPhase
	opts  planner.Options
}

// planCapacity checks a plan phase's SLO, strategies and sizes; an error is a
// *strictyaml.Problem naming the field.
func planCapacity(p *scenario.PlanPhase, base string) (*capacityPlan, *strictyaml.Problem) {
	bad := func(field string, err error) *strictyaml.Problem {
		return &strictyaml.Problem{Path: base + "." + field, Msg: err.Error()}
	}
	c := &capacityPlan{phase: p}
	o := &c.opts
	slo := p.SLO
	if slo == "" {
		slo = planner.DefaultSLO
	}
	var err error
	if o.SLO, err = planner.ParseSLO(slo); err != nil {
		return nil, bad("slo", err)
	}
	for j, st := range p.Strategies {
		s, err := newStrategy(st)
		if err != nil {
			return nil, bad(fmt.Sprintf("strategies[%d]", j), err)
		}
		o.Strategies = append(o.Strategies, planner.Strategy{Label: st.Label, S: s})
	}
	o.Scales = p.Scales
	var which int
	if o.Replay, which, err = workload.ParseReplaySpec(p.Arrivals, p.InputSize, p.OutputSize, p.CacheReadSize); err != nil {
		return nil, bad([...]string{"arrivals", "input_size", "output_size", "cache_read_size"}[which], err)
	}
	return c, nil
}

// capacityPhase runs a plan phase: it reads the trace and the limits (a run directory, a
// preset, or the scenario's mock), simulates every scale × strategy, and keeps the plan in
// run.json for the report. Nothing is sent and the run's timeline does not move.
func (r *runState) capacityPhase(ctx context.Context, i int, ph *phasePlan) error {
	c := ph.capacity
	o := c.opts
	field := fmt.Sprintf("phases[%d].plan", ph.index)
	path := c.phase.Trace
	if path == scenario.TraceThisRun {
		if err := r.out.Flush(); err != nil {
			return err
		}
		path = filepath.Join(r.dir, record.AttemptsFile)
	}
	var err error
	if o.Trace, err = workload.ReadTrace(path); err != nil {
		return &ConfigError{Field: field + ".trace", Value: c.phase.Trace, Msg: err.Error()}
	}
	switch lim := c.phase.Limits; {
	case lim == "" && r.tg.mock != nil:
		o.Limits = *r.tg.mock
	case lim == "":
		return &ConfigError{Field: field + ".limits", Msg: "no limits: give a run directory, a preset, or a mock: section"}
	default:
		if st, serr := os.Stat(lim); serr == nil && st.IsDir() {
			o.Limits, err = planner.LimitsFromRun(lim)
		} else {
			o.Limits, _, err = planner.LimitsFromPreset(lim, c.phase.Model)
		}
		if err != nil {
			return &ConfigError{Field: field + ".limits", Value: lim, Msg: err.Error()}
		}
	}
	o.API = api.API(r.s.Target.API)
	if o.API != api.OpenAI {
		o.API = api.Anthropic
	}
	o.Seed = r.s.Seed
	o.Replay.Seed = uint64(r.s.Seed)
	res, err := planner.Run(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			r.interrupt()
			return nil
		}
		if errors.Is(err, engine.ErrInterrupted) {
			r.interrupt()
			return nil
		}
		return fmt.Errorf("%s: %w", field, err)
	}
	if r.rec.Plan, err = report.EncodePlan(res.Entries, res.SLO, res.MaxScale, res.Best); err != nil {
		return err
	}
	r.planned = true
	if !r.quiet {
		if res.Best != nil {
			fmt.Fprintf(r.o.Stderr, "ratelab: plan: the trace fits up to ×%g of its volume with %s (SLO %s)\n", res.Best.Scale, res.Best.Strategy, res.SLO)
		} else {
			fmt.Fprintf(r.o.Stderr, "ratelab: plan: no tested scale meets the SLO %s\n", res.SLO)
		}
	}
	return nil
}
