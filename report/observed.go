package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// observedWindow is the window a recording's busiest stretch is measured over, in seconds.
const observedWindow = 60

// maxObservedClients bounds the client identities counted.
const maxObservedClients = 100_000

// observedAcc accumulates the observed attempts of a recording (`ratelab proxy`): admitted
// units per second of send time, the clients, the refusals and the least budget left the
// headers showed. Its memory is bounded by the recording's length in seconds.
type observedAcc struct {
	n, refused  int64
	clients     map[string]struct{}
	bins        map[int64]*[ratelimit.NumDimensions]float64
	lowest      [ratelimit.NumDimensions]float64
	hasLowest   [ratelimit.NumDimensions]bool
	first, last float64
}

func newObservedAcc() *observedAcc {
	return &observedAcc{clients: map[string]struct{}{}, bins: map[int64]*[ratelimit.NumDimensions]float64{},
		first: math.Inf(1), last: math.Inf(-1)}
}

func (acc *observedAcc) add(a *record.Attempt) {
	if !a.Observed {
		return
	}
	acc.n++
	sent := record.Seconds(a.Sent)
	acc.first, acc.last = math.Min(acc.first, sent), math.Max(acc.last, sent)
	if _, ok := acc.clients[a.ClientID]; !ok && len(acc.clients) < maxObservedClients {
		acc.clients[a.ClientID] = struct{}{}
	}
	for d := range ratelimit.NumDimensions {
		st := a.Limits[d]
		if st.Flags&ratelimit.HasLimit != 0 && st.Flags&ratelimit.HasRemaining != 0 && st.Limit > 0 {
			r := math.Max(0, float64(st.Remaining)/float64(st.Limit))
			if !acc.hasLowest[d] || r < acc.lowest[d] {
				acc.lowest[d], acc.hasLowest[d] = r, true
			}
		}
	}
	switch a.Outcome() {
	case record.OutcomeRateLimited:
		acc.refused++
	case record.OutcomeOK:
		sec := int64(math.Floor(sent))
		bin := acc.bins[sec]
		if bin == nil {
			bin = new([ratelimit.NumDimensions]float64)
			acc.bins[sec] = bin
		}
		in, out := float64(a.InputTokens), float64(a.OutputTokens)
		bin[ratelimit.Requests]++
		bin[ratelimit.InputTokens] += in
		bin[ratelimit.OutputTokens] += out
		bin[ratelimit.Tokens] += in + out
	}
}

// peaks returns the most admitted in any window of w whole seconds, per dimension.
func (acc *observedAcc) peaks(w int64) [ratelimit.NumDimensions]float64 {
	secs := make([]int64, 0, len(acc.bins))
	for s := range acc.bins {
		secs = append(secs, s)
	}
	slices.Sort(secs)
	var best, sum [ratelimit.NumDimensions]float64
	lo := 0
	for _, s := range secs {
		for d, v := range acc.bins[s] {
			sum[d] += v
		}
		for secs[lo] <= s-w {
			for d, v := range acc.bins[secs[lo]] {
				sum[d] -= v
			}
			lo++
		}
		for d := range sum {
			best[d] = math.Max(best[d], sum[d])
		}
	}
	return best
}

// summary is the observed section of s (whose limits are set), nil for a run with no observed
// attempt.
func (acc *observedAcc) summary(s *summary.Summary) *summary.Observed {
	if acc.n == 0 {
		return nil
	}
	o := &summary.Observed{Requests: acc.n, Refused: acc.refused, Clients: len(acc.clients), Dimensions: []summary.ObservedPeak{}}
	w := int64(observedWindow)
	if span := int64(math.Floor(acc.last)) - int64(math.Floor(acc.first)) + 1; span < w {
		w = max(span, 1)
	}
	o.WindowSeconds = float64(w)
	peaks := acc.peaks(w)
	best := -1.0
	for _, d := range []ratelimit.Dimension{ratelimit.Requests, ratelimit.Tokens, ratelimit.InputTokens, ratelimit.OutputTokens} {
		p := summary.ObservedPeak{Dimension: d.String(), AdmittedPerMinute: round(peaks[d]*60/float64(w), 2)}
		lim := limitOf(s.Limits, d.String())
		switch {
		case lim != nil && lim.EffectivePerMinute != nil:
			p.LimitPerMinute, p.LimitSource = ptr(*lim.EffectivePerMinute), "effective"
		case lim != nil && lim.AdvertisedPerMinute != nil:
			p.LimitPerMinute, p.LimitSource = ptr(*lim.AdvertisedPerMinute), "advertised"
		}
		if p.LimitPerMinute != nil && *p.LimitPerMinute > 0 {
			p.Share = ptr(round(p.AdmittedPerMinute / *p.LimitPerMinute, 4))
			if *p.Share > best {
				best, o.Closest = *p.Share, p.Dimension
			}
		}
		if acc.hasLowest[d] {
			p.LowestRemainingShare = ptr(round(acc.lowest[d], 4))
		}
		if p.LimitPerMinute == nil && (d == ratelimit.Tokens || p.AdmittedPerMinute == 0) {
			continue // no limit, and (for the combined tokens) only the sum of two others
		}
		o.Dimensions = append(o.Dimensions, p)
	}
	o.Reveal = revealSentence(o, s.Limits)
	return o
}

// limitOf is the limits[] entry of dimension dim, nil when there is none.
func limitOf(ls []summary.Limit, dim string) *summary.Limit {
	for i := range ls {
		if ls[i].Dimension == dim {
			return &ls[i]
		}
	}
	return nil
}

// unitWords is how a dimension's per-minute figures are written ("requests/min", "input tokens/min").
func unitWords(dim string) string {
	if dim == "requests" {
		return "requests/min"
	}
	return strings.ReplaceAll(dim, "_", " ") + "/min"
}

// windowWords names the busiest window: "minute", or "12 s" for a shorter recording.
func windowWords(o *summary.Observed) string {
	if o.WindowSeconds >= observedWindow {
		return "minute"
	}
	return seconds(o.WindowSeconds)
}

// revealSentence says what more traffic would reveal.
func revealSentence(o *summary.Observed, ls []summary.Limit) string {
	var measured, unreached []string
	for _, p := range o.Dimensions {
		switch p.LimitSource {
		case "effective":
			measured = append(measured, strings.ReplaceAll(p.Dimension, "_", " "))
		case "advertised":
			unreached = append(unreached, fmt.Sprintf("%s (busiest %s at %s%% of the advertised %s %s)", strings.ReplaceAll(p.Dimension, "_", " "),
				windowWords(o), human(100**p.Share), human(*p.LimitPerMinute), unitWords(p.Dimension)))
		}
	}
	switch {
	case o.Refused == 0 && len(unreached) == 0 && len(measured) == 0:
		return "No request was refused and no limit was advertised, so only lower bounds are known: busier traffic, up to the first 429, would show where the limit is."
	case o.Refused == 0:
		for _, p := range o.Dimensions {
			if p.Dimension == o.Closest {
				return fmt.Sprintf("No request was refused, so the effective limits are known only from below. Traffic above the %s %s limit "+
					"(%s %s; the busiest %s reached %s%% of it), the closest, would show whether the server enforces it and by which algorithm.",
					p.LimitSource, strings.ReplaceAll(p.Dimension, "_", " "), human(*p.LimitPerMinute), unitWords(p.Dimension), windowWords(o), human(100**p.Share))
			}
		}
		return "No request was refused, so the effective limits are known only from below: busier traffic, up to the first 429, would show where they are."
	case len(measured) == 0:
		return fmt.Sprintf("%s request%s refused, too few or too irregular to measure a limit: a longer recording at this load would measure it.",
			count(o.Refused), plural(o.Refused)+" were")
	case len(unreached) == 0:
		return "Refusals measured the effective " + strings.Join(measured, " and ") + " limit" + plural(int64(len(measured))) + "; more traffic would narrow the interval."
	}
	return "Refusals measured the effective " + strings.Join(measured, " and ") + " limit" + plural(int64(len(measured))) + "; traffic heavier in the others would reveal theirs: " +
		strings.Join(unreached, "; ") + "."
}

// observedFindings are the key findings of a recording.
func observedFindings(o *summary.Observed) []string {
	if o == nil {
		return nil
	}
	var req summary.ObservedPeak
	for _, p := range o.Dimensions {
		if p.Dimension == "requests" {
			req = p
		}
	}
	out := []string{fmt.Sprintf("Observed traffic: %s request%s from %d client%s, %s refused; the busiest %s admitted %s requests/min.",
		count(o.Requests), plural(o.Requests), o.Clients, plural(int64(o.Clients)), count(o.Refused), windowWords(o), human(req.AdmittedPerMinute))}
	for _, p := range o.Dimensions {
		if p.Dimension != "requests" || p.LimitSource == "effective" || p.AdmittedPerMinute == 0 || o.Refused > 0 {
			continue
		}
		name := capitalize(strings.ReplaceAll(p.Dimension, "_", " "))
		if o.WindowSeconds >= observedWindow {
			out = append(out, fmt.Sprintf("%s: admitted %s in the busiest minute without a refusal: the effective limit is at least %s %s.",
				name, human(p.AdmittedPerMinute), human(p.AdmittedPerMinute), unitWords(p.Dimension)))
		} else {
			out = append(out, fmt.Sprintf("%s: admitted %s %s over the busiest %s without a refusal (a recording under a minute bounds bursts, not the per-minute limit).",
				name, human(p.AdmittedPerMinute), unitWords(p.Dimension), windowWords(o)))
		}
	}
	for _, p := range o.Dimensions {
		if p.Dimension != o.Closest || p.Share == nil {
			continue
		}
		s := fmt.Sprintf("%s came closest to a limit: the busiest %s reached %s%% of the %s %s %s",
			capitalize(strings.ReplaceAll(p.Dimension, "_", " ")), windowWords(o), human(100**p.Share), p.LimitSource, human(*p.LimitPerMinute), unitWords(p.Dimension))
		if o.WindowSeconds < observedWindow {
			s += " (a recording under a minute: bursts weigh in full)"
		}
		if p.LowestRemainingShare != nil && *p.LowestRemainingShare < 0.995 {
			s += fmt.Sprintf("; the headers showed as little as %s%% of its budget left", human(100**p.LowestRemainingShare))
		}
		out = append(out, s+".")
	}
	return append(out, o.Reveal)
}

// observedTable is the recording's busiest window per dimension.
func observedTable(o *summary.Observed) table {
	t := table{
		title:  "Observed traffic",
		header: []string{"dimension", "admitted/min (busiest " + windowWords(o) + ")", "limit/min", "limit from", "share", "least left (headers)"},
		right:  []bool{false, true, true, false, true, true},
		notes:  []string{o.Reveal},
	}
	for _, p := range o.Dimensions {
		share, left := "—", "—"
		if p.Share != nil {
			share = human(100**p.Share) + "%"
		}
		if p.LowestRemainingShare != nil {
			left = human(100**p.LowestRemainingShare) + "%"
		}
		t.rows = append(t.rows, []string{strings.ReplaceAll(p.Dimension, "_", " "), human(p.AdmittedPerMinute), optHuman(p.LimitPerMinute), p.LimitSource, share, left})
	}
	return t
}
