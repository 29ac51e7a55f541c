package accuracy

import (
	"bytes"
	"context"
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

// Run discovers the case with the simulator (sim: the mock's account model in virtual
// time, the same engine `ratelab compare --mode sim` uses) and scores it.
func Run(ctx context.Context, c Case, seed int64) (Outcome, error) {
	m, err := account.New(c.Config(), seed)
	if err != nil {
		return Outcome{}, err
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
	r, err := sim.New(sim.Options{Requests: requests, Ledger: m, Records: w, Key: "accuracy", Seed: seed,
		Epoch: Epoch, Budget: engine.Budget{MaxDuration: c.maxDuration()}})
	if err != nil {
		return Outcome{}, err
	}
	run := &record.Run{Schema: record.RunSchema, Command: "probe", Started: Epoch,
		Workload: record.Workload{PromptTokens: prompt, MaxTokens: maxTok}}
	rep, err := discover.Run(ctx, r, discover.Options{Seed: seed, Run: run, MaxDuration: c.maxDuration()})
	if err != nil {
		return Outcome{}, err
	}
	if err := w.Close(); err != nil {
		return Outcome{}, err
	}
	var recs []record.Attempt
	if err := record.Scan(&log, func(a *record.Attempt) error {
		recs = append(recs, *a)
		return nil
	}); err != nil {
		return Outcome{}, err
	}
	an := infer.NewAnalyzer(run)
	for i := range recs {
		an.Add(&recs[i])
	}
	return Score(c, an.Result(), rep, recs, r.Elapsed()), nil
}
