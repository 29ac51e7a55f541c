package accuracy

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/ratelab/ratelab/limiter"
)

// Matrix returns the full suite: every algorithm × {anthropic headers, none} × {120, 600}/min ×
// {1 s, 10 s, 60 s} windows, then the special cases: advertised 60/min enforced 1/s, refused
// attempts consuming quota, and token-heavy workloads where input or output tokens bind.
func Matrix() []Case {
	var out []Case
	for _, alg := range limiter.Algorithms {
		for _, dialect := range []string{"anthropic", "none"} {
			for _, w := range []time.Duration{time.Second, 10 * time.Second, time.Minute} {
				for _, rpm := range []int64{120, 600} {
					if quota(rpm, w) < 2 {
						continue // a window that admits one request is the 1/s case below
					}
					out = append(out, Case{
						Name:      fmt.Sprintf("%s/%s/%d-per-min/%s", alg, dialect, rpm, w),
						Algorithm: alg, RPM: rpm, Window: w, Dialect: dialect,
					})
				}
			}
		}
	}
	return append(out, Special()...)
}

// Special returns the cases beyond the algorithm matrix.
func Special() []Case {
	return []Case{
		{Name: "advertised-60-enforced-1-per-s/anthropic", Algorithm: limiter.TokenBucket, RPM: 60, Window: time.Second,
			AdvertiseRPM: 60, Dialect: "anthropic"},
		{Name: "count-rejected/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 600, Burst: 10,
			CountRejected: true, Dialect: "anthropic"},
		{Name: "count-rejected/token-bucket/none", Algorithm: limiter.TokenBucket, RPM: 600, Burst: 10,
			CountRejected: true, Dialect: "none"},
		{Name: "input-tokens-bind/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			ITPM: 600_000, PromptTokens: 2000, MaxTokens: 100, Dialect: "anthropic", Dim: "input_tokens"},
		{Name: "output-tokens-bind/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			OTPM: 120_000, PromptTokens: 200, MaxTokens: 1000, Dialect: "anthropic", Dim: "output_tokens"},
		{Name: "output-tokens-precharged/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			OTPM: 120_000, PromptTokens: 200, MaxTokens: 1000, OutputTokens: 300, Precharge: true, Dialect: "anthropic", Dim: "output_tokens"},
	}
}

// Markdown writes the outcomes as a table: per case the enforced and inferred figures, the
// errors, the algorithm, and the cost of discovery (requests, 429s, seconds) against the goal
// of two windows' worth of requests and three windows of time; then how many cases pass, how
// many stayed within that budget (1.0× or less as printed) and the largest cost.
func Markdown(w io.Writer, outs []Outcome) {
	fmt.Fprintln(w, "| case | enforced/min | inferred/min | error | tol. | burst (true → inferred) | algorithm | requests | 429s | seconds | cost vs goal | result |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|---|---:|---:|---:|---|---|")
	pass, within, maxCost := 0, 0, 0.0
	for _, o := range outs {
		inferred := "—"
		if o.Limit.EffectivePerMinute != nil {
			inferred = num(*o.Limit.EffectivePerMinute)
		}
		errS := "—"
		if !math.IsNaN(o.RateErr) {
			errS = fmt.Sprintf("%+.2f%%", 100*o.RateErr)
		}
		burst := "—"
		if o.Truth.Burst > 0 || o.Limit.Burst != nil {
			got := "—"
			if o.Limit.Burst != nil {
				got = num(*o.Limit.Burst)
			}
			want := "—"
			if o.Truth.Burst > 0 {
				want = num(o.Truth.Burst)
			}
			burst = want + " → " + got
		}
		alg := o.Limit.Algorithm
		if o.Case.dim() == "requests" && !o.ClassOK {
			alg += " ✗"
		}
		cost := fmt.Sprintf("%.1f× req, %.1f× time", o.CostRequests, o.CostSeconds)
		if o.WithinBudget() {
			within++
		}
		maxCost = math.Max(maxCost, o.MaxCost())
		res := "pass"
		if o.Pass {
			pass++
		} else {
			res = "**fail**: " + strings.Join(o.Why, "; ")
		}
		if o.Words {
			if o.WordsOK {
				res += " (said in words)"
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | ±%.0f%% | %s | %s | %d | %d | %.1f | %s | %s |\n",
			o.Case.Name, num(o.Truth.PerMinute), inferred, errS, 100*o.Tolerance, burst, alg,
			o.Requests, o.Limited, o.Seconds, cost, res)
	}
	fmt.Fprintf(w, "\n%d of %d cases pass. %d of %d within budget, max %.1f×.\n", pass, len(outs), within, len(outs), maxCost)
}

func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e12 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}
