// Package planner is trace-driven capacity planning (`ratelab plan`, a scenario's plan:
// phase): a recorded workload (workload.Trace) grown by each scale factor (workload.Replay:
// replicated, not time-compressed) is simulated in virtual time (sim) against a set of limits
// (account.Config) under each retry strategy, and each scale × strategy is measured: the share
// of requests refused at least once, the delay the limits added, the requests that failed, the
// binding dimension and the headroom at the busiest minute. The largest scale meeting an SLO is
// the plan's answer. Nothing is recorded per attempt: the simulations run on every core and
// aggregate as they go, so a day of a million requests at four scales and three strategies
// takes seconds.
package planner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/sim"
	"github.com/ratelab/ratelab/summary"
	"github.com/ratelab/ratelab/workload"
)

// Strategy is one retry strategy of a plan and the label its entries carry.
type Strategy struct {
	Label string
	S     *backoff.Strategy
}

// Options configure a plan.
type Options struct {
	Trace      *workload.Trace
	Replay     workload.ReplaySpec // arrivals and sizes; the zero value replays the trace as recorded
	Scales     []float64
	Strategies []Strategy
	Limits     account.Config
	API        api.API // the endpoint the requests go to; default anthropic
	SLO        SLO
	Seed       int64
	// Workers bounds the simulations run at once; 0: GOMAXPROCS.
	Workers int
}

// Result is a plan: its entries in scale order, strategy by strategy, and the answer.
type Result struct {
	Entries  []summary.PlanEntry
	MaxScale map[string]*float64
	Best     *summary.PlanBest
	SLO      string
}

// Run simulates every scale × strategy and returns the plan. ctx cancels it.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Trace == nil || o.Trace.Len() == 0 {
		return nil, errors.New("plan: the trace has no requests")
	}
	if len(o.Scales) == 0 || len(o.Strategies) == 0 {
		return nil, errors.New("plan: want at least one scale and one strategy")
	}
	if o.API == "" {
		o.API = api.Anthropic
	}
	if _, err := account.New(o.Limits, o.Seed); err != nil {
		return nil, fmt.Errorf("plan: limits: %w", err)
	}
	scales := slices.Clone(o.Scales)
	slices.Sort(scales)
	scales = slices.Compact(scales)
	limits := perMinuteLimits(&o.Limits)

	type job struct{ scale, strategy int }
	entries := make([]summary.PlanEntry, len(scales)*len(o.Strategies))
	errs := make([]error, len(entries))
	jobs := make(chan job)
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for range min(workers, len(entries)) {
		wg.Go(func() {
			for j := range jobs {
				k := j.scale*len(o.Strategies) + j.strategy
				entries[k], errs[k] = simulate(ctx, &o, scales[j.scale], o.Strategies[j.strategy])
			}
		})
	}
	// Peak demand per scale, alongside the simulations.
	peaks := make([][len(demandDims)]float64, len(scales))
	peakErr := make([]error, len(scales))
	wg.Go(func() {
		for i, s := range scales {
			rep, err := workload.NewReplay(o.Trace, s, o.Replay)
			if err != nil {
				peakErr[i] = err
				continue
			}
			peaks[i] = peakMinute(rep)
		}
	})
	// Largest scales first: the longest simulations start early.
	for si := len(scales) - 1; si >= 0; si-- {
		for st := range o.Strategies {
			jobs <- job{si, st}
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(append(errs, peakErr...)...); err != nil {
		return nil, err
	}
	res := &Result{MaxScale: map[string]*float64{}, SLO: o.SLO.String()}
	for si := range scales {
		dim, head, at, ok := binding(peaks[si], limits)
		for st := range o.Strategies {
			e := &entries[si*len(o.Strategies)+st]
			if ok {
				e.Binding, e.Headroom, e.PeakPerMinute = dim, &head, &at
			}
			e.MeetsSLO = e.Stopped == "" && o.SLO.Meets(e)
		}
	}
	res.Entries = entries
	for st, s := range o.Strategies {
		var best *float64
		for si := range scales {
			if !entries[si*len(o.Strategies)+st].MeetsSLO {
				break
			}
			best = &scales[si]
		}
		res.MaxScale[s.Label] = best
		if best != nil && (res.Best == nil || *best > res.Best.Scale ||
			(*best == res.Best.Scale && p95At(res, *best, s.Label) < p95At(res, *best, res.Best.Strategy))) {
			res.Best = &summary.PlanBest{Scale: *best, Strategy: s.Label}
		}
	}
	return res, nil
}

// p95At is the p95 added delay of strategy at scale.
func p95At(r *Result, scale float64, strategy string) float64 {
	for _, e := range r.Entries {
		if e.Scale == scale && e.Strategy == strategy {
			return e.AddedDelay.P95
		}
	}
	return 0
}

// simulate runs one scale × strategy and measures it.
func simulate(ctx context.Context, o *Options, scale float64, st Strategy) (summary.PlanEntry, error) {
	e := summary.PlanEntry{Scale: scale, Strategy: st.Label}
	rep, err := workload.NewReplay(o.Trace, scale, o.Replay)
	if err != nil {
		return e, err
	}
	ledger, err := account.New(o.Limits, o.Seed)
	if err != nil {
		return e, err
	}
	agg := newAggregate(rep.Requests(), &o.SLO)
	var budget engine.Budget
	if frep, err := workload.NewReplay(o.Trace, scale, o.Replay); err == nil {
		if agg.proof = fluidMiss(frep, &o.Limits, &o.SLO); agg.proof != "" {
			// The verdict is known: simulate a bounded prefix to illustrate it.
			agg.budget = fluidAttempts
			budget = engine.Budget{MaxRequests: fluidAttempts, MaxDuration: fluidSpan}
		}
	}
	eng, err := sim.New(sim.Options{
		Requests: workload.Requests{API: o.API, Sizes: rep}, Ledger: ledger, Key: "plan", Seed: o.Seed, Budget: budget,
	})
	if err != nil {
		return e, err
	}
	res, err := eng.Open(ctx, engine.OpenPhase{
		Label: fmt.Sprintf("plan/%g/%s", scale, st.Label), Kind: "plan", Pacer: rep, Duration: rep.Span(),
		Fleet: st.S.NewFleet(o.Seed), Strategy: st.Label, Observe: agg.see,
	})
	if err != nil {
		return e, err
	}
	if err := eng.Close(); err != nil {
		return e, err
	}
	e.Requests, e.Attempts, e.Failed = res.Requests, res.Attempts, res.Failed
	switch {
	case agg.stopped == stopBudget || (agg.proof != "" && res.Stop.Budget()):
		agg.unfinished()
		e.Stopped = fmt.Sprintf("stopped after %d attempts and %d of %d requests: the SLO is missed for certain (%s); the figures cover those requests, delays of requests still retrying as reached then",
			agg.attempts, res.Requests, rep.Requests(), agg.proof)
	case agg.stopped != "":
		agg.unfinished()
		e.Stopped = fmt.Sprintf("stopped once %s was missed for certain, after %d of %d requests: the figures cover those, delays of requests still retrying as reached then",
			agg.stopped, res.Requests, rep.Requests())
	}
	if e.Requests > 0 {
		e.RefusedShare = float64(agg.refused) / float64(e.Requests)
		e.FailedShare = float64(e.Failed) / float64(e.Requests)
	}
	e.AddedDelay = summary.Quantiles{P50: agg.delay.Quantile(0.5), P95: agg.delay.Quantile(0.95), P99: agg.delay.Quantile(0.99)}
	return e, nil
}

// aggregate measures a simulation from its attempts as they happen, and stops it once the SLO
// is missed for certain: more requests failed, were refused, or are later than a delay bound
// than the SLO allows among all the requests the replay will send (a request still retrying
// past a bound will end past it). The figures then cover the requests until the stop.
type aggregate struct {
	slo       *SLO
	total     float64
	refusedAt bitset                  // refused at least once
	late      [3]bitset               // past the p50, p95, p99 delay bounds
	scheduled map[int64]time.Duration // requests still retrying: their scheduled time
	refused   int64
	failed    int64
	lateN     [3]int64
	delay     report.Histogram
	stopped   string // why the simulation was stopped early; "" when it ran to the end
	proof     string // why the fluid bound says the SLO is missed; "" when it does not
	budget    int64  // attempts after which to stop (the miss proved beforehand); 0: none
	attempts  int64
	now       time.Duration // the latest attempt seen
}

// unfinished adds the requests still retrying at a stop to the delays, each with the delay it
// has reached (a lower bound of its own).
func (g *aggregate) unfinished() {
	for _, start := range g.scheduled {
		g.delay.Record(record.Seconds(max(g.now-start, 0)))
	}
}

// stopBudget is aggregate.stopped when the attempt budget of a proved miss ran out.
const stopBudget = "budget"

// bitset is one bit per logical request.
type bitset []uint64

// set sets bit i and reports whether it was clear.
func (b bitset) set(i int64) bool {
	w, m := i/64, uint64(1)<<(i%64)
	if i < 0 || int(w) >= len(b) || b[w]&m != 0 {
		return false
	}
	b[w] |= m
	return true
}

// quantiles are the delay quantiles an SLO may bound, in SLO.delays order.
var quantiles = [3]float64{0.5, 0.95, 0.99}

func newAggregate(n uint64, slo *SLO) *aggregate {
	g := &aggregate{slo: slo, total: float64(n), refusedAt: make(bitset, n/64+1), scheduled: map[int64]time.Duration{}}
	for i, b := range slo.delays() {
		if b != nil {
			g.late[i] = make(bitset, n/64+1)
		}
	}
	return g
}

// see takes one attempt (an engine.Observer); true stops the simulation.
func (g *aggregate) see(a *record.Attempt) bool {
	id := a.Request
	if a.Status == 429 && g.refusedAt.set(id) {
		g.refused++
	}
	start, retrying := g.scheduled[id]
	if !retrying {
		start = a.Scheduled
	}
	late := a.Sent - start
	switch {
	case a.Final:
		if retrying {
			delete(g.scheduled, id)
		}
		g.delay.Record(record.Seconds(max(late, 0)))
		g.now = max(g.now, a.Sent)
		if a.GaveUp != "" {
			g.failed++
		}
	case !retrying:
		g.scheduled[id] = start
	}
	g.now = max(g.now, a.Sent)
	for i, b := range g.slo.delays() {
		if b != nil && late > *b && g.late[i].set(id) {
			g.lateN[i]++
		}
	}
	if g.attempts++; g.budget > 0 && g.attempts >= g.budget {
		g.stopped = stopBudget
		return true
	}
	return g.missed()
}

// missed reports whether the SLO is missed whatever the rest of the simulation does, and says
// why in stopped.
func (g *aggregate) missed() bool {
	over := func(n int64, share float64) bool { return float64(n) > share*g.total+1e-9 }
	s := g.slo
	switch {
	case s.Fail != nil && over(g.failed, *s.Fail):
		g.stopped = "fail"
	case s.Refused != nil && over(g.refused, *s.Refused):
		g.stopped = "refused"
	default:
		for i, b := range s.delays() {
			if b != nil && over(g.lateN[i], 1-quantiles[i]) {
				g.stopped = fmt.Sprintf("p%g-delay", quantiles[i]*100)
			}
		}
	}
	return g.stopped != ""
}
