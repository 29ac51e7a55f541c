package infer

import (
	"fmt"
	"math"
	"strings"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/summary"
)

// describe names a fitted model in words.
func describe(f *fit, class string, d ratelimit.Dimension) string {
	units := ""
	if d != ratelimit.Requests {
		units = " tokens"
	}
	switch {
	case class == summary.AlgoLeakyBucket:
		return fmt.Sprintf("a leaky bucket that admits %s%s at once and drains at %s%s/s, delaying what it queues",
			fmtNum(f.burst), units, fmtNum(f.rate), units)
	case f.model == "tb":
		return fmt.Sprintf("a token bucket of %s%s refilling at %s%s/s", fmtNum(f.burst), units, fmtNum(f.rate), units)
	case f.model == "fw":
		return fmt.Sprintf("a fixed window of %s%s per %s s", fmtNum(f.q), units, fmtNum(f.window))
	case f.model == "fr":
		return fmt.Sprintf("a fixed window of %s%s per %s s opened by the first request after the last one ended", fmtNum(f.q), units, fmtNum(f.window))
	case f.model == "sl":
		return fmt.Sprintf("a sliding log of %s%s in any %s s", fmtNum(f.q), units, fmtNum(f.window))
	case f.model == "sw" && f.rd != roundFloor:
		return fmt.Sprintf("a sliding window counter of %s%s per %s s window, the previous window's share %s", fmtNum(f.q), units, fmtNum(f.window), roundingNames[f.rd])
	case f.model == "sw":
		return fmt.Sprintf("a sliding window counter of %s%s per %s s window", fmtNum(f.q), units, fmtNum(f.window))
	case f.model == "sr":
		s := fmt.Sprintf("a sliding window counter of %s%s per %s s window, restarted by the first request after a window without any", fmtNum(f.q), units, fmtNum(f.window))
		if f.rd != roundFloor {
			s += ", the previous window's share " + roundingNames[f.rd]
		}
		return s
	}
	return "a limiter"
}

// evidence is one sentence saying where a limits[] entry's figures come from.
func (a *Analyzer) evidence(ch *dimChoice, class, rival string) string {
	r := ch.r
	var parts []string
	switch {
	case r.best != nil && r.best.ok:
		f := r.best
		if r.shaperOK {
			f = &r.shaper
		}
		s := fmt.Sprintf("%s fits %d attempts", capitalize(describe(f, class, r.d)), r.n)
		if f.m == 0 {
			s += " with no misprediction"
		} else {
			s += fmt.Sprintf(" (%d mispredicted)", f.m)
		}
		if f.cr {
			s += ", counting refused attempts against the quota"
		}
		if r.genS > 0 {
			s += fmt.Sprintf(", each reply's output charged as it was generated (%s s, median)", fmtNum(r.genS))
		}
		if r.shaperOK {
			s += fmt.Sprintf("; its delayed answers leave one every %s s while queued, so it drains at %s to %s/min",
				fmtNum(1/f.rate), fmtNum(f.lo*60), fmtNum(f.hi*60))
		} else {
			lo, hi, _, _ := r.interval()
			if others := closeFits(r, func(f *fit) bool { return f.ok }); len(others) > 0 && !r.leaky && rival == "" {
				o := others[0]
				s += fmt.Sprintf(", and %s (%s/min) about as well", describe(o, classOf(o.model), r.d), fmtNum(o.rate*60))
			}
			if math.IsInf(hi, 1) {
				s += fmt.Sprintf("; every rate from %s/min up fits, so behaviour gives only that lower bound", fmtNum(lo*60))
			} else {
				s += fmt.Sprintf("; rates from %s to %s/min fit", fmtNum(lo*60), fmtNum(hi*60))
			}
		}
		if rival != "" {
			s += fmt.Sprintf(", and a %s explains the attempts about as well, so the algorithm is left unknown", rival)
		}
		parts = append(parts, s)
	case r.best != nil && poorFit(r.best, r.n, r.refused):
		parts = append(parts, fmt.Sprintf("No limiter model explains the %d refusals among %d attempts (the closest, %s, mispredicts %d), so behaviour gives no rate",
			r.refused, r.n, describe(r.best, classOf(r.best.model), r.d), r.best.m))
	case r.best != nil:
		parts = append(parts, fmt.Sprintf("%d of %d attempts were refused, too few or too close together to pin the rate down (%s fits best)",
			r.refused, r.n, describe(r.best, classOf(r.best.model), r.d)))
	case r.n > 0 && r.refused == 0:
		// What was admitted is no lower bound on the rate: a burst into a full budget admits far
		// more in its second than the budget refills in a minute.
		units, span := admitted(r.tl, r.d)
		what := fmtNum(units)
		if r.d != ratelimit.Requests {
			what += " tokens"
		}
		over := "at once"
		if span > 0 {
			over = "over " + fmtNum(span) + " s"
		}
		parts = append(parts, fmt.Sprintf("No attempt was refused on %s, so behaviour gives no rate (%s admitted %s)",
			dimNames[r.d], what, over))
	}
	if r.refOK {
		s := fmt.Sprintf("remaining refilled at %s/min over %s s (%d header readings)", fmtNum(r.ref.rate*60), fmtNum(r.ref.span), r.ref.points)
		if r.best != nil && r.best.ok {
			if r.agree() {
				s += ", which agrees"
			} else {
				s += ", which disagrees: the headers describe another limit than the one enforced"
			}
		}
		parts = append(parts, s)
	} else if r.derived {
		parts = append(parts, "the tokens headers only restate input and output tokens (their sum, or the more restrictive of the two, on every reading), so they give no refill rate of their own: see input and output tokens")
	} else if r.hs.n > 0 && (r.best == nil || !r.best.ok) {
		parts = append(parts, "the headers never showed the budget refilling between full and empty")
	}
	if r.hs.n == 0 && r.d == ratelimit.Requests && r.refused > 0 {
		parts = append(parts, "no rate-limit headers, so refusals cannot be told apart by dimension")
	}
	if r.tl.compare {
		s := fmt.Sprintf("from compare segment %q, the probe segments giving no estimate", strings.TrimPrefix(r.tl.name, "compare:"))
		if ch.others > 0 {
			s += fmt.Sprintf(" (%d of %d other segments agree)", ch.agreed, ch.others)
		}
		parts = append(parts, s)
	}
	if r.tl.dropped > 0 {
		parts = append(parts, fmt.Sprintf("the first %d of %d attempts of the timeline were analysed", len(r.tl.events), r.tl.seen))
	}
	if len(parts) == 0 {
		return ""
	}
	return capitalize(strings.Join(parts, "; ")) + "."
}

// admitted is what a timeline's admitted attempts took in dimension d's units, and the seconds
// from the first of them to the last.
func admitted(tl *timeline, d ratelimit.Dimension) (units, span float64) {
	charge := chargeFunc(d, false, false, false)
	first, n := 0.0, 0
	for i := range tl.events {
		e := &tl.events[i]
		if e.out != outOK {
			continue
		}
		if n == 0 {
			first = e.t
		}
		units += charge(e)
		span = e.t - first
		n++
	}
	return units, span
}

// summarySentence is a finding summarizing one limits[] entry.
func summarySentence(l *summary.Limit) string {
	name := dimNames[dimIndex(l.Dimension)]
	unit := "/min"
	if l.Dimension != "requests" {
		unit = " tokens/min"
	}
	if l.EffectivePerMinute == nil {
		above := ""
		if l.EffectiveLow != nil && *l.EffectiveLow > 0 {
			above = fmt.Sprintf(" (the attempts show only that it is above %s%s)", fmtNum(*l.EffectiveLow), unit)
		}
		if l.AdvertisedPerMinute != nil {
			return fmt.Sprintf("%s: advertised %s%s; the effective limit could not be measured%s.", capitalize(name), fmtNum(*l.AdvertisedPerMinute), unit, above)
		}
		if above != "" {
			return fmt.Sprintf("%s: the effective limit could not be measured%s.", capitalize(name), above)
		}
		return ""
	}
	s := fmt.Sprintf("%s: enforced %s%s", capitalize(name), fmtNum(*l.EffectivePerMinute), unit)
	if l.EffectiveLow != nil && l.EffectiveHigh != nil {
		s += fmt.Sprintf(" (%s–%s)", fmtNum(*l.EffectiveLow), fmtNum(*l.EffectiveHigh))
	}
	switch l.Algorithm {
	case summary.AlgoTokenBucket, summary.AlgoLeakyBucket:
		s += " by a " + strings.ReplaceAll(l.Algorithm, "-", " ")
		if l.Burst != nil {
			s += fmt.Sprintf(" admitting bursts of %s", fmtNum(*l.Burst))
		}
	case summary.AlgoFixedWindow, summary.AlgoSlidingWindow:
		s += " by a " + strings.ReplaceAll(l.Algorithm, "-", " ")
		if l.WindowSeconds != nil && l.Burst != nil {
			s += fmt.Sprintf(" of %s per %s s", fmtNum(*l.Burst), fmtNum(*l.WindowSeconds))
		}
	}
	if l.AdvertisedPerMinute != nil {
		s += fmt.Sprintf("; advertised %s%s", fmtNum(*l.AdvertisedPerMinute), unit)
	}
	return s + "."
}

func dimIndex(name string) ratelimit.Dimension {
	d, ok := ratelimit.ParseDimension(name)
	if !ok {
		return ratelimit.Requests
	}
	return d
}

// allow is what one dimension allows a workload: rate / cost requests per minute.
type allow struct {
	dim   string
	rate  float64
	cost  float64
	rpm   float64
	known bool // effective, not advertised
}

// cacheExplanation says the binding answer in the words of a prompt-cached workload: "With 80%
// cache reads, input tokens allow 1,400 requests/min; output tokens bind at 400."
func cacheExplanation(share float64, all []allow, best int) string {
	var parts []string
	for i, x := range all {
		if i != best {
			parts = append(parts, fmt.Sprintf("%s allow %s requests/min", dimNames[dimIndex(x.dim)], fmtNum(x.rpm)))
		}
	}
	b := all[best]
	head := fmt.Sprintf("With %s%% cache reads (which do not count toward input tokens per minute where the provider says so)",
		fmtNum(math.Round(share*100)))
	if len(parts) == 0 {
		return fmt.Sprintf("%s, %s bind at %s requests/min.", head, dimNames[dimIndex(b.dim)], fmtNum(b.rpm))
	}
	return fmt.Sprintf("%s, %s; %s bind at %s.", head, strings.Join(parts, "; "), dimNames[dimIndex(b.dim)], fmtNum(b.rpm))
}

// binding finds the dimension that limits the run's workload first: for each dimension with a
// rate (effective, else advertised) and a cost per request (1 request; the mean input tokens;
// the mean output tokens, or max_tokens when output is charged up front; their sum for the
// combined tokens), the requests per minute it allows are rate / cost; the smallest binds.
func (a *Analyzer) binding(res *Result) *summary.Binding {
	in, out := res.Accounting.MeanInputTokens, res.Accounting.MeanOutputTokens
	if p := res.Accounting.OutputPrecharged; p != nil && *p && a.okUsage > 0 {
		out = a.maxSum / float64(a.okUsage)
	}
	readShare := 0.0
	if a.okUsage > 0 && (a.cacheRead > 0 || a.cacheWrite > 0) {
		// Anthropic's input_tokens excludes the cache: its ITPM counts cache writes, not reads.
		// OpenAI's prompt_tokens includes cached ones (and its TPM counts the whole prompt).
		read, write := a.cacheRead/float64(a.okUsage), a.cacheWrite/float64(a.okUsage)
		if a.headerDims[ratelimit.InputTokens] || write > 0 {
			in += write
			readShare = read / (read + in)
		} else if in > 0 {
			readShare = read / in
		}
	}
	var all []allow
	for i := range res.Limits {
		l := &res.Limits[i]
		rate, known := 0.0, false
		switch {
		case l.EffectivePerMinute != nil:
			rate, known = *l.EffectivePerMinute, true
		case l.AdvertisedPerMinute != nil:
			rate = *l.AdvertisedPerMinute
		default:
			continue
		}
		var cost float64
		switch l.Dimension {
		case "requests":
			cost = 1
		case "input_tokens":
			cost = in
		case "output_tokens":
			cost = out
		case "tokens":
			cost = in + out
		}
		if cost <= 0 || rate <= 0 {
			continue
		}
		all = append(all, allow{l.Dimension, rate, cost, rate / cost, known})
	}
	if len(all) == 0 {
		return nil
	}
	best := 0
	for i := range all {
		if all[i].rpm < all[best].rpm {
			best = i
		}
	}
	b := all[best]
	bd := &summary.Binding{Dimension: b.dim, MaxRequestsPerMinute: ptr(roundRate(b.rpm))}
	var others []string
	for i, x := range all {
		if i != best {
			others = append(others, fmt.Sprintf("%s %s", dimNames[dimIndex(x.dim)], fmtNum(x.rpm)))
		}
	}
	what := "effective"
	if !b.known {
		what = "advertised"
	}
	if readShare > 0 && !math.IsInf(b.rpm, 0) {
		bd.Explanation = cacheExplanation(readShare, all, best)
		return bd
	}
	switch b.dim {
	case "requests":
		bd.Explanation = fmt.Sprintf("Requests bind first, at the %s %s/min", what, fmtNum(b.rate))
	default:
		bd.Explanation = fmt.Sprintf("At %s input and %s output tokens per request, %s bind first: the %s %s tokens/min allows %s requests/min",
			fmtNum(in), fmtNum(out), dimNames[dimIndex(b.dim)], what, fmtNum(b.rate), fmtNum(b.rpm))
	}
	if len(others) > 0 {
		bd.Explanation += " (" + strings.Join(others, ", ") + " requests/min would be allowed by the others)"
	} else if !a.anyHeaders {
		bd.Explanation += " (without rate-limit headers, token limits cannot be measured)"
	}
	bd.Explanation += "." + a.reservationNote(b.dim)
	if math.IsInf(b.rpm, 0) {
		return nil
	}
	return bd
}

// fitWindow is a fit's window, or a bucket's refill time (capacity over rate).
func fitWindow(f *fit) float64 {
	if f.window > 0 || f.rate <= 0 {
		return f.window
	}
	return f.burst / f.rate
}
