package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/scenario"
)

// open creates the output directory, attempts.jsonl and the first run.json (partial, every
// planned segment listed), and starts the report, fed from the attempt log as it is written.
func (r *runState) open(now time.Time) error {
	r.dir = r.s.Output.Dir
	if r.dir == "" {
		r.dir = fmt.Sprintf("%s/%s-%s", scenario.DefaultOutRoot, r.o.Command, now.Format("20060102-150405"))
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	out, err := record.Create(r.dir)
	if err != nil {
		return err
	}
	r.out = out
	if r.rec, err = r.newRun(now); err != nil {
		return err
	}
	if err := record.WriteRun(r.dir, r.rec); err != nil {
		return err
	}
	if r.stream, err = report.NewStream(r.dir, r.rec, report.Options{}); err != nil {
		return err
	}
	r.tap = newAsyncTap(r.stream.Add)
	r.out.Tap(r.observe)
	return nil
}

// newRun describes the run in run.json: the resolved scenario, the target (never the key), the
// embedded mock and the limits it enforces, the thresholds, and every planned segment (each
// gets its times as it runs; those never run are dropped at the end).
func (r *runState) newRun(now time.Time) (*record.Run, error) {
	s := r.s
	run := &record.Run{
		Command: r.o.Command, ToolVersion: r.o.Version, Seed: s.Seed, Started: now,
		Target: r.tg.record, Partial: true, StopReason: "running",
	}
	run.Target.Embedded = r.tg.mock != nil && r.anyLive()
	run.Target.Simulated = r.anySim()
	run.Workload = r.workload()
	var err error
	if run.Scenario, err = json.Marshal(s); err != nil {
		return nil, fmt.Errorf("encode the scenario for run.json: %w", err)
	}
	if r.tg.mock != nil {
		if run.Mock, err = json.Marshal(r.tg.mock); err != nil {
			return nil, fmt.Errorf("encode the mock configuration for run.json: %w", err)
		}
		run.Known = knownLimits(*r.tg.mock)
	}
	if s.Expect != nil {
		if run.Thresholds, err = json.Marshal(s.Expect); err != nil {
			return nil, fmt.Errorf("encode the thresholds for run.json: %w", err)
		}
	}
	run.Segments = r.segments(false)
	run.Shard = r.o.Shard
	return run, nil
}

// workload is run.json's workload: the request shape, and the load of the first probe phase
// with a rate or stages, overridden by the first compare phase's (what the report's advice on
// workers refers to).
func (r *runState) workload() record.Workload {
	var w record.Workload
	if r.tg.cfg.API != "http" {
		w.PromptTokens, w.MaxTokens = r.s.Workload.PromptTokens, r.s.Workload.MaxTokens
		w.PromptTokensSpread = r.s.Workload.PromptTokensSpread
		w.Stream = r.s.Workload.Stream
		if w.CachePrefixTokens = r.s.Workload.CachePrefixTokens; w.CachePrefixTokens > 0 {
			h := 1 - r.s.Workload.CacheMiss()
			w.CacheHitRatio = &h
		}
	}
	set := false
	for _, ph := range r.phases {
		if p := ph.probe; p != nil && !p.find && !set {
			w.Rate, w.Stages, w.DurationS = p.workload.Rate, p.workload.Stages, p.workload.DurationS
			set = true
		}
		if c := ph.compare; c != nil {
			w.Rate, w.Stages, w.DurationS = "", "", 0
			if c.open() {
				w.Rate, w.DurationS = c.rate.String(), c.duration.Seconds()
			} else {
				w.Clients, w.RequestsPerClient, w.ThinkS = slices.Clone(c.clients), c.requests, c.think.Seconds()
			}
			break
		}
	}
	return w
}

// segments lists the run's segments in phase order; final leaves out those never started.
func (r *runState) segments(final bool) []record.Segment {
	var out []record.Segment
	for _, ph := range r.phases {
		for _, sg := range ph.segs {
			if sg.ran || !final {
				out = append(out, sg.Segment)
			}
		}
	}
	return out
}

// syncSegments puts the phases' segments into run.json's record. The report's builder reads
// them while attempts flow: call it only after r.tap.Sync.
func (r *runState) syncSegments(final bool) { r.rec.Segments = r.segments(final) }

// observe is the attempt log's tap: the run's health sees every attempt, then the report.
func (r *runState) observe(a *record.Attempt) {
	r.health.observe(a)
	if r.o.Metrics != nil {
		ObserveMetrics(r.o.Metrics, a)
	}
	r.tap.Add(a)
}

// closeTap stops feeding the report and waits until it has every attempt; it may be called
// again.
func (r *runState) closeTap() {
	if r.tap != nil {
		r.out.Tap(nil)
		r.tap.Close()
		r.tap = nil
	}
}

// abort releases what finish did not: the tap, the attempt log, the report's temporary file.
func (r *runState) abort() {
	if r.out != nil {
		r.closeTap()
		r.out.Close()
	}
	if r.stream != nil {
		r.stream.Abort()
	}
}

// finish completes run.json, writes the report (summary.json, report.md, charts,
// attempts.csv) from the stream and prints the findings unless quiet. An interrupted or failed
// run is reported all the same, marked partial.
func (r *runState) finish(runErr error) (*Result, error) {
	r.closeTap()
	closeErr := r.out.Close()
	run := r.rec
	r.syncSegments(true)
	run.Ended = time.Now()
	run.DurationS = r.offset.Seconds()
	run.Dropped, run.Late = r.spent.Dropped, r.spent.Late
	if runErr == nil && !r.interrupted && r.health.all.ok == 0 && !(r.planned && r.health.all.attempts == 0) {
		// A run in which nothing succeeded measured nothing: it fails, saying why.
		runErr = &NoSuccessError{Attempts: r.health.all.attempts, Causes: r.health.all.failures(), Stopped: r.words(r.stopped)}
	}
	run.Partial = r.interrupted || runErr != nil || closeErr != nil
	switch {
	case runErr != nil:
		run.StopReason = "failed: " + runErr.Error()
	case r.stopped.Stopped():
		run.StopReason = r.words(r.stopped)
	case r.terminal.Stopped():
		run.StopReason = r.words(r.terminal)
	default:
		run.StopReason = "completed"
	}
	if err := record.WriteRun(r.dir, run); err != nil && closeErr == nil {
		closeErr = err
	}
	res := &Result{Dir: r.dir}
	// The report is built from run.json as a re-read gives it, so it matches a re-render.
	final, err := record.ReadRun(r.dir)
	if err != nil && closeErr == nil {
		closeErr = err
	}
	if final != nil {
		sum, err := r.stream.Finish(final)
		if err != nil && closeErr == nil {
			closeErr = fmt.Errorf("report: %w", err)
		}
		res.Summary = sum
	}
	r.warn()
	if res.Summary != nil && !r.quiet {
		if err := r.printResults(res.Summary); err != nil && closeErr == nil {
			closeErr = err
		}
	}
	switch {
	case r.interrupted:
		return res, engine.ErrInterrupted
	case runErr != nil:
		return res, runErr
	case closeErr != nil:
		return res, closeErr
	}
	return res, nil
}
