package threshold

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/summary"
)

// Evaluate checks every threshold of e against the summary s and returns one line per
// threshold and strategy entry, in a fixed order: limits, binding, accounting, totals,
// strategies. A threshold on a figure s does not have (null) fails, never passes silently. A nil
// e has none.
func Evaluate(e *Expect, s *summary.Summary) []summary.Threshold {
	if e == nil {
		return nil
	}
	var out []summary.Threshold
	dims := Dimensions()
	for i, le := range e.Limits.ByDimension() {
		if le != nil {
			out = append(out, evalLimit(dims[i], le, s)...)
		}
	}
	if e.Binding != "" {
		c := summary.Threshold{Path: "expect.binding", Subject: "binding constraint"}
		switch {
		case s.Binding == nil || s.Binding.Dimension == "":
			c.Detail = fmt.Sprintf("unknown, want %s", e.Binding)
		default:
			c.Passed = s.Binding.Dimension == e.Binding
			c.Detail = fmt.Sprintf("%s, want %s", s.Binding.Dimension, e.Binding)
		}
		out = append(out, c)
	}
	var rejected, precharged *bool
	if a := s.Accounting; a != nil {
		rejected, precharged = a.RejectedCount, a.OutputPrecharged
	}
	out = appendBool(out, "expect.accounting.rejected_count", "rejected attempts use quota", e.Accounting.RejectedCount, rejected)
	out = appendBool(out, "expect.accounting.output_precharged", "output tokens pre-charged at max_tokens", e.Accounting.OutputPrecharged, precharged)
	t := &s.Totals
	if e.RateLimitedShare != nil {
		out = append(out, checkValue("expect.rate_limited_share", "429 share of attempts", e.RateLimitedShare, Share, share(t.RateLimited, t.Attempts)))
	}
	if e.ErrorShare != nil {
		out = append(out, checkValue("expect.error_share", "error share of attempts", e.ErrorShare, Share, share(t.Errors+t.Overloaded, t.Attempts)))
	}
	if e.Dropped != nil {
		out = append(out, checkValue("expect.dropped", "dropped attempts", e.Dropped, Count, count(t.Dropped)))
	}
	for _, label := range strategyKeys(e, s.Strategies) {
		out = append(out, evalStrategy(label, e.Strategies[label], s.Strategies)...)
	}
	return out
}

func evalLimit(dim string, le *LimitExpect, s *summary.Summary) []summary.Threshold {
	lr := &summary.Limit{Dimension: dim}
	for i := range s.Limits {
		if s.Limits[i].Dimension == dim {
			lr = &s.Limits[i]
			break
		}
	}
	base := "expect.limits." + dim
	var out []summary.Threshold
	if le.EffectivePerMinute != nil {
		out = append(out, checkValue(base+".effective_per_minute", dim+" effective per minute", le.EffectivePerMinute, Count, lr.EffectivePerMinute))
	}
	if le.AdvertisedPerMinute != nil {
		out = append(out, checkValue(base+".advertised_per_minute", dim+" advertised per minute", le.AdvertisedPerMinute, Count, lr.AdvertisedPerMinute))
	}
	if le.Burst != nil {
		out = append(out, checkValue(base+".burst", dim+" burst", le.Burst, Count, lr.Burst))
	}
	if le.Algorithm != "" {
		c := summary.Threshold{Path: base + ".algorithm", Subject: dim + " algorithm"}
		got := cmp.Or(lr.Algorithm, "unknown")
		c.Passed = got == le.Algorithm
		c.Detail = fmt.Sprintf("%s, want %s", got, le.Algorithm)
		out = append(out, c)
	}
	if le.Gap != nil {
		c := summary.Threshold{Path: base + ".gap", Subject: dim + " advertised vs effective gap"}
		has := lr.Gap != ""
		c.Passed = has == *le.Gap
		switch {
		case has:
			c.Detail = fmt.Sprintf("reported (%s), want %s", lr.Gap, yesNo(*le.Gap, "a gap", "none"))
		default:
			c.Detail = fmt.Sprintf("none reported, want %s", yesNo(*le.Gap, "a gap", "none"))
		}
		out = append(out, c)
	}
	return out
}

func appendBool(out []summary.Threshold, path, subject string, want, got *bool) []summary.Threshold {
	if want == nil {
		return out
	}
	c := summary.Threshold{Path: path, Subject: subject}
	switch {
	case got == nil:
		c.Detail = fmt.Sprintf("undetermined, want %t", *want)
	default:
		c.Passed = *got == *want
		c.Detail = fmt.Sprintf("%t, want %t", *got, *want)
	}
	return append(out, c)
}

// strategyKeys orders the strategy thresholds: "all" first, then by first appearance in the
// results, then the rest alphabetically (they will fail for want of results).
func strategyKeys(e *Expect, rows []summary.Strategy) []string {
	var keys []string
	if _, ok := e.Strategies[AllStrategies]; ok {
		keys = append(keys, AllStrategies)
	}
	for _, st := range rows {
		if _, ok := e.Strategies[st.Name]; ok && !slices.Contains(keys, st.Name) {
			keys = append(keys, st.Name)
		}
	}
	var rest []string
	for k := range e.Strategies {
		if !slices.Contains(keys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

func evalStrategy(label string, se StrategyExpect, rows []summary.Strategy) []summary.Threshold {
	base := "expect.strategies." + label
	var out []summary.Threshold
	matched := false
	for i := range rows {
		row := &rows[i]
		if (label != AllStrategies && row.Name != label) || (se.Mode != "" && row.Mode != se.Mode) {
			continue
		}
		matched = true
		for _, m := range se.Metrics() {
			if m.Cond == nil {
				continue
			}
			out = append(out, checkValue(base+"."+m.Key, rowName(row)+" "+m.Key, m.Cond, m.Kind, m.value(row)))
		}
	}
	if !matched {
		what := "strategy " + label
		if label == AllStrategies {
			what = "any strategy"
		}
		if se.Mode != "" {
			what += " in mode " + se.Mode
		}
		out = append(out, summary.Threshold{Path: base, Subject: label, Detail: "no results for " + what})
	}
	return out
}

// rowName names a result row: "full-jitter (sim, 100 clients)".
func rowName(r *summary.Strategy) string {
	var attrs []string
	if r.Mode != "" {
		attrs = append(attrs, r.Mode)
	}
	if r.Clients > 0 {
		attrs = append(attrs, fmt.Sprintf("%d clients", r.Clients))
	}
	if len(attrs) == 0 {
		return r.Name
	}
	return r.Name + " (" + strings.Join(attrs, ", ") + ")"
}

func checkValue(path, subject string, c *Condition, kind Kind, v *float64) summary.Threshold {
	ck := summary.Threshold{Path: path, Subject: subject}
	if v == nil || math.IsNaN(*v) {
		ck.Detail = "unknown, want " + c.String()
		return ck
	}
	ck.Passed = c.Holds(*v)
	ck.Detail = formatValue(*v, kind) + ", want " + c.String()
	if c.Within != nil && c.Of != nil {
		lo, hi := c.Bounds()
		ck.Detail += fmt.Sprintf(" (%s to %s)", formatValue(lo, kind), formatValue(hi, kind))
	}
	return ck
}

// formatValue prints a figure with four significant digits: seconds as a duration, shares as a
// percentage.
func formatValue(v float64, kind Kind) string {
	switch kind {
	case Seconds:
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	case Share:
		return fmt.Sprintf("%s (%s%%)", sig4(v), sig4(v*100))
	}
	return sig4(v)
}

// sig4 prints v rounded to four significant digits, without exponent for everyday magnitudes.
func sig4(v float64) string {
	if v == 0 || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	digits := 4 - int(math.Floor(math.Log10(math.Abs(v)))) - 1
	p := math.Pow(10, float64(digits))
	r := math.Round(v*p) / p
	if math.IsInf(r, 0) || math.IsNaN(r) {
		r = v
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func count(n int64) *float64 {
	f := float64(n)
	return &f
}

// share returns part/whole, or nil (unknown) when whole is 0.
func share(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}
	f := float64(part) / float64(whole)
	return &f
}

// ratio returns a/b, or nil when either is unknown or b is not positive.
func ratio(a, b *float64) *float64 {
	if a == nil || b == nil || *b <= 0 {
		return nil
	}
	f := *a / *b
	return &f
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
