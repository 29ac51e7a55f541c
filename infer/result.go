package infer

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/summary"
)

// Result is the full inference of a run.
type Result struct {
	Limits     []summary.Limit    `json:"limits"`
	Binding    *summary.Binding   `json:"binding"`
	Accounting summary.Accounting `json:"accounting"`
	// Findings are plain-language sentences for the report, most important first.
	Findings []string `json:"findings,omitempty"`
}

// maxCompareTimelines bounds how many compare timelines are fitted when the probe timeline
// gives no estimate (the ones with the most refusals).
const maxCompareTimelines = 8

// Result returns the inference over everything added so far. Calling it does not change what
// later calls return for the same attempts.
//
// Each dimension is inferred per timeline; the figures come from the probe timeline when it
// determines them, else from the compare timeline with the narrowest interval (each compare
// segment starts from a fresh budget, so mixing their attempts would be wrong). The evidence
// says which timeline the figures came from.
func (a *Analyzer) Result() Result {
	var res Result
	if a.attempts == 0 {
		return res
	}
	if a.okUsage > 0 {
		res.Accounting.MeanInputTokens = round(a.inSum/float64(a.okUsage), 1)
		res.Accounting.MeanOutputTokens = round(a.outSum/float64(a.okUsage), 1)
	}
	dims := []ratelimit.Dimension{ratelimit.Requests}
	for _, d := range []ratelimit.Dimension{ratelimit.Tokens, ratelimit.InputTokens, ratelimit.OutputTokens} {
		if a.headerDims[d] {
			dims = append(dims, d)
		}
	}
	// Timelines in analysis order: the probe one first, then compare ones by refusals.
	var probeTL *timeline
	var compares []*timeline
	for _, tl := range a.timelines {
		if tl.compare {
			compares = append(compares, tl)
		} else {
			probeTL = tl
		}
	}
	slices.SortStableFunc(compares, func(x, y *timeline) int { return cmp.Compare(refusals(y), refusals(x)) })
	if len(compares) > maxCompareTimelines {
		compares = compares[:maxCompareTimelines]
	}
	cache := map[*timeline]*tlAnalysis{}
	analysis := func(tl *timeline) *tlAnalysis {
		if ta := cache[tl]; ta != nil {
			return ta
		}
		ta := a.analyzeTimeline(tl)
		cache[tl] = ta
		return ta
	}
	var limits []dimChoice
	for _, d := range dims {
		var cands []*dimResult
		if probeTL != nil {
			cands = append(cands, analysis(probeTL).dim(a, d))
		}
		if len(cands) == 0 || !cands[0].determined() {
			// Compare timelines, most refusals first, until three give an estimate.
			determined := 0
			for _, tl := range compares {
				r := analysis(tl).dim(a, d)
				cands = append(cands, r)
				if r.determined() {
					if determined++; determined == 3 {
						break
					}
				}
			}
		}
		if len(cands) == 0 {
			continue
		}
		limits = append(limits, a.choose(d, cands))
	}
	a.assemble(&res, limits)
	return res
}

func refusals(tl *timeline) int {
	n := 0
	for i := range tl.events {
		if tl.events[i].out == outLimit {
			n++
		}
	}
	return n
}

// tlAnalysis holds one timeline's per-dimension results, computed on demand.
type tlAnalysis struct {
	tl   *timeline
	c    costs
	attr []uint8
	cr   bool // refusals consume quota (decided on requests)
	dims map[ratelimit.Dimension]*dimResult
}

func (a *Analyzer) analyzeTimeline(tl *timeline) *tlAnalysis {
	tl.trim() // the kept prefix: at most perTimelineEvents
	ta := &tlAnalysis{tl: tl, c: costsOf(tl, a.workloadPrompt()), dims: map[ratelimit.Dimension]*dimResult{}}
	ta.attr = attribute(tl, ta.c)
	return ta
}

func (ta *tlAnalysis) dim(a *Analyzer, d ratelimit.Dimension) *dimResult {
	if r := ta.dims[d]; r != nil {
		return r
	}
	if d != ratelimit.Requests {
		ta.dim(a, ratelimit.Requests) // decides cr first
	}
	r := a.analyzeDim(ta.tl, d, ta.c, ta.attr, ta.cr)
	if d == ratelimit.Requests {
		if c := rejectedCount(&r); c != nil && *c {
			ta.cr = true
			// The header refill line must count refusals too.
			if r.hs.n > 0 {
				r.ref, r.refOK = headerRefill(ta.tl, d, r.hs, chargeFunc(d, false, true, false), nil)
				if r.best != nil && classOf(r.best.model) != summary.AlgoTokenBucket {
					r.refOK = false
				}
			}
		}
	}
	ta.dims[d] = &r
	return &r
}

// dimChoice is the result chosen for one dimension and the alternatives it was chosen from.
type dimChoice struct {
	d      ratelimit.Dimension
	r      *dimResult
	all    []*dimResult
	agreed int // other determined timelines whose interval overlaps the chosen one
	others int // other determined timelines
}

// choose picks the probe timeline's result when determined, else the determined compare result
// with the narrowest interval; with none determined, the first result (for its headers).
func (a *Analyzer) choose(d ratelimit.Dimension, cands []*dimResult) dimChoice {
	ch := dimChoice{d: d, r: cands[0], all: cands}
	if !cands[0].determined() {
		best := math.Inf(1)
		for _, c := range cands[1:] {
			if w := c.width(); c.determined() && w < best {
				ch.r, best = c, w
			}
		}
	}
	lo, hi, _, ok := ch.r.interval()
	if ok {
		for _, c := range cands {
			if c == ch.r || !c.determined() {
				continue
			}
			ch.others++
			if l, h, _, _ := c.interval(); l <= hi && lo <= h {
				ch.agreed++
			}
		}
	}
	return ch
}

// rejectedCount decides from the requests fits whether refused attempts consume quota: the
// best model with that accounting must explain the data clearly better than without it (or
// clearly worse). Fixed windows cannot tell (a refusal only happens in a full window).
func rejectedCount(r *dimResult) *bool {
	if r.best == nil || r.best.model == "fw" || r.best.model == "fr" {
		return nil
	}
	var other *fit
	for i := range r.fits {
		f := &r.fits[i]
		if f.model == r.best.model && f.cr != r.best.cr {
			other = f
			break
		}
	}
	if other == nil {
		return nil
	}
	margin := max(3, 2*tolerance(r.n, r.refused))
	if other.m < r.best.m+margin {
		return nil
	}
	v := r.best.cr
	return &v
}

// classify returns the algorithm class of the best fit, or unknown when the fit is poor or a
// different class explains the data about as well.
func classify(r *dimResult) (class, rival string) {
	if r.best == nil || !r.best.ok {
		return summary.AlgoUnknown, ""
	}
	b := r.best
	if r.leaky {
		// Delays that grow with the backlog, as the bucket predicts, rule out every limiter
		// that refuses without delaying.
		return summary.AlgoLeakyBucket, ""
	}
	if rivals := rivalsOf(r); len(rivals) > 0 {
		return summary.AlgoUnknown, classOf(rivals[0].model)
	}
	return classOf(b.model), ""
}

// rivalsOf returns the fits of another class than the best that explain the attempts about
// as well (within max(3, twice the tolerance) mispredictions) and whose reset instants the
// headers do not contradict (resetContradicts, rateContradicts).
func rivalsOf(r *dimResult) []*fit {
	return closeFits(r, func(f *fit) bool { return !equivalent(f, r.best) && !resetContradicts(r, f) && !rateContradicts(r, f) })
}

// closeFits returns the fits other than the best, kept by keep, that explain the attempts
// about as well as it (within max(3, twice the tolerance) mispredictions).
func closeFits(r *dimResult, keep func(*fit) bool) []*fit {
	return fitsWithin(r, max(3, 2*tolerance(r.n, r.refused)), keep)
}

// plausibleFits returns the fits other than the best, kept by keep, that the attempts cannot
// rule out: within closeFits' margin or √refusals mispredictions of the best, whichever is
// more. A few mispredictions among few refusals tell little (a counter of 600 per 58.9 s
// predicted 53 refusals of a 600-per-60-s one exactly, the true one only four fewer than
// another rounding), so the interval holds what they say too.
func plausibleFits(r *dimResult, keep func(*fit) bool) []*fit {
	return fitsWithin(r, max(3, 2*tolerance(r.n, r.refused), int(math.Ceil(math.Sqrt(float64(r.refused))))), keep)
}

func fitsWithin(r *dimResult, margin int, keep func(*fit) bool) []*fit {
	if r.best == nil {
		return nil
	}
	b := r.best
	var out []*fit
	for i := 1; i < len(r.fits); i++ {
		f := &r.fits[i]
		if f.m < b.m+margin && f.rate > 0 && keep(f) {
			out = append(out, f)
		}
	}
	return out
}

func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// roundRate rounds a rate for summary.json: two decimals, or five significant digits for rates
// below 1.
func roundRate(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	if math.Abs(x) >= 1 {
		return round(x, 2)
	}
	mag := math.Floor(math.Log10(math.Abs(x)))
	return round(x, int(4-mag))
}

// ptr points at x, or is nil when x is not finite: an unbounded interval end (too few
// attempts to bound the rate) is unknown, null in summary.json, which JSON needs anyway.
func ptr(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

// fmtNum writes a figure for a sentence: thousands separated, at most two decimals, trailing
// zeros dropped.
func fmtNum(x float64) string {
	if math.Abs(x) >= 999.95 { // what rounds to 1000.0 takes the thousands separator too
		s := fmt.Sprintf("%.0f", math.Round(x))
		neg := s[0] == '-'
		if neg {
			s = s[1:]
		}
		var out []byte
		for i, c := range []byte(s) {
			if i > 0 && (len(s)-i)%3 == 0 {
				out = append(out, ',')
			}
			out = append(out, c)
		}
		if neg {
			return "-" + string(out)
		}
		return string(out)
	}
	var s string
	switch {
	case math.Abs(x) >= 100:
		s = fmt.Sprintf("%.1f", x)
	case math.Abs(x) >= 1:
		s = fmt.Sprintf("%.2f", x)
	default:
		s = fmt.Sprintf("%.3g", x)
	}
	for len(s) > 1 && s[len(s)-1] == '0' && containsDot(s) {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func containsDot(s string) bool {
	for i := range len(s) {
		if s[i] == '.' {
			return true
		}
	}
	return false
}
