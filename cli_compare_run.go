package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ratelab/ratelab/mockserver"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
	"github.com/ratelab/ratelab/probe/sim"
	"github.com/ratelab/ratelab/report"
)

// phaseRunner is what compare needs of an engine: the live probe.Engine and the virtual-time
// sim.Runner both provide it, so every segment runs through the same code.
type phaseRunner interface {
	Open(context.Context, probe.OpenPhase) (probe.PhaseResult, error)
	Closed(context.Context, probe.ClosedPhase) (probe.PhaseResult, error)
	Segments() []record.Segment
	Stats() probe.Stats
	StopReason() string
	Elapsed() time.Duration
	Close() error
}

// Compile-time checks that both engines are phaseRunners.
var (
	_ phaseRunner = (*probe.Engine)(nil)
	_ phaseRunner = (*sim.Runner)(nil)
)

// comparison is one run of `ratelab compare`: its plan, its output and its run timeline. The
// segments are laid end to end on one timeline (record times): a live segment takes wall time,
// a simulated one virtual time, and each runner's clock is offset to start where the previous
// segment ended, so charts and inference never see two segments overlap.
type comparison struct {
	env    *cliEnv
	flags  *compareFlags
	plan   *comparePlan
	target *probeTarget

	dir    string
	out    *record.Writer
	run    *record.Run
	stream *report.Stream
	tap    *asyncTap // feeds stream from the attempt log's writer, on its own goroutine
	budget probe.Budget

	offset      time.Duration // run time at which the next segment starts
	spent       probe.Stats   // totals of the segments run so far (budget, dropped, late)
	stopped     string        // why the run stopped early; "" while it has not
	interrupted bool
}

// remoteLive reports whether live segments go to a real (non-mock) API.
func (c *comparison) remoteLive() bool {
	return c.target.mock == nil && slices.Contains(c.plan.modes, modeLive)
}

func (c *comparison) execute(ctx context.Context) error {
	f, p, pt := c.flags, c.plan, c.target
	seed := f.probe.run.seed
	c.budget = probe.Budget{MaxRequests: f.probe.run.maxRequests, MaxDuration: f.probe.run.maxDuration, Tokens: f.probe.run.budgetTokens}

	if c.remoteLive() {
		host := hostOf(pt.cfg.URL)
		most := int64(-1) // retries make the count open-ended
		if m := f.probe.run.maxRequests; m > 0 {
			most = m
		}
		if !probe.IsLoopback(host) && !f.probe.run.yes {
			if probe.NeedsConfirmation(host, most) {
				if err := probe.Confirm(c.env.stdin, c.env.stderr, c.env.stdinTTY, host, most); err != nil {
					return usageErrorf("compare: %v", err)
				}
			} else {
				c.budget.Unconfirmed = probe.RemoteFreeRequests
			}
		}
		if len(c.plan.segments()) > 1 && !f.probe.run.quiet {
			how := "until the headers say it is replenished"
			if f.rest > 0 {
				how = "for --rest " + f.rest.String()
			}
			fmt.Fprintf(c.env.stderr, "ratelab: note: the segments against %s share one budget (the same key); compare rests %s between them.\n", host, how)
		}
	}
	if pt.mock != nil && slices.Contains(p.modes, modeLive) {
		// The mock outlives an interrupt until the live engine's grace period is over.
		if err := pt.startMock(context.WithoutCancel(ctx), seed); err != nil {
			return err
		}
		defer pt.stopMock()
	}

	now := time.Now()
	dir, err := f.probe.run.outDir("compare", now)
	if err != nil {
		return err
	}
	c.dir = dir
	if c.out, err = record.Create(dir); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	defer c.out.Close()
	c.run = c.newRun(now)
	if err := record.WriteRun(dir, c.run); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	if c.stream, err = report.NewStream(dir, c.run, report.Options{}); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	defer c.stream.Abort()
	c.tap = newAsyncTap(c.stream.Add)
	defer c.closeTap()
	c.out.Tap(c.tap.Add)

	segs := p.segments()
	var runErr error
	ran := 0
	for i, sp := range segs {
		if c.stopped != "" {
			break
		}
		if i > 0 && sp.mode == modeLive && c.remoteLive() {
			if err := c.rest(ctx); err != nil {
				runErr = err
				break
			}
		}
		budget, ok := c.remaining()
		if !ok {
			break
		}
		ran++
		if err := c.segment(ctx, i, sp, budget); err != nil {
			runErr = err
			break
		}
	}
	return c.finish(ran, runErr)
}

// newRun describes the run in run.json, every planned segment included (each gets its start
// and end as it runs; those never run are dropped at the end).
func (c *comparison) newRun(now time.Time) *record.Run {
	f, p, pt := c.flags, c.plan, c.target
	run := &record.Run{
		Command: "compare", ToolVersion: Version, Seed: f.probe.run.seed, Started: now,
		Target: pt.record, Partial: true, StopReason: "running",
	}
	tg, err := probe.NewTarget(pt.cfg)
	if err == nil {
		run.Target.Method = tg.Method()
		run.Workload.PromptTokens, run.Workload.MaxTokens = tg.PromptTokens(0), tg.MaxTokens()
		if pt.mock == nil {
			run.Target.URL = tg.URL()
		}
	}
	live := slices.Contains(p.modes, modeLive)
	run.Target.Embedded = pt.mock != nil && live
	run.Target.Simulated = slices.Contains(p.modes, modeSim)
	run.Workload.PromptTokensSpread = f.probe.spread
	if p.open() {
		run.Workload.Rate, run.Workload.DurationS = p.rate.String(), p.duration.Seconds()
	} else {
		run.Workload.Clients, run.Workload.RequestsPerClient = p.clients, p.requests
		run.Workload.ThinkS = p.think.Seconds()
	}
	if pt.mock != nil {
		run.Mock, run.Known = mockRecord(*pt.mock)
	}
	for _, sp := range p.segments() {
		run.Segments = append(run.Segments, record.Segment{
			Label: sp.label(), Kind: "compare", Strategy: sp.strategy.Label(),
			Params: normalizedParams(sp.strategy), Mode: sp.mode, Clients: sp.clients,
		})
	}
	return run
}

// remaining is the run's budget left for the next segment; false when it is spent.
func (c *comparison) remaining() (probe.Budget, bool) {
	b := c.budget
	if m := b.MaxRequests; m > 0 {
		if b.MaxRequests = m - c.spent.Attempts; b.MaxRequests <= 0 {
			c.stop(fmt.Sprintf("--max-requests %d reached", m))
			return b, false
		}
	}
	if t := b.Tokens; t > 0 {
		if b.Tokens = t - c.spent.InputTokens - c.spent.OutputTokens; b.Tokens <= 0 {
			c.stop(fmt.Sprintf("--budget-tokens %d reached", t))
			return b, false
		}
	}
	if d := b.MaxDuration; d > 0 && c.offset >= d {
		c.stop(fmt.Sprintf("--max-duration %s reached", d))
		return b, false
	}
	if u := b.Unconfirmed; u > 0 {
		if b.Unconfirmed = u - c.spent.Attempts; b.Unconfirmed <= 0 {
			c.stop(fmt.Sprintf("%d requests sent to non-loopback host %s without confirmation; pass --yes to send more", u, hostOf(c.target.cfg.URL)))
			return b, false
		}
	}
	return b, true
}

func (c *comparison) stop(reason string) {
	if c.stopped == "" {
		c.stopped = reason
	}
}

// segment runs segment i on a runner of its own, starting from a fresh budget (the mock's),
// within what is left of the run's budget.
func (c *comparison) segment(ctx context.Context, i int, sp segmentPlan, budget probe.Budget) error {
	f, p := c.flags, c.plan
	seed := f.probe.run.seed
	cfg := c.target.cfg
	var r phaseRunner
	var stopProgress = func() {}
	wallStart := time.Now()
	switch sp.mode {
	case modeSim:
		m, err := mockserver.New(*c.target.mock, seed)
		if err != nil {
			return usageErrorf("mock: %v", err)
		}
		tg, err := probe.NewTarget(cfg)
		if err != nil {
			return usageErrorf("compare: %v", err)
		}
		sr, err := sim.New(sim.Options{Target: tg, Mock: m, Records: c.out, Key: cfg.Key, Offset: c.offset,
			Timeout: f.probe.timeout, Budget: budget, Seed: seed})
		if err != nil {
			return err
		}
		r = sr
	default:
		if c.target.mock != nil {
			cfg.Key = fmt.Sprintf("ratelab-compare-%d", i+1) // a fresh account: a fresh budget
		}
		tg, err := probe.NewTarget(cfg)
		if err != nil {
			return usageErrorf("compare: %v", err)
		}
		eng, err := probe.NewEngine(probe.Options{Target: tg, Records: c.out, MaxInflight: f.probe.maxInflight,
			Timeout: f.probe.timeout, Budget: budget, Seed: seed, Start: wallStart.Add(-c.offset)})
		if err != nil {
			return err
		}
		if !f.probe.run.quiet && c.env.stderrTTY {
			stopProgress = eng.Progress(c.env.stderr, 0)
		}
		r = eng
	}

	// The report's builder reads the run's segments from the tap's goroutine: every attempt
	// written so far is consumed before a segment's times change.
	c.tap.Sync()
	seg := &c.run.Segments[i]
	seg.StartS = c.offset.Seconds()
	label := sp.label()
	fleet := sp.strategy.NewFleet(seed)
	var res probe.PhaseResult
	var phaseErr error
	if p.open() {
		res, phaseErr = r.Open(ctx, probe.OpenPhase{Label: label, Kind: "compare", Pacer: p.pacer, Duration: p.duration,
			Fleet: fleet, Strategy: sp.strategy.Label()})
	} else {
		res, phaseErr = r.Closed(ctx, probe.ClosedPhase{Label: label, Kind: "compare", Clients: sp.clients,
			Requests: p.requests, Think: p.think, Fleet: fleet, Strategy: sp.strategy.Label()})
	}
	stopProgress()
	closeErr := r.Close()
	c.tap.Sync()
	st := r.Stats()
	c.spent.Attempts += st.Attempts
	c.spent.InputTokens += st.InputTokens
	c.spent.OutputTokens += st.OutputTokens
	c.spent.Dropped += st.Dropped
	c.spent.Late += st.Late
	c.spent.Limits, c.spent.Dialect = st.Limits, st.Dialect
	if got := r.Segments(); len(got) > 0 {
		seg.EndS = max(got[len(got)-1].EndS, seg.StartS)
	} else {
		seg.EndS = seg.StartS
	}
	c.offset = max(r.Elapsed(), c.offset) // the runner's clock continues the run's timeline
	if reason := r.StopReason(); reason != "" {
		c.stop(reason)
	}
	if !f.probe.run.quiet {
		c.printSegment(i, sp, res, st, time.Since(wallStart))
	}
	switch {
	case errors.Is(phaseErr, probe.ErrInterrupted):
		c.interrupted = true
		c.stop("interrupted")
		return phaseErr
	case phaseErr != nil:
		return fmt.Errorf("compare: segment %s: %w", label, phaseErr)
	case closeErr != nil:
		return fmt.Errorf("compare: segment %s: %w", label, closeErr)
	}
	return nil
}

// closeTap stops feeding the report and waits until it has every attempt; it may be called again.
func (c *comparison) closeTap() {
	if c.tap != nil {
		c.out.Tap(nil)
		c.tap.Close()
		c.tap = nil
	}
}

// rest waits between live segments against a real API until its budget is replenished: --rest
// when given, else the longest reset the last headers stated (the instant the budget is full
// again), else a minute.
func (c *comparison) rest(ctx context.Context) error {
	d := c.flags.rest
	if d == 0 {
		d = time.Minute
		if c.spent.Dialect != ratelimit.DialectNone {
			d = 0
			for _, s := range c.spent.Limits {
				if s.Has(ratelimit.HasReset) {
					d = max(d, s.Reset)
				}
			}
			d += time.Second // reset instants are rounded to the second
		}
	}
	if !c.flags.probe.run.quiet {
		fmt.Fprintf(c.env.stderr, "ratelab: resting %s for the shared budget to refill\n", d.Round(time.Millisecond))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	start := time.Now()
	select {
	case <-t.C:
	case <-ctx.Done():
		c.interrupted = true
		c.stop("interrupted")
		c.offset += time.Since(start)
		return probe.ErrInterrupted
	}
	c.offset += time.Since(start)
	return nil
}

// finish completes run.json, writes the report from the stream and prints the tables.
func (c *comparison) finish(ran int, runErr error) error {
	c.out.Tap(nil)
	closeErr := c.out.Close()
	c.closeTap()
	run := c.run
	run.Segments = run.Segments[:ran]
	run.Ended = time.Now()
	run.DurationS = c.offset.Seconds()
	run.Dropped, run.Late = c.spent.Dropped, c.spent.Late
	run.Partial = c.interrupted || runErr != nil || closeErr != nil
	run.StopReason = c.stopped
	if run.StopReason == "" {
		run.StopReason = "completed"
	}
	if err := record.WriteRun(c.dir, run); err != nil && closeErr == nil {
		closeErr = err
	}
	final, err := record.ReadRun(c.dir)
	if err != nil && closeErr == nil {
		closeErr = err
	}
	var sum *report.Summary
	if final != nil {
		if sum, err = c.stream.Finish(final); err != nil && closeErr == nil {
			closeErr = fmt.Errorf("compare: report: %w", err)
		}
	}
	if sum != nil && !c.flags.probe.run.quiet {
		if err := c.printResults(sum); err != nil && closeErr == nil {
			closeErr = err
		}
	}
	switch {
	case c.interrupted:
		return errInterrupted
	case runErr != nil:
		return runErr
	case closeErr != nil:
		return fmt.Errorf("compare: %w", closeErr)
	}
	return nil
}
