package scenario

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Results is the view of a run's results that thresholds are checked against. Its fields mirror
// summary.json; a nil figure is unknown (null) and fails any condition on it.
type Results struct {
	Limits  []LimitResult
	Binding string // dimension that binds first; "" when unknown

	// RejectedCount and OutputPrecharged are the inferred accounting; nil when undetermined.
	RejectedCount    *bool
	OutputPrecharged *bool

	// Totals over every attempt of the run.
	Attempts    int64
	RateLimited int64 // 429
	Overloaded  int64 // 529
	Errors      int64 // other 5xx and transport errors
	Dropped     int64

	Strategies []StrategyResult
}

// LimitResult is one dimension's inferred limit (summary.json limits[]).
type LimitResult struct {
	Dimension           string // requests, tokens, input_tokens, output_tokens
	AdvertisedPerMinute *float64
	EffectivePerMinute  *float64
	Burst               *float64
	Algorithm           string // "" when unknown
	Gap                 string // a sentence when advertised and effective differ, else ""
}

// StrategyResult is one strategy's results in one mode at one client count (summary.json
// strategies[]). Name is the strategy's label in the scenario.
type StrategyResult struct {
	Name    string
	Mode    string // live or sim
	Clients int    // 0 for an open workload

	Requests, Succeeded, Failed, Attempts, RateLimited int64

	Amplification             *float64
	MakespanSeconds           *float64
	MakespanLowerBoundSeconds *float64
	GoodputPerSecond          *float64
	Fairness                  *float64
	P50, P95, P99, Max        *float64 // completion latency, seconds
}

// Check is the outcome of one threshold.
type Check struct {
	// Path is the threshold's field path, e.g. "expect.strategies.full-jitter.p95".
	Path string
	// Subject names what was measured, e.g. "full-jitter (sim, 100 clients) p95".
	Subject string
	Passed  bool
	// Detail shows the figure against the condition, e.g. "2.31s, want < 30s".
	Detail string
}

// String renders the check as one report line: "ok   subject: detail" or "FAIL subject: detail".
func (c Check) String() string {
	mark := "ok  "
	if !c.Passed {
		mark = "FAIL"
	}
	return fmt.Sprintf("%s %s: %s", mark, c.Subject, c.Detail)
}

// Failed returns the lines of the checks that failed.
func Failed(checks []Check) []string {
	var out []string
	for _, c := range checks {
		if !c.Passed {
			out = append(out, c.String())
		}
	}
	return out
}

// Evaluate checks every threshold of e against r and returns one Check per threshold and
// result row, in a fixed order: limits, binding, accounting, totals, strategies. A threshold on a
// figure r does not have fails, never passes silently. A nil e has no checks.
func Evaluate(e *Expect, r Results) []Check {
	if e == nil {
		return nil
	}
	var out []Check
	for i, le := range e.Limits.byDimension() {
		if le != nil {
			out = append(out, evalLimit(Dimensions[i], le, r)...)
		}
	}
	if e.Binding != "" {
		c := Check{Path: "expect.binding", Subject: "binding constraint"}
		switch {
		case r.Binding == "":
			c.Detail = fmt.Sprintf("unknown, want %s", e.Binding)
		default:
			c.Passed = r.Binding == e.Binding
			c.Detail = fmt.Sprintf("%s, want %s", r.Binding, e.Binding)
		}
		out = append(out, c)
	}
	out = appendBool(out, "expect.accounting.rejected_count", "rejected attempts use quota", e.Accounting.RejectedCount, r.RejectedCount)
	out = appendBool(out, "expect.accounting.output_precharged", "output tokens pre-charged at max_tokens", e.Accounting.OutputPrecharged, r.OutputPrecharged)
	if e.RateLimitedShare != nil {
		out = append(out, checkValue("expect.rate_limited_share", "429 share of attempts", e.RateLimitedShare, kindShare, share(r.RateLimited, r.Attempts)))
	}
	if e.ErrorShare != nil {
		out = append(out, checkValue("expect.error_share", "error share of attempts", e.ErrorShare, kindShare, share(r.Errors+r.Overloaded, r.Attempts)))
	}
	if e.Dropped != nil {
		out = append(out, checkValue("expect.dropped", "dropped attempts", e.Dropped, kindCount, count(r.Dropped)))
	}
	for _, label := range strategyKeys(e, r) {
		out = append(out, evalStrategy(label, e.Strategies[label], r.Strategies)...)
	}
	return out
}

func evalLimit(dim string, le *LimitExpect, r Results) []Check {
	var lr *LimitResult
	for i := range r.Limits {
		if r.Limits[i].Dimension == dim {
			lr = &r.Limits[i]
			break
		}
	}
	if lr == nil {
		lr = &LimitResult{Dimension: dim}
	}
	base := "expect.limits." + dim
	var out []Check
	if le.EffectivePerMinute != nil {
		out = append(out, checkValue(base+".effective_per_minute", dim+" effective per minute", le.EffectivePerMinute, kindCount, lr.EffectivePerMinute))
	}
	if le.AdvertisedPerMinute != nil {
		out = append(out, checkValue(base+".advertised_per_minute", dim+" advertised per minute", le.AdvertisedPerMinute, kindCount, lr.AdvertisedPerMinute))
	}
	if le.Burst != nil {
		out = append(out, checkValue(base+".burst", dim+" burst", le.Burst, kindCount, lr.Burst))
	}
	if le.Algorithm != "" {
		c := Check{Path: base + ".algorithm", Subject: dim + " algorithm"}
		got := cmp.Or(lr.Algorithm, "unknown")
		c.Passed = got == le.Algorithm
		c.Detail = fmt.Sprintf("%s, want %s", got, le.Algorithm)
		out = append(out, c)
	}
	if le.Gap != nil {
		c := Check{Path: base + ".gap", Subject: dim + " advertised vs effective gap"}
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

func appendBool(out []Check, path, subject string, want, got *bool) []Check {
	if want == nil {
		return out
	}
	c := Check{Path: path, Subject: subject}
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
func strategyKeys(e *Expect, r Results) []string {
	var keys []string
	if _, ok := e.Strategies[AllStrategies]; ok {
		keys = append(keys, AllStrategies)
	}
	for _, s := range r.Strategies {
		if _, ok := e.Strategies[s.Name]; ok && !slices.Contains(keys, s.Name) {
			keys = append(keys, s.Name)
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

func evalStrategy(label string, se StrategyExpect, rows []StrategyResult) []Check {
	base := "expect.strategies." + label
	var out []Check
	matched := false
	for i := range rows {
		row := &rows[i]
		if (label != AllStrategies && row.Name != label) || (se.Mode != "" && row.Mode != se.Mode) {
			continue
		}
		matched = true
		for _, m := range se.metrics() {
			if m.cond == nil {
				continue
			}
			out = append(out, checkValue(base+"."+m.key, rowName(row)+" "+m.key, m.cond, m.kind, m.value(row)))
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
		out = append(out, Check{Path: base, Subject: label, Detail: "no results for " + what})
	}
	return out
}

// rowName names a result row: "full-jitter (sim, 100 clients)".
func rowName(r *StrategyResult) string {
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

func checkValue(path, subject string, c *Condition, kind metricKind, v *float64) Check {
	ck := Check{Path: path, Subject: subject}
	if v == nil || math.IsNaN(*v) {
		ck.Detail = "unknown, want " + c.String()
		return ck
	}
	ck.Passed = c.Holds(*v)
	ck.Detail = formatValue(*v, kind) + ", want " + c.String()
	if c.Within != nil && c.Of != nil {
		lo, hi := c.bounds()
		ck.Detail += fmt.Sprintf(" (%s to %s)", formatValue(lo, kind), formatValue(hi, kind))
	}
	return ck
}

// formatValue prints a figure with four significant digits: seconds as a duration, shares as a
// percentage.
func formatValue(v float64, kind metricKind) string {
	switch kind {
	case kindSeconds:
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	case kindShare:
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
