package infer

import "github.com/ratelab/ratelab/probe/record"

// Analyzer accumulates attempts one at a time (memory bounded by the run's length in seconds, not
// its number of attempts) and infers limits from them.
type Analyzer struct {
	run *record.Run
}

// NewAnalyzer starts an analysis of the run described by run (run.json).
func NewAnalyzer(run *record.Run) *Analyzer { return &Analyzer{run: run} }

// Add feeds one attempt, in log order.
func (a *Analyzer) Add(at *record.Attempt) {}

// Result returns the inference over everything added so far.
func (a *Analyzer) Result() Result { return Result{} }
