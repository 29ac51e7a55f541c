package accuracy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/discover"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/sim"
	"github.com/ratelab/ratelab/workload"
)

// Epoch is where the simulated runs' clock starts: an arbitrary instant, as a real run's is, not
// a round one (sim's default epoch is a round minute, which would line a fixed window up with the
// first request), with a fractional second so that whole-second header rounding is exercised.
var Epoch = time.Date(2026, 1, 5, 9, 0, 7, 370_000_000, time.UTC)

// EpochOf is where seed's run starts: Epoch moved on by 7.919 s per seed, within a minute, so
// that the seeds of a case meet its windows at different phases, as real runs do.
func EpochOf(seed int64) time.Time {
	return Epoch.Add(time.Duration(seed) * 7919 * time.Millisecond % time.Minute)
}

// Run discovers the case with the simulator (sim: the mock's account model in virtual
// time, the same engine `ratelab compare --mode sim` uses) and scores it.
func Run(ctx context.Context, c Case, seed int64) (Outcome, error) {
	d, err := Discover(ctx, c, seed)
	if err != nil {
		return Outcome{}, err
	}
	an := infer.NewAnalyzer(d.Run)
	for i := range d.Attempts {
		an.Add(&d.Attempts[i])
	}
	o := Score(c, an.Result(), d.Report, d.Attempts, d.Elapsed)
	o.Seed = seed
	return o, nil
}

// Discovery is what discovering a case left: run.json, the attempts and discovery's report.
type Discovery struct {
	Run      *record.Run
	Attempts []record.Attempt
	Report   discover.Report
	Elapsed  time.Duration
}

// Discover runs discovery of the case with the simulator, from EpochOf(seed).
func Discover(ctx context.Context, c Case, seed int64) (Discovery, error) {
	m, err := account.New(c.Config(), seed)
	if err != nil {
		return Discovery{}, err
	}
	prompt, maxTok := c.PromptTokens, c.MaxTokens
	if prompt == 0 {
		prompt = workload.DefaultPromptTokens
	}
	if maxTok == 0 {
		maxTok = workload.DefaultMaxTokens
	}
	requests := workload.Requests{API: api.Anthropic, MaxTokens: maxTok, Prompt: workload.PromptSizes{Tokens: prompt, Seed: uint64(seed)}}
	var log bytes.Buffer
	w := record.NewWriter(&log)
	epoch := EpochOf(seed)
	r, err := sim.New(sim.Options{Requests: requests, Ledger: m, Records: w, Key: "accuracy", Seed: seed,
		Epoch: epoch, Budget: engine.Budget{MaxDuration: c.maxDuration()}})
	if err != nil {
		return Discovery{}, err
	}
	run := &record.Run{Schema: record.RunSchema, Command: "probe", Started: epoch,
		Workload: record.Workload{PromptTokens: prompt, MaxTokens: maxTok}}
	rep, err := discover.Run(ctx, r, discover.Options{Seed: seed, Run: run, MaxDuration: c.maxDuration(), Ramp: c.Ramp, Progress: traceProgress(c.Name)})
	if err != nil {
		return Discovery{}, err
	}
	if tr := traceProgress(c.Name); tr != nil {
		tr("done: " + rep.Done)
	}
	if err := w.Close(); err != nil {
		return Discovery{}, err
	}
	d := Discovery{Run: run, Report: rep, Elapsed: r.Elapsed()}
	if err := record.Scan(&log, func(a *record.Attempt) error {
		d.Attempts = append(d.Attempts, *a)
		return nil
	}); err != nil {
		return Discovery{}, err
	}
	return d, nil
}

// traceProgress prints discovery's progress lines on stderr, each with the case's name, when
// RATELAB_DISCOVER_TRACE is set (for following one case: go run ./bench/infer -run NAME).
func traceProgress(name string) func(string) {
	if os.Getenv("RATELAB_DISCOVER_TRACE") == "" {
		return nil
	}
	return func(s string) { fmt.Fprintf(os.Stderr, "%s: %s\n", name, s) }
}
