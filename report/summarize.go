package report

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"

	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// Summary returns summary.json for everything added so far. Calling it does not change the Builder.
func (b *Builder) Summary() *summary.Summary {
	run := b.run
	res := b.analyzer.Result()
	s := &summary.Summary{
		Schema:      summary.Schema,
		ToolVersion: run.ToolVersion,
		Seed:        run.Seed,
		Command:     run.Command,
		Target: summary.Target{API: run.Target.API, URL: run.Target.URL, Model: run.Target.Model,
			Embedded: run.Target.Embedded, Simulated: run.Target.Simulated},
		Totals:     b.totals,
		Limits:     res.Limits,
		Binding:    res.Binding,
		Strategies: []summary.Strategy{},
	}
	if s.Limits == nil {
		s.Limits = []summary.Limit{}
	}
	applyPlan(s, run.Plan)
	s.Totals.Dropped = run.Dropped
	s.Totals.Late = run.Late
	if w, ok := wallSeconds(run); ok {
		s.Totals.DurationS = ptr(round(w, 3))
	}
	if v, n := virtualSeconds(run); n > 0 {
		s.Totals.VirtualS = ptr(round(v, 3))
	}
	s.Totals.TimelineS = round(run.DurationS, 3)
	s.Totals.Partial = run.Partial
	s.Totals.StopReason = run.StopReason
	s.Totals.ErrorKinds = b.errors.kinds()
	s.Totals.ByMode = []summary.ModeTotals{}
	for i, mode := range []string{record.ModeLive, record.ModeSim} {
		if mt := b.modes[i].totals(mode); mt != nil {
			s.Totals.ByMode = append(s.Totals.ByMode, *mt)
		}
	}
	if sm := b.stream.summary(); sm != nil {
		s.Streaming = sm
		failed := sm.Failed
		s.Totals.StreamErrors = &failed
	}
	s.Totals.LiveAttempts, s.Totals.SimulatedAttempts = b.modes[modeLive].t.Attempts, b.modes[modeSim].t.Attempts
	if b.okLatencyN > 0 {
		n := float64(b.okLatencyN)
		s.Totals.MeanOKLatencyS = ptr(roundSig(b.okLatencySum/n, 4))
		s.Totals.MeanInputTokens = ptr(round(float64(b.okInput)/n, 1))
		s.Totals.MeanOutputTokens = ptr(round(float64(b.okOutput)/n, 1))
	}
	if acc := res.Accounting; acc.OutputPrecharged != nil || acc.RejectedCount != nil ||
		acc.MeanInputTokens != 0 || acc.MeanOutputTokens != 0 || acc.Evidence != "" {
		s.Accounting = &acc
	}
	bounds := b.boundLimits(res)
	boundRes := res // the bound trusts the embedded mock's configuration over inference
	boundRes.Accounting = knownAccounting(run, res.Accounting)
	for _, acc := range b.sortedStrategies() {
		s.Strategies = append(s.Strategies, b.strategy(acc, bounds, boundRes))
	}
	rankStrategies(s.Strategies)
	s.Discovery = b.discovery.summary(run)
	s.Findings = append(append([]string{}, res.Findings...), b.findings(s)...)
	if f := discoveryFinding(s.Discovery); f != "" {
		s.Findings = append(s.Findings, f)
	}
	s.Observed = b.observed.summary(s)
	s.Findings = append(s.Findings, observedFindings(s.Observed)...)
	s.Findings = append(s.Findings, streamFindings(s)...)
	s.Partial = run.Partial
	s.Recommendation = headline(run, s)
	s.Thresholds = thresholds(run.Thresholds, s)
	return s
}

// strategy turns an accumulator into its summary entry.
func (b *Builder) strategy(acc *stratAcc, bounds []boundLimit, res infer.Result) summary.Strategy {
	st := summary.Strategy{
		Name: acc.key.name, Mode: acc.key.mode, Clients: acc.key.fleet, Params: acc.params,
		Requests: acc.requests, Succeeded: acc.succeeded, Failed: acc.failed,
		Attempts: acc.attempts, ClientRejected: acc.clientRejected, RateLimited: acc.rateLimited,
		Overloaded: acc.overloaded, Errors: acc.errors,
		PeakAttemptsPerSecond: round(acc.perSec.PeakRate(), 3),
	}
	if acc.retries != nil {
		st.PeakRetriesPerSecond = round(acc.retries.PeakRate(), 3)
		st.PeakRetriesPer100ms = round(acc.retries.PeakRate()*retryBinWidth, 3)
	}
	if st.Params == nil {
		st.Params = map[string]any{}
	}
	st.Unfinished = max(0, acc.requests-acc.succeeded-acc.failed)
	reasons := acc.reasons.list()
	if st.Unfinished > 0 {
		reasons = append(reasons, summary.Reason{Reason: unfinishedReason(b.run), Count: st.Unfinished})
		slices.SortStableFunc(reasons, func(x, y summary.Reason) int { return cmp.Compare(y.Count, x.Count) })
	}
	st.FailureReasons = reasons
	if acc.requests > 0 {
		st.Amplification = ptr(round(float64(acc.attempts)/float64(acc.requests), 4))
	}
	if acc.okN > 0 {
		st.MeanInputTokens = ptr(round(float64(acc.okInput)/float64(acc.okN), 1))
		st.MeanOutputTokens = ptr(round(float64(acc.okOutput)/float64(acc.okN), 1))
	}
	start, hasStart := acc.start()
	if hasStart && acc.hasEnd {
		makespan := math.Max(0, acc.lastEnd-start)
		st.MakespanSeconds = ptr(round(makespan, 3))
		// Below the millisecond the table shows, a makespan is no time to divide by: a
		// simulated burst served at once would report billions of requests a second.
		if makespan >= minRateSpan {
			st.GoodputPerSecond = ptr(roundSig(float64(acc.succeeded)/makespan, 4))
			st.Fairness = fairness(acc, start)
		}
	}
	if acc.latency.Count() > 0 {
		h := &acc.latency
		st.Latency = &summary.Latency{P50: roundSig(h.Quantile(0.50), 4), P95: roundSig(h.Quantile(0.95), 4),
			P99: roundSig(h.Quantile(0.99), 4), Max: round(h.Max(), 6)}
	}
	acc.stream.fill(&st)
	if lb, dim, ok := lowerBound(acc, bounds, res, b.run.Workload.MaxTokens, st.Clients); ok {
		st.MakespanLowerBoundSeconds, st.LowerBoundDimension = ptr(round(lb, 3)), dim
	}
	return st
}

// minRateSpan is the shortest makespan, in seconds, that rates per second are derived from.
const minRateSpan = 0.001

// fairness is Jain's index over the clients' goodput:
//
//	J = (Σ xᵢ)² / (n · Σ xᵢ²),  xᵢ = succeededᵢ / (last completionᵢ − segment start)
//
// n counts every client of the segment (those that never succeeded contribute xᵢ = 0). J is 1
// when every client got the same goodput and 1/n when one client got it all. Each client's own
// completion time is used, so a strategy that serves some clients much later than others scores
// lower even when every client eventually finishes its K requests. Open-arrival traffic (one
// pseudo-client) has no fairness: nil.
func fairness(acc *stratAcc, start float64) *float64 {
	n := max(acc.key.fleet, len(acc.clients))
	if n == 0 || (acc.key.fleet == 0 && len(acc.clients) < 2) {
		return nil
	}
	ids := make([]int, 0, len(acc.clients))
	for id := range acc.clients {
		ids = append(ids, id)
	}
	slices.Sort(ids) // fixed summation order: byte-identical results
	var sum, sumSq float64
	for _, id := range ids {
		c := acc.clients[id]
		span := c.lastEnd - start
		if span <= 0 || c.succeeded == 0 {
			continue
		}
		x := float64(c.succeeded) / span
		sum += x
		sumSq += x * x
	}
	if sum == 0 {
		return nil
	}
	return ptr(round(sum*sum/(float64(n)*sumSq), 4))
}

// knownAccounting returns acc with what the embedded mock's configuration (run.json's mock)
// says for certain in place of the inferred: whether rejected attempts consume quota
// (count_rejected) and whether output tokens are charged at max_tokens up front
// (output_accounting: max_tokens). Without a mock configuration acc is returned as inferred.
func knownAccounting(run *record.Run, acc summary.Accounting) summary.Accounting {
	if len(run.Mock) == 0 {
		return acc
	}
	var cfg struct {
		CountRejected    *bool   `json:"count_rejected"`
		OutputAccounting *string `json:"output_accounting"`
	}
	if json.Unmarshal(run.Mock, &cfg) != nil {
		return acc
	}
	if cfg.CountRejected != nil {
		acc.RejectedCount = cfg.CountRejected
	}
	if cfg.OutputAccounting != nil {
		pre := *cfg.OutputAccounting == "max_tokens"
		acc.OutputPrecharged = &pre
	}
	return acc
}

// boundLimit is one enforced limit usable for a makespan lower bound.
type boundLimit struct {
	dimension string
	perMinute float64
	burst     float64 // in the dimension's units: what can be admitted at once from rest
}

// boundLimits returns the limits a makespan lower bound is computed from: the limits known in
// advance (the embedded mock's configuration) when run.json has them, else the inferred ones
// with an effective rate and a burst. An inferred rate is taken at the top of its interval
// (effective_high), so estimation noise cannot make the bound claim more than the evidence
// supports. Window algorithms can admit up to two windows' quota around a window boundary, so
// for fixed-window and sliding-window (counter) the burst is doubled; sliding-log and the
// buckets admit at most one.
func (b *Builder) boundLimits(res infer.Result) []boundLimit {
	var out []boundLimit
	if len(b.run.Known) > 0 {
		for _, k := range b.run.Known {
			if k.PerMinute > 0 {
				out = append(out, boundLimit{k.Dimension, k.PerMinute, windowBurst(k.Algorithm, float64(k.Burst))})
			}
		}
		return out
	}
	for _, l := range res.Limits {
		rate := l.EffectiveHigh
		if rate == nil {
			rate = l.EffectivePerMinute
		}
		if rate == nil || *rate <= 0 || l.Burst == nil {
			continue
		}
		out = append(out, boundLimit{l.Dimension, *rate, windowBurst(l.Algorithm, *l.Burst)})
	}
	return out
}

func windowBurst(algorithm string, burst float64) float64 {
	switch algorithm {
	case summary.AlgoFixedWindow, summary.AlgoSlidingWindow:
		return 2 * burst
	}
	return burst
}

// lowerBound is the shortest makespan the limits allow for the entry's workload:
//
//	bound = max over limits d of (N·c_d − burst_d) / (rate_d / 60),  floored at 0
//
// with N the logical requests the limits admitted — those that succeeded: a request its strategy
// gave up on consumed nothing, so a strategy that drops work cannot "beat" the bound — and c_d
// the cost of one request in d's units (1 for requests, plus the entry's 429s per success when
// rejected attempts consume quota; the entry's mean input/output tokens per successful attempt
// for token dimensions, or the request's max_tokens when the server pre-charges output). When
// every request succeeds N is the entry's requests. Each term alone is a valid bound, so a
// dimension whose per-request cost is unknown is skipped. It reports the dimension of the
// largest term. The workers give a bound of their own: each serves one request at a time, so
// the makespan is at least the time the successful attempts took (sending to their last byte)
// shared among the clients; when that is the largest term the dimension is "workers".
func lowerBound(acc *stratAcc, bounds []boundLimit, res infer.Result, maxTokens int64, clients int) (float64, string, bool) {
	best, dim, ok := 0.0, "", false
	n := float64(acc.succeeded)
	reqUnits := n
	if p := res.Accounting.RejectedCount; p != nil && *p {
		reqUnits += float64(acc.rateLimited)
	}
	var in, out float64
	if acc.okN > 0 {
		in = float64(acc.okInput) / float64(acc.okN)
		out = float64(acc.okOutput) / float64(acc.okN)
	}
	if p := res.Accounting.OutputPrecharged; p != nil && *p && maxTokens > 0 {
		out = float64(maxTokens)
	}
	for _, l := range bounds {
		var c float64
		switch l.dimension {
		case "requests":
			c = 1
			if n > 0 {
				c = reqUnits / n
			}
		case "input_tokens":
			c = in
		case "output_tokens":
			c = out
		case "tokens":
			c = in + out
		}
		if c <= 0 {
			continue
		}
		v := math.Max(0, (n*c-l.burst)/(l.perMinute/60))
		if !ok || v > best {
			best, dim, ok = v, l.dimension, true
		}
	}
	if ok && clients > 0 {
		if v := acc.okBusy / float64(clients); v > best {
			best, dim = v, WorkersBound
		}
	}
	return best, dim, ok
}

// WorkersBound is the lower_bound_dimension of a makespan bound set by the clients' own
// reply times rather than by a limit.
const WorkersBound = "workers"

// rankStrategies sets Rank within each group of the same mode and client count: entries that
// completed every request first, then by the share of requests not served (fewest first), each
// part by shortest makespan to three significant digits (unknown last), then fewer attempts,
// then name. A strategy that gives up on requests can finish sooner than one that serves them
// all, or more of them; it does not outrank it.
func rankStrategies(sts []summary.Strategy) {
	type group struct {
		mode    string
		clients int
	}
	members := map[group][]int{}
	for i, s := range sts {
		g := group{s.Mode, s.Clients}
		members[g] = append(members[g], i)
	}
	for _, idx := range members {
		slices.SortFunc(idx, func(a, b int) int { return compareStrategies(&sts[a], &sts[b]) })
		for r, i := range idx {
			sts[i].Rank = r + 1
		}
	}
}

func compareStrategies(a, b *summary.Strategy) int {
	am, bm := math.Inf(1), math.Inf(1)
	// Makespans equal to the three significant digits the tables show are a tie, which fewer
	// attempts break: a fleet that hammers the server for the same finish does not rank first.
	if a.MakespanSeconds != nil {
		am = roundSig(*a.MakespanSeconds, 3)
	}
	if b.MakespanSeconds != nil {
		bm = roundSig(*b.MakespanSeconds, 3)
	}
	return cmp.Or(-cmpBool(complete(a), complete(b)), cmp.Compare(unserved(a), unserved(b)),
		cmp.Compare(am, bm), cmp.Compare(a.Attempts, b.Attempts), cmp.Compare(a.Name, b.Name))
}

// unserved is the share of a strategy's requests given up or unfinished, to three significant
// digits (the tables' precision), so that near-equal shares leave the order to the makespan.
func unserved(s *summary.Strategy) float64 {
	if s.Requests <= 0 {
		return 1
	}
	return roundSig(float64(s.Failed+s.Unfinished)/float64(s.Requests), 3)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
