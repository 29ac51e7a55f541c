package report

import (
	"cmp"
	"math"
	"slices"

	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// Builder computes a summary.Summary and the chart data from a run's attempts in one streaming pass. Feed
// it every attempt in log order with Add, then call Summary. Its memory is bounded by the run's
// length in seconds (per-second series of each segment, at most maxLabelSeries of them), its
// number of strategies × client counts, its clients, and the logical requests still waiting
// for a final attempt — never by the number of attempts.
type Builder struct {
	run      *record.Run
	analyzer analyzer

	totals summary.Totals
	// modes splits the totals into live HTTP attempts and simulated ones (modeLive, modeSim).
	modes [2]modeAcc
	// stream accumulates the streamed attempts of the whole run.
	stream streamAcc

	// Per-second series of each segment (attempt label), for the timeline and headers charts,
	// in the order their labels were first seen.
	series     map[string]*labelSeries
	seriesList []*labelSeries
	lastSeries *labelSeries // the previous attempt's: consecutive attempts share a label

	// okLatency sums successful HTTP attempts' latency (worker recommendation by Little's law).
	okLatencySum float64
	okLatencyN   int64
	okInput      int64 // tokens of successful HTTP attempts
	okOutput     int64

	errors errorTally

	discovery *discoveryAcc
	observed  *observedAcc

	strategies map[stratKey]*stratAcc
	// open maps a logical request awaiting its final attempt to its scheduled time (attempt 1's).
	open map[int64]float64
}

// Indexes of Builder.modes.
const (
	modeLive = iota
	modeSim
)

// modeIndex is the Builder.modes index of an attempt: simulated, or live (HTTP) otherwise.
func modeIndex(a *record.Attempt) int {
	if a.Mode == record.ModeSim {
		return modeSim
	}
	return modeLive
}

// modeAcc accumulates one mode's share of the totals.
type modeAcc struct {
	t            summary.ModeTotals
	okLatencySum float64
}

// maxLabelSeries bounds the segments a Builder keeps time series of (a run writes tens).
const maxLabelSeries = 1000

// labelSeries is what happened in one segment of the run (the attempts of one label), second
// by second from its first attempt: its bins start at the segment's start when run.json names
// it by then, else at the first attempt seen.
type labelSeries struct {
	label, mode                                string
	sent, accepted, limited, failed, scheduled *Series
	// headers holds, per dimension, what the rate-limit headers said; nil until one did.
	headers    [ratelimit.NumDimensions]*headerSeries
	headersAny bool
	first      float64 // earliest time seen
	last       float64 // latest end seen
}

// headerSeries is what the rate-limit headers said about one dimension over time.
type headerSeries struct {
	remaining *Series // minimum remaining per bin
	limit     *Series // maximum advertised limit per bin
	windowS   float64 // a window the dialect stated (IETF w=), 0 when none
}

// seriesOf returns the series of a's label, starting them on its first attempt.
func (b *Builder) seriesOf(a *record.Attempt) *labelSeries {
	if ls := b.lastSeries; ls != nil && ls.label == a.Run {
		return ls
	}
	if ls := b.series[a.Run]; ls != nil {
		b.lastSeries = ls
		return ls
	}
	if len(b.series) >= maxLabelSeries {
		// A log with more segments than any run writes (hand-made or corrupt): the rest share
		// one series per mode, so memory stays bounded.
		other := "(other segments)"
		if a.Mode == record.ModeSim {
			other += " sim"
		}
		if ls := b.series[other]; ls != nil {
			return ls
		}
		return b.newLabelSeries(other, a)
	}
	return b.newLabelSeries(a.Run, a)
}

// newLabelSeries starts the series of label on its first attempt a.
func (b *Builder) newLabelSeries(label string, a *record.Attempt) *labelSeries {
	origin := record.Seconds(min(a.Scheduled, a.Sent))
	for _, sg := range b.run.Segments {
		if sg.Label == label && sg.StartS <= origin && (sg.EndS >= sg.StartS || sg.EndS == 0) {
			origin = sg.StartS
			break
		}
	}
	mode := a.Mode
	if mode != record.ModeSim {
		mode = record.ModeLive
	}
	ls := &labelSeries{label: label, mode: mode, first: origin, last: origin,
		sent: newSeriesAt(origin, aggSum), accepted: newSeriesAt(origin, aggSum), limited: newSeriesAt(origin, aggSum),
		failed: newSeriesAt(origin, aggSum), scheduled: newSeriesAt(origin, aggSum)}
	b.series[label] = ls
	b.seriesList = append(b.seriesList, ls)
	b.lastSeries = ls
	return ls
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
	okBusy                                                    float64 // Σ seconds from sending to the end of each successful attempt

	reasons reasonTally // why requests ended unsucceeded
	latency Histogram
	perSec  *Series
	retries *Series // retries per 100 ms from shortly before the first; nil until one
	clients map[int]*clientAcc
	stream  streamAcc
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

// analyzer is what a Builder needs of infer; tests substitute a fixed inference so the
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
		strategies: make(map[stratKey]*stratAcc),
		open:       make(map[int64]float64),
		discovery:  newDiscoveryAcc(),
		observed:   newObservedAcc(),
		series:     make(map[string]*labelSeries),
	}
	return b
}

// Add feeds one attempt, in log order. The attempt is not retained.
func (b *Builder) Add(a *record.Attempt) {
	b.analyzer.Add(a)
	b.discovery.add(a)
	b.observed.add(a)
	t := &b.totals
	m := &b.modes[modeIndex(a)]
	ls := b.seriesOf(a)
	sent := record.Seconds(a.Sent)
	ls.first = math.Min(ls.first, record.Seconds(min(a.Scheduled, a.Sent)))
	ls.last = math.Max(ls.last, record.Seconds(a.End()))
	first := a.Number <= 1
	if first {
		t.Requests++
		m.t.Requests++
		ls.scheduled.Add(record.Seconds(a.Scheduled), 1)
	}
	outcome := a.Outcome()
	b.errors.add(a)
	if a.ClientRejected {
		t.ClientRejected++
		m.t.ClientRejected++
	} else {
		t.Attempts++
		m.add(a, outcome)
		ls.sent.Add(sent, 1)
		switch outcome {
		case record.OutcomeOK:
			t.OK++
			ls.accepted.Add(sent, 1)
			b.okLatencySum += record.Seconds(a.Latency)
			b.okLatencyN++
			b.okInput += a.InputTokens
			b.okOutput += a.OutputTokens
		case record.OutcomeRateLimited:
			t.RateLimited++
			ls.limited.Add(sent, 1)
		case record.OutcomeOverloaded:
			t.Overloaded++
			ls.failed.Add(sent, 1)
		case record.OutcomeStreamError:
			ls.failed.Add(sent, 1)
		default:
			t.Errors++
			ls.failed.Add(sent, 1)
		}
		t.InputTokens += a.InputTokens
		t.OutputTokens += a.OutputTokens
		headers := false
		for d := range a.Limits {
			s := &a.Limits[d]
			if !s.Present() {
				continue
			}
			headers = true
			h := ls.headers[d]
			if h == nil {
				h = &headerSeries{remaining: newSeriesAt(ls.sent.Origin(), aggMin), limit: newSeriesAt(ls.sent.Origin(), aggMax)}
				ls.headers[d] = h
				ls.headersAny = true
			}
			if s.Flags&ratelimit.HasRemaining != 0 {
				h.remaining.Add(sent, float64(s.Remaining))
			}
			if s.Flags&ratelimit.HasLimit != 0 {
				h.limit.Add(sent, float64(s.Limit))
			}
			if s.Flags&ratelimit.HasWindow != 0 && h.windowS == 0 {
				h.windowS = s.Window.Seconds()
			}
		}
		if headers {
			t.WithHeaders++
		}
		b.stream.add(a)
	}
	if a.Strategy != "" {
		b.addStrategy(a, first, outcome)
	}
}

// add counts a sent attempt (not a client rejection) of the mode.
func (m *modeAcc) add(a *record.Attempt, outcome string) {
	t := &m.t
	t.Attempts++
	switch outcome {
	case record.OutcomeOK:
		t.OK++
		m.okLatencySum += record.Seconds(a.Latency)
	case record.OutcomeRateLimited:
		t.RateLimited++
	case record.OutcomeOverloaded:
		t.Overloaded++
	case record.OutcomeStreamError:
		t.StreamErrors++
	default:
		t.Errors++
	}
	t.InputTokens += a.InputTokens
	t.OutputTokens += a.OutputTokens
}

// totals returns the mode's totals with its mean response time, nil when it has no record.
func (m *modeAcc) totals(mode string) *summary.ModeTotals {
	if m.t.Attempts == 0 && m.t.ClientRejected == 0 && m.t.Requests == 0 {
		return nil
	}
	t := m.t
	t.Mode = mode
	if t.OK > 0 {
		t.MeanOKLatencyS = ptr(roundSig(m.okLatencySum/float64(t.OK), 4))
	}
	return &t
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
	end := record.Seconds(a.End())
	if !acc.hasEnd || end > acc.lastEnd {
		acc.lastEnd, acc.hasEnd = end, true
	}
	ok := outcome == record.OutcomeOK && !a.ClientRejected
	if a.ClientRejected {
		acc.clientRejected++
	} else {
		acc.attempts++
		acc.perSec.Add(record.Seconds(a.Sent), 1)
		if a.Number > 1 {
			if acc.retries == nil {
				// Attempts reach the log when they end, so an earlier retry may still come.
				acc.retries = newSeriesFrom(record.Seconds(a.Sent)-retryOriginSlackS, retryBinWidth)
			}
			acc.retries.Add(record.Seconds(a.Sent), 1)
		}
		switch outcome {
		case record.OutcomeOK:
			acc.okN++
			acc.okBusy += record.Seconds(a.End() - a.Sent)
			acc.okInput += a.InputTokens
			acc.okOutput += a.OutputTokens
		case record.OutcomeRateLimited:
			acc.rateLimited++
		case record.OutcomeOverloaded:
			acc.overloaded++
		case record.OutcomeStreamError: // counted by acc.stream
		default:
			acc.errors++
		}
		acc.stream.add(a)
	}

	final := a.Final || ok
	start, known := record.Seconds(a.Scheduled), first
	if first {
		acc.requests++
		if !acc.hasSched || record.Seconds(a.Scheduled) < acc.firstSched {
			acc.firstSched, acc.hasSched = record.Seconds(a.Scheduled), true
		}
		if !final {
			b.open[a.Request] = record.Seconds(a.Scheduled)
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
		acc.reasons.add(giveUpReason(a, acc.params))
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
