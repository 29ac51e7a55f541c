package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/find"
	"github.com/ratelab/ratelab/probe/record"
	"github.com/ratelab/ratelab/report"
)

// findMargin is how long before --max-duration discovery plans to be done, so that the last
// attempts end (and the report is written) before the engine's hard stop.
const findMargin = 2 * time.Second

// findDeadline is when, since the run started, discovery must be done: shortly before
// --max-duration, or find.DefaultMaxDuration without it.
func findDeadline(maxDuration time.Duration) time.Duration {
	if maxDuration <= 0 {
		return find.DefaultMaxDuration
	}
	return max(maxDuration-findMargin, maxDuration*9/10)
}

// findPlan is the probe plan of `ratelab probe --find` (the default without --rate/--stages):
// discovery sets its own pace, so the plan only bounds its time.
func (f *probeFlags) findPlan() (probePlan, error) {
	switch {
	case f.rate != "" || f.stages != "":
		return probePlan{}, usageErrorf("probe: --find sets its own load: drop --rate/--stages, or drop --find")
	case f.duration != 0:
		return probePlan{}, usageErrorf("probe: --duration goes with --rate; --find stops by itself (bound it with --max-duration, --max-requests or --budget-tokens)")
	case f.strategy != "" && f.strategy != "none":
		return probePlan{}, usageErrorf("probe: --strategy does not apply to --find (discovery never retries; every attempt is evidence)")
	}
	d := findDeadline(f.run.maxDuration)
	return probePlan{find: true, phase: "find", duration: d, note: "adaptive limit discovery (--find)"}, nil
}

// runFindPhases runs adaptive discovery on the engine for `ratelab probe --find`: the phases of
// probe/find (headers, burst, rest, refill or sustain), each recorded like any probe phase,
// until the requests limit is known within ±2%, or --max-duration, --max-requests or
// --budget-tokens stops it. The figures come afterwards from the attempt log (reportFind).
func runFindPhases(ctx context.Context, eng *probe.Engine, f *probeFlags, run *record.Run) error {
	return discover(ctx, find.Live(eng), f.run.seed, f.run.maxDuration, f.run.maxRequests, run)
}

// discover runs discovery on any runner (the live engine, or the simulator for a scenario's
// sim phases) within the run's --max-duration and --max-requests, and notes in run.json why it
// stopped. It is what a scenario's `probe: {find: true}` phase calls too.
func discover(ctx context.Context, r find.Runner, seed int64, maxDuration time.Duration, maxRequests int64, run *record.Run) error {
	rep, err := find.Run(ctx, r, find.Options{
		Seed:        seed,
		MaxDuration: findDeadline(maxDuration),
		MaxRequests: maxRequests,
		Run:         run,
	})
	if rep.StopReason != "" {
		run.Notes = append(run.Notes, fmt.Sprintf("find: %d attempts, %d refused (429); %s", rep.Attempts, rep.RateLimited, rep.StopReason))
	}
	if errors.Is(err, find.ErrTarget) {
		return fmt.Errorf("%w (check --target, --api and the key)", err)
	}
	return err
}

// reportFind writes the run directory's summary.json, report.md, charts and attempts.csv
// from the log discovery left, and prints the findings and tables unless quiet. runErr is the
// run's outcome: an interrupted or budget-stopped discovery is reported all the same.
func reportFind(env *cliEnv, dir string, quiet bool, runErr error) error {
	if runErr != nil && !errors.Is(runErr, errInterrupted) {
		return runErr
	}
	s, err := report.Generate(dir, report.Options{})
	if err != nil {
		return fmt.Errorf("probe: report: %w", err)
	}
	if !quiet {
		w := env.stdout
		fmt.Fprintln(w)
		for _, line := range report.KeyFindings(s) {
			fmt.Fprintf(w, "- %s\n", line)
		}
		fmt.Fprintln(w)
		if err := report.PrintTables(w, s); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nReport: %s/%s\n", dir, report.MarkdownFile)
	}
	return runErr
}
