package infer

import (
	"math"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// Analyzer accumulates attempts one at a time and infers limits from them. It keeps a bounded
// prefix of each timeline's attempts (see perTimelineEvents and totalEvents) and a few running
// sums, so its memory does not grow with the number of attempts beyond those caps. The same
// attempts in the same order always give the same Result.
//
// Attempts are grouped into timelines, one per budget: the probe and find segments of a run
// share one (same key, one after another), and each compare segment, which starts from a fresh
// budget, is one of its own. Limits are fitted per timeline and combined (see Result).
type Analyzer struct {
	run   *record.Run
	start time.Time // run start (for Date headers); zero when unknown

	kinds     map[string]string // segment label → kind
	timelines []*timeline
	byName    map[string]*timeline
	last      *timeline
	lastLabel string
	stored    int

	// Whole-run sums.
	attempts, ok, limited int64
	okUsage               int64 // admitted attempts that reported usage
	inSum, outSum, maxSum float64
	cacheRead, cacheWrite float64 // prompt-cache tokens of the admitted attempts that reported usage
	shortOut              int64   // admitted attempts whose output was below max_tokens
	headerDims            [ratelimit.NumDimensions]bool
	anyHeaders            bool
	openaiTokens          bool // a tokens limit in OpenAI's headers: prompt + max_tokens reserved at admission
	quotas                quotas
}

// NewAnalyzer starts an analysis of the run described by run (run.json); run may be nil.
func NewAnalyzer(run *record.Run) *Analyzer {
	a := &Analyzer{run: run, kinds: map[string]string{}, byName: map[string]*timeline{}}
	if run != nil {
		a.start = run.Started
		for _, s := range run.Segments {
			a.kinds[s.Label] = s.Kind
		}
	}
	return a
}

// Add feeds one attempt, in log order. The attempt is not retained.
func (a *Analyzer) Add(at *record.Attempt) {
	if at.ClientRejected {
		return // never reached the server
	}
	a.attempts++
	switch at.Outcome() {
	case record.OutcomeOK:
		a.ok++
		if at.InputTokens > 0 || at.OutputTokens > 0 {
			a.okUsage++
			a.inSum += float64(at.InputTokens)
			a.outSum += float64(at.OutputTokens)
			a.maxSum += float64(at.MaxTokens)
			a.cacheRead += float64(at.CacheReadTokens)
			a.cacheWrite += float64(at.CacheCreationTokens)
			if at.MaxTokens > 0 && at.OutputTokens < at.MaxTokens {
				a.shortOut++
			}
		}
	case record.OutcomeRateLimited:
		a.limited++
	}
	for d := range ratelimit.NumDimensions {
		if at.Limits[d].Flags != 0 {
			a.headerDims[d], a.anyHeaders = true, true
		}
	}
	a.openaiTokens = a.openaiTokens || (at.Dialect == ratelimit.DialectOpenAI && at.Limits[ratelimit.Tokens].Flags != 0)
	if a.quotas.add(at) {
		return // a terminal refusal says nothing about a per-minute rate
	}
	tl := a.timelineFor(at)
	e := newEvent(at, a.start)
	room := a.stored < totalEvents
	before := len(tl.events)
	tl.add(&e, room)
	a.stored += len(tl.events) - before
}

// timelineFor returns the attempt's timeline: its compare segment's own, or the shared probe one.
func (a *Analyzer) timelineFor(at *record.Attempt) *timeline {
	if a.last != nil && at.Run == a.lastLabel {
		return a.last
	}
	name := "probe"
	kind, known := a.kinds[at.Run]
	if kind == "compare" || (!known && at.Strategy != "") {
		name = "compare:" + at.Run
	}
	tl := a.byName[name]
	if tl == nil {
		tl = &timeline{name: name, compare: name != "probe", cutoff: math.Inf(1), sorted: true}
		a.byName[name] = tl
		a.timelines = append(a.timelines, tl)
	}
	a.last, a.lastLabel = tl, at.Run
	return tl
}

// workloadPrompt is the run's prompt size in tokens, 0 when unknown.
func (a *Analyzer) workloadPrompt() float64 {
	if a.run == nil {
		return 0
	}
	return float64(a.run.Workload.PromptTokens)
}
