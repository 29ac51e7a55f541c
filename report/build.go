package report

import (
	"cmp"
	"math"
	"slices"

	"github.com/ratelab/ratelab/probe/infer"
	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
)

// Builder computes a Summary and the chart data from a run's attempts in one streaming pass. Feed
// it every attempt in log order with Add, then call Summary. Its memory is bounded by the run's
// length in seconds (per-second series), its number of strategies × client counts, its clients,
// and the logical requests still waiting for a final attempt — never by the number of attempts.
type Builder struct {
	run      *record.Run
	analyzer analyzer

	totals Totals

	// Per-second series over the whole run, for the timeline chart.
	sent, accepted, limited, failedS, scheduled *Series
	// Per-dimension header series, for the headers chart.
	headers [ratelimit.NumDimensions]headerSeries

	// okLatency sums successful HTTP attempts' latency (worker recommendation by Little's law).
	okLatencySum float64
	okLatencyN   int64
	okInput      int64 // tokens of successful HTTP attempts
	okOutput     int64

	errors errorTally

	discovery *discoveryAcc

	strategies map[stratKey]*stratAcc
	// open maps a logical request awaiting its final attempt to its scheduled time (attempt 1's).
	open map[int64]float64
}

// headerSeries is what the rate-limit headers said about one dimension over time.
type headerSeries struct {
	remaining *Series // minimum remaining per bin
	limit     *Series // maximum advertised limit per bin
	windowS   float64 // a window the dialect stated (IETF w=), 0 when none
}

type stratKey struct {
	name  string
	mode  string
	fleet int
}

// stratAcc accumulates one strategies[] entry.
type stratAcc struct {
	key      stratKey
	order    int // position of its segment in run.json, or after all segments
	segStart float64
	hasSeg   bool
	params   map[string]any

	firstSched float64 // earliest attempt-1 scheduled time
	hasSched   bool
	lastEnd    float64
	hasEnd     bool

	requests, succeeded, failed                               int64
	attempts, clientRejected, rateLimited, overloaded, errors int64
	okN, okInput, okOutput                                    int64

	latency Histogram
	perSec  *Series
	retries *Series // retries per 100 ms from shortly before the first; nil until one
	clients map[int]*clientAcc
}

// retryBinWidth is the window of peak_retries_per_second; retryOriginSlackS how much earlier
// than the first retry logged a later-logged retry may have been sent (bin 0 takes any earlier).
const (
	retryBinWidth     = 0.1
	retryOriginSlackS = 120
)

// clientAcc is one client's share of a strategy entry, for Jain's fairness index.
type clientAcc struct {
	succeeded int64
	lastEnd   float64
}

// analyzer is what a Builder needs of probe/infer; tests substitute a fixed inference so the
// rendering goldens do not move with the estimators.
type analyzer interface {
	Add(*record.Attempt)
	Result() infer.Result
}

// NewBuilder starts a summary of the run described by run (run.json).
func NewBuilder(run *record.Run) *Builder { return newBuilder(run, infer.NewAnalyzer(run)) }

func newBuilder(run *record.Run, an analyzer) *Builder {
	b := &Builder{
		run:        run,
		analyzer:   an,
		sent:       newSeries(aggSum),
		accepted:   newSeries(aggSum),
		limited:    newSeries(aggSum),
		failedS:    newSeries(aggSum),
		scheduled:  newSeries(aggSum),
		strategies: make(map[stratKey]*stratAcc),
		open:       make(map[int64]float64),
		discovery:  newDiscoveryAcc(),
	}
	for d := range b.headers {
		b.headers[d] = headerSeries{remaining: newSeries(aggMin), limit: newSeries(aggMax)}
	}
	return b
}

// Add feeds one attempt, in log order. The attempt is not retained.
func (b *Builder) Add(a *record.Attempt) {
	b.analyzer.Add(a)
	b.discovery.add(a)
	t := &b.totals
	first := a.Attempt <= 1
	if first {
		t.Requests++
		b.scheduled.Add(a.ScheduledS, 1)
	}
	outcome := a.Outcome()
	b.errors.add(a)
	if a.ClientRejected {
		t.ClientRejected++
	} else {
		t.Attempts++
		b.sent.Add(a.SentS, 1)
		switch outcome {
		case record.OutcomeOK:
			t.OK++
			b.accepted.Add(a.SentS, 1)
			b.okLatencySum += a.LatencyMs / 1000
			b.okLatencyN++
			b.okInput += a.InputTokens
			b.okOutput += a.OutputTokens
		case record.OutcomeRateLimited:
			t.RateLimited++
			b.limited.Add(a.SentS, 1)
		case record.OutcomeOverloaded:
			t.Overloaded++
			b.failedS.Add(a.SentS, 1)
		default:
			t.Errors++
			b.failedS.Add(a.SentS, 1)
		}
		t.InputTokens += a.InputTokens
		t.OutputTokens += a.OutputTokens
		headers := false
		for d := range a.Limits {
			s := &a.Limits[d]
			h := &b.headers[d]
			headers = headers || s.Present()
			if s.Flags&ratelimit.HasRemaining != 0 {
				h.remaining.Add(a.SentS, float64(s.Remaining))
			}
			if s.Flags&ratelimit.HasLimit != 0 {
				h.limit.Add(a.SentS, float64(s.Limit))
			}
			if s.Flags&ratelimit.HasWindow != 0 && h.windowS == 0 {
				h.windowS = s.Window.Seconds()
			}
		}
		if headers {
			t.WithHeaders++
		}
	}
	if a.Strategy != "" {
		b.addStrategy(a, first, outcome)
	}
}

// addStrategy folds a compare attempt into its strategy entry and tracks its logical request.
//
// A logical request starts at attempt 1's scheduled time and ends with its final attempt (Final
// set, or any success). Its completion latency is end of the final attempt − start.
func (b *Builder) addStrategy(a *record.Attempt, first bool, outcome string) {
	k := stratKey{a.Strategy, a.Mode, a.Fleet}
	acc := b.strategies[k]
	if acc == nil {
		acc = b.newStrat(k)
	}
	end := a.EndS()
	if !acc.hasEnd || end > acc.lastEnd {
		acc.lastEnd, acc.hasEnd = end, true
	}
	ok := outcome == record.OutcomeOK && !a.ClientRejected
	if a.ClientRejected {
		acc.clientRejected++
	} else {
		acc.attempts++
		acc.perSec.Add(a.SentS, 1)
		if a.Attempt > 1 {
			if acc.retries == nil {
				// Attempts reach the log when they end, so an earlier retry may still come.
				acc.retries = newSeriesFrom(a.SentS-retryOriginSlackS, retryBinWidth)
			}
			acc.retries.Add(a.SentS, 1)
		}
		switch outcome {
		case record.OutcomeOK:
			acc.okN++
			acc.okInput += a.InputTokens
			acc.okOutput += a.OutputTokens
		case record.OutcomeRateLimited:
			acc.rateLimited++
		case record.OutcomeOverloaded:
			acc.overloaded++
		default:
			acc.errors++
		}
	}

	final := a.Final || ok
	start, known := a.ScheduledS, first
	if first {
		acc.requests++
		if !acc.hasSched || a.ScheduledS < acc.firstSched {
			acc.firstSched, acc.hasSched = a.ScheduledS, true
		}
		if !final {
			b.open[a.Request] = a.ScheduledS
		}
	} else {
		start, known = b.open[a.Request]
		if final {
			delete(b.open, a.Request)
		}
	}
	if !final {
		return
	}
	if !ok {
		acc.failed++
		return
	}
	acc.succeeded++
	if known {
		acc.latency.Record(end - start)
	}
	c := acc.clients[a.Client]
	if c == nil {
		c = &clientAcc{}
		acc.clients[a.Client] = c
	}
	c.succeeded++
	c.lastEnd = math.Max(c.lastEnd, end)
}

func (b *Builder) newStrat(k stratKey) *stratAcc {
	acc := &stratAcc{key: k, order: len(b.run.Segments), perSec: newSeries(aggSum), clients: make(map[int]*clientAcc)}
	for i, sg := range b.run.Segments {
		if sg.Strategy == k.name && sg.Mode == k.mode && sg.Clients == k.fleet {
			acc.order, acc.segStart, acc.hasSeg, acc.params = i, sg.StartS, true, sg.Params
			break
		}
	}
	b.strategies[k] = acc
	return acc
}

// sortedStrategies returns the entries in segment order, then by name, mode and client count.
func (b *Builder) sortedStrategies() []*stratAcc {
	accs := make([]*stratAcc, 0, len(b.strategies))
	for _, acc := range b.strategies {
		accs = append(accs, acc)
	}
	slices.SortFunc(accs, func(x, y *stratAcc) int {
		return cmp.Or(cmp.Compare(x.order, y.order), cmp.Compare(x.key.name, y.key.name),
			cmp.Compare(x.key.mode, y.key.mode), cmp.Compare(x.key.fleet, y.key.fleet))
	})
	return accs
}

// start is the entry's makespan origin: its segment's start, else its first scheduled request.
func (acc *stratAcc) start() (float64, bool) {
	if acc.hasSeg {
		return acc.segStart, true
	}
	return acc.firstSched, acc.hasSched
}
