// Package runner executes a scenario: one resolved, validated scenario.Scenario — built from a
// scenario file by `ratelab run`, or from flags by `ratelab probe` and `ratelab compare` — runs
// phase after phase against its target, into one output directory. It sets the target up (the
// embedded mock on a loopback port for live phases, the mock's account model for simulated
// ones, or a real API with the key read from the environment), asks before real traffic goes to
// a non-loopback host, records every attempt of every phase in one attempts.jsonl on one
// timeline, runs probe phases (a constant rate, stages, or limit discovery) and compare phases
// (strategies × client counts × modes, each from a fresh budget) on the live engine or the
// simulator, and builds the report while the attempts are written. The budget bounds the whole
// run. An interrupt stops the phase in progress, lets in-flight attempts finish within the
// grace period, and still writes run.json, summary.json and report.md, marked partial.
//
// The files are split by concern: target.go (where requests go), plan.go (the scenario's
// phases as engine plans), probe.go and compare.go (the two kinds of phase), output.go (the
// run directory, run.json and the report) and print.go (what the terminal shows).
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/metrics"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/summary"
)

// Options are what a run may touch of the outside world, and how it names itself.
type Options struct {
	// Command is the command recorded in run.json: "run", "probe" or "compare". Default "run".
	Command string
	// Version is ratelab's version, recorded in run.json and summary.json.
	Version string
	// Stdin answers the confirmation asked before real traffic goes to a non-loopback host;
	// StdinTTY says whether it is a terminal (without one the run is refused unless the
	// scenario's Yes is set).
	Stdin    io.Reader
	StdinTTY bool
	// Stdout receives the findings and tables, Stderr progress, notes and warnings; nil
	// discards. StderrTTY enables the live progress line.
	Stdout, Stderr io.Writer
	StderrTTY      bool
	// Getenv reads the environment variable that holds the API key. Default os.Getenv.
	Getenv func(string) string
	// FieldName names a scenario field in what the run writes (stop reasons in run.json and on
	// the terminal): the command line passes the flag that set it ("--max-requests"), nil keeps
	// the field path ("budget.max_requests").
	FieldName func(path string) string
	// Shard, when set, runs this host's share of the run (every Count-th arrival from Index),
	// starting at Shard.StartAt when given; run.json records it for report --merge.
	Shard *record.Shard
	// Metrics, when set, counts every attempt as it is recorded (served by --metrics-addr).
	Metrics *metrics.Run
}

// Result is what a run produced.
type Result struct {
	// Dir is the output directory.
	Dir string
	// Summary is summary.json as written; nil when the run stopped before it could be built.
	Summary *summary.Summary
}

// Failed returns the lines of the thresholds the run failed ("FAIL subject: detail").
func (r *Result) Failed() []string {
	if r == nil {
		return nil
	}
	return summary.Failed(r.Summary)
}

// ConfigError is a problem found while setting the run up, before anything is sent: an unset
// key variable, a target that cannot be built, a confirmation refused. Field is the scenario
// field at fault ("target.key_env"), or "" when no one field is; Value is its value as given.
type ConfigError struct {
	Field, Value, Msg string
}

// Error returns "field value: message", leaving out what is empty.
func (e *ConfigError) Error() string {
	switch {
	case e.Field == "":
		return e.Msg
	case e.Value == "":
		return e.Field + ": " + e.Msg
	}
	return e.Field + " " + e.Value + ": " + e.Msg
}

// Run executes s, which must have been resolved (scenario.Load or Scenario.Resolve), and
// returns what it wrote. A run stopped by its budget is complete; an
// interrupted one returns engine.ErrInterrupted after writing its partial results (with a nil
// Result when it was interrupted before anything started). Thresholds are
// evaluated into the summary; Result.Failed lists those that failed.
func Run(ctx context.Context, s *scenario.Scenario, o Options) (*Result, error) {
	if o.Command == "" {
		o.Command = "run"
	}
	if o.Stdin == nil {
		o.Stdin = eofReader{}
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.FieldName == nil {
		o.FieldName = func(path string) string { return path }
	}
	phases, err := planPhases(s)
	if err != nil {
		return nil, err
	}
	if err := shardPhases(phases, o.Shard); err != nil {
		return nil, err
	}
	tg, err := resolveTarget(s, o.Getenv)
	if err != nil {
		return nil, err
	}
	r := &runState{s: s, o: o, phases: phases, tg: tg, quiet: s.Output.Quiet,
		budget: engine.Budget{MaxRequests: s.Budget.MaxRequests, MaxDuration: s.Budget.MaxDuration.Std(), Tokens: s.Budget.BudgetTokens}}
	if err := r.confirm(ctx); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, engine.ErrInterrupted // nothing started, nothing to write
	}
	if tg.mock != nil && r.anyLive() {
		// The mock outlives an interrupt until the live engine's grace period is over.
		if err := tg.startMock(context.WithoutCancel(ctx), s.Seed); err != nil {
			return nil, err
		}
		defer tg.stopMock()
	}
	if err := waitForStart(ctx, &r.o); err != nil {
		return nil, err
	}
	if err := r.open(r.runStart(time.Now())); err != nil {
		return nil, err
	}
	defer r.abort()
	defer r.closeStores()
	runErr := r.execute(ctx)
	return r.finish(runErr)
}

// runState is one run in progress: its plan, its output, and its timeline. Phases and compare
// segments lie end to end on one timeline (record times): a live one takes wall time, a
// simulated one virtual time, and each engine's clock is offset to start where the previous
// one ended, so charts and inference never see two of them overlap.
type runState struct {
	s      *scenario.Scenario
	o      Options
	phases []*phasePlan
	tg     *target
	quiet  bool
	budget engine.Budget // the whole run's

	dir    string
	out    *record.Writer
	rec    *record.Run
	stream *report.Stream
	tap    *asyncTap // feeds stream from the attempt log's writer, on its own goroutine

	offset     time.Duration // run time at which the next phase or segment starts
	spent      engine.Stats  // totals of everything run so far (budget, dropped, late)
	probeStats engine.Stats  // totals of the probe phases, for the end-of-run table
	lastLive   engine.Stats  // the last live segment's, for the rest before the next one
	remoteSent bool          // live traffic has gone to a real API (not the embedded mock): rest before a compare segment
	ranProbe   bool
	planned    bool        // a plan: phase ran (it sends nothing, so no success is needed)
	stopped    engine.Stop // why the run stopped early; zero while it has not
	// terminal is the last terminal refusal a compare segment with a fresh budget stopped at
	// (the run goes on with the next strategy, which meets the quota on its own).
	terminal    engine.Stop
	interrupted bool
	keys        int             // fresh embedded-mock accounts handed out so far
	simMock     *account.Ledger // the account model simulated probe phases share
	health      health          // outcomes so far; stops a run whose target is down
	stores      sharedStores    // Redis connections of live client-limiter(store=…) phases
}

// execute runs the phases in order until they end, the budget is spent or the run is
// interrupted.
func (r *runState) execute(ctx context.Context) error {
	for i, ph := range r.phases {
		if r.stopped.Stopped() {
			break
		}
		if ctx.Err() != nil {
			r.interrupt()
			break
		}
		var err error
		if ph.capacity != nil {
			err = r.capacityPhase(ctx, i, ph)
		} else if ph.probe != nil {
			err = r.probePhase(ctx, i, ph)
		} else {
			err = r.comparePhase(ctx, i, ph)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stop records why the run stopped early; the first stop is kept.
func (r *runState) stop(why engine.Stop) {
	if !r.stopped.Stopped() {
		r.stopped = why
	}
}

// interrupt marks the run interrupted.
func (r *runState) interrupt() {
	r.interrupted = true
	r.stop(engine.Stop{Kind: engine.StopInterrupted})
}

// remaining is the run's budget left for the next phase or segment; false when it is spent.
func (r *runState) remaining() (engine.Budget, bool) {
	left, spent := r.budget.Remaining(r.spent.Attempts, r.spent.InputTokens+r.spent.OutputTokens, r.offset, r.tg.host())
	if spent.Stopped() {
		r.stop(spent)
		return left, false
	}
	return left, true
}

// account adds what one engine did to the run's totals and moves the timeline on to where the
// engine's clock stopped.
func (r *runState) account(st engine.Stats, elapsed time.Duration, live bool) {
	r.spent.Attempts += st.Attempts
	r.spent.Rejected += st.Rejected
	r.spent.InputTokens += st.InputTokens
	r.spent.OutputTokens += st.OutputTokens
	r.spent.Dropped += st.Dropped
	r.spent.Late += st.Late
	r.offset = max(elapsed, r.offset)
	if live {
		r.lastLive = st
		if r.tg.mock == nil && st.Attempts > 0 {
			r.remoteSent = true
		}
	}
}

// runStop restates an engine's budget stop in the run's terms: an engine is given what is left
// of the run's budget, and stops at that.
func (r *runState) runStop(why engine.Stop) engine.Stop {
	switch {
	case why.Kind == engine.StopMaxRequests && r.budget.MaxRequests > 0:
		why.Limit = r.budget.MaxRequests
	case why.Kind == engine.StopTokens && r.budget.Tokens > 0:
		why.Limit, why.Consumed = r.budget.Tokens, r.spent.InputTokens+r.spent.OutputTokens
	}
	return why
}

// phaseError turns a phase's outcome into the run's: an interrupt marks the run; a failure,
// or a target found down, fails the run naming the phase; an engine's stop is kept.
func (r *runState) phaseError(what string, stopped engine.Stop, phaseErr, closeErr error) error {
	switch {
	case errors.Is(phaseErr, engine.ErrInterrupted), errors.Is(phaseErr, context.Canceled):
		r.interrupt()
		return nil
	case phaseErr != nil:
		return fmt.Errorf("%s: %w", what, phaseErr)
	case closeErr != nil:
		return fmt.Errorf("%s: %w", what, closeErr)
	}
	if err := r.health.targetDown(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if stopped.Stopped() {
		r.stop(r.runStop(stopped))
	}
	return nil
}

// eofReader is an empty stdin.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
