package infer

import (
	"fmt"
	"math"
	"strings"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/summary"
)

// dimNames are the dimensions as sentences name them.
var dimNames = [ratelimit.NumDimensions]string{"requests", "tokens", "input tokens", "output tokens"}

// assemble turns the chosen per-dimension results into the Result: limits, accounting,
// binding constraint and findings.
func (a *Analyzer) assemble(res *Result, choices []dimChoice) {
	var gaps, notes []string
	for i := range choices {
		ch := &choices[i]
		l, gap := a.limitOf(ch)
		res.Limits = append(res.Limits, l)
		if gap != "" {
			gaps = append(gaps, fmt.Sprintf("%s: %s.", capitalize(dimNames[ch.d]), gap))
		}
		if len(l.AdvertisedChanges) > 1 {
			vals := make([]string, len(l.AdvertisedChanges))
			for j, v := range l.AdvertisedChanges {
				vals[j] = fmtNum(v)
			}
			notes = append(notes, fmt.Sprintf("The advertised %s limit changed during the run: %s per minute.", dimNames[ch.d], strings.Join(vals, ", ")))
		}
	}
	// Accounting.
	var ev []string
	for i := range choices {
		ch := &choices[i]
		switch ch.d {
		case ratelimit.Requests:
			if c := rejectedCount(ch.r); c != nil {
				res.Accounting.RejectedCount = c
				if *c {
					ev = append(ev, "refused attempts consume quota: a limiter that charges them explains the refusals better than one that does not (a client that retries at once digs itself deeper)")
				} else {
					ev = append(ev, "refused attempts do not consume quota")
				}
			}
		case ratelimit.OutputTokens:
			if ch.r.pre != nil {
				res.Accounting.OutputPrecharged = ch.r.pre
				if *ch.r.pre {
					ev = append(ev, "output tokens are charged at max_tokens when a request is admitted")
				} else {
					ev = append(ev, "output tokens are charged as produced, not at max_tokens")
				}
			}
		}
	}
	if len(ev) > 0 {
		res.Accounting.Evidence = capitalize(strings.Join(ev, "; ")) + "."
	}
	res.Binding = a.binding(res)
	if res.Binding != nil {
		res.Binding.Explanation += a.dailyNote()
	}
	res.Findings = append(res.Findings, gaps...)
	for i := range res.Limits {
		if s := summarySentence(&res.Limits[i]); s != "" {
			res.Findings = append(res.Findings, s)
		}
	}
	if res.Accounting.Evidence != "" {
		res.Findings = append(res.Findings, res.Accounting.Evidence)
	}
	if b := res.Binding; b != nil && b.Explanation != "" {
		res.Findings = append(res.Findings, b.Explanation)
	}
	res.Findings = append(res.Findings, notes...)
	res.Findings = append(res.Findings, a.quotas.findings()...)
}

// period returns the time, in seconds, that dimension's advertised limit is counted over, and
// whether anything tells. A stated period always wins: the window the headers state (IETF w=),
// else the dialect's own (Anthropic's and OpenAI's limits are per minute by definition, whatever
// the resets or the behaviour show: a limit of 8,000 whose reset, rounded up to whole seconds,
// comes round every 36 s is still 8,000 per minute). Only a dialect that states no period (the
// X-RateLimit family, IETF fields without w=) has its period derived: the window the resets or
// the behaviour show for a window limiter; for a bucket, the time the header refill rate takes
// to supply the limit, snapped to whole seconds and to the minute when within 10% of it.
func period(r *dimResult, limit float64) (float64, bool) {
	hs := &r.hs
	if hs.windowS > 0 {
		return hs.windowS, true
	}
	if perMinute(hs.dialect) {
		return 60, true
	}
	class, _ := classify(r)
	if r.best != nil && r.best.ok && (class == summary.AlgoFixedWindow || class == summary.AlgoSlidingWindow) {
		// The behaviour's window is timed to the attempt; the resets' only to their rounding.
		return snap(r.best.window), true
	}
	if hs.plateaus >= 2 && hs.resetW > 0 {
		return hs.resetW, true
	}
	if r.refOK && r.ref.rate > 0 && limit > 0 {
		return snap(limit / r.ref.rate), true
	}
	if class == summary.AlgoTokenBucket || class == summary.AlgoUnknown {
		if rate, ok := resetRate(r.tl, r.d, *hs); ok && rate > 0 && limit > 0 {
			return snap(limit / rate), true
		}
	}
	return 0, false
}

// perMinute reports whether dialect d's limits are per minute by definition.
func perMinute(d ratelimit.Dialect) bool {
	return d == ratelimit.DialectAnthropic || d == ratelimit.DialectOpenAI
}

// snap rounds a period read from noisy evidence: to whole seconds when within 5%, and to the
// minute when within 10% of it.
func snap(t float64) float64 {
	if math.Abs(t-60) <= 6 {
		return 60
	}
	if t >= 1 {
		if r := math.Round(t); math.Abs(t-r) <= 0.05*t {
			return r
		}
	}
	return round(t, 3)
}

// limitOf builds one summary.json limits[] entry and its gap sentence.
func (a *Analyzer) limitOf(ch *dimChoice) (summary.Limit, string) {
	r := ch.r
	l := summary.Limit{Dimension: r.d.String(), Algorithm: summary.AlgoUnknown}
	// Advertised: the most frequent limit, scaled to a minute by its period.
	var advPerMin, advLimit float64
	if len(r.hs.limits) > 0 {
		advLimit = float64(r.hs.limit)
		if t, ok := period(r, advLimit); ok && t > 0 {
			advPerMin = advLimit * 60 / t
			l.AdvertisedPerMinute = ptr(roundRate(advPerMin))
			if len(r.hs.limits) > 1 {
				for _, v := range r.hs.limits {
					l.AdvertisedChanges = append(l.AdvertisedChanges, roundRate(float64(v)*60/t))
				}
			}
		}
	}
	lo, hi, rate, ok := r.interval()
	class, rival := classify(r)
	l.Algorithm = class
	switch {
	case ok && math.IsInf(hi, 1):
		// Every rate above lo explains the attempts: a lower bound, no figure to plan with.
		l.EffectiveLow = ptr(roundRate(lo * 60))
	case ok:
		l.EffectivePerMinute = ptr(roundRate(rate * 60))
		l.EffectiveLow = ptr(roundRate(lo * 60))
		l.EffectiveHigh = ptr(roundRate(hi * 60))
	}
	behaviour := r.best != nil && r.best.ok
	switch {
	case behaviour && r.agree():
		l.Source = summary.SourceBoth
	case behaviour:
		l.Source = summary.SourceBehaviour
	case r.refOK:
		l.Source = summary.SourceHeaders
	}
	var burst float64
	if behaviour && l.EffectivePerMinute != nil { // an unbounded rate leaves the burst unknown too
		burst = math.Round(r.best.burst)
		l.Burst = ptr(burst)
		switch r.best.model {
		case "tb":
			l.WindowSeconds = ptr(round(r.best.burst/rate, 3))
		default:
			l.WindowSeconds = ptr(round(r.best.window, 3))
		}
	}
	l.Evidence = a.evidence(ch, class, rival)
	if ok && !math.IsInf(hi, 1) {
		if _, _, _, pin := r.pinned(lo, hi, rate); pin {
			l.Evidence += " " + pinnedWords(r)
		}
	}
	gap := gapSentence(advPerMin, advLimit, l, r)
	l.Gap = gap
	return l, gap
}

// gapSentence says how the enforced limit differs from the advertised one, when it does by
// more than 10%: in rate ("advertised 60/min, enforced 30/min"), or in burst for a bucket
// ("advertised 60/min, enforced as 1/s: bursts above 1 are rejected").
func gapSentence(advPerMin, advLimit float64, l summary.Limit, r *dimResult) string {
	if advPerMin <= 0 || l.EffectivePerMinute == nil {
		return ""
	}
	eff := *l.EffectivePerMinute
	unit := "/min"
	if r.d != ratelimit.Requests {
		unit = " tokens/min"
	}
	// An interval that holds the advertised rate shows no gap, however far its middle lies.
	holds := l.EffectiveLow != nil && l.EffectiveHigh != nil && *l.EffectiveLow <= advPerMin && advPerMin <= *l.EffectiveHigh
	if !holds && math.Abs(eff-advPerMin) > 0.1*advPerMin {
		s := fmt.Sprintf("advertised %s%s, enforced %s%s", fmtNum(advPerMin), unit, fmtNum(eff), unit)
		if eff < advPerMin {
			s += fmt.Sprintf(": the sustained rate is %.0f%% of what the headers say", 100*eff/advPerMin)
		} else {
			s += fmt.Sprintf(": the server allows %.0f%% of what the headers say", 100*eff/advPerMin)
		}
		return s
	}
	if l.Burst == nil || advLimit <= 0 || r.best == nil || classOf(r.best.model) != summary.AlgoTokenBucket {
		return ""
	}
	b := *l.Burst
	if b >= 0.9*advLimit {
		return ""
	}
	return fmt.Sprintf("advertised %s%s, enforced as %s: bursts above %s are rejected",
		fmtNum(advPerMin), unit, perPeriod(b, r.best.rate), fmtNum(b))
}

// perPeriod writes b units per b/r seconds as a rate: "1/s", "30 per 3 s", "5 per 2.5 s".
func perPeriod(b, r float64) string {
	p := b / r
	switch {
	case math.Abs(p-1) < 0.02:
		return fmtNum(b) + "/s"
	case math.Abs(p-60) < 1:
		return fmtNum(b) + "/min"
	}
	return fmt.Sprintf("%s per %s s", fmtNum(b), fmtNum(snap(p)))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
