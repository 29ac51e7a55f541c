package accuracy

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Markdown writes the outcomes of one seed as a table: per case the enforced and inferred
// figures, the reported interval and whether it holds the enforced rate, the burst, the
// algorithm, and the cost of discovery (requests, 429s, seconds) against the goal of two
// windows' worth of requests and three windows of time; then the totals.
func Markdown(w io.Writer, outs []Outcome) {
	fmt.Fprintln(w, "| case | enforced/min | inferred/min | error | tol. | interval | holds it | burst (true → inferred) | algorithm | requests | 429s | seconds | cost vs goal | result |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|:-:|---|---|---:|---:|---:|---|---|")
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
		res := "pass"
		if !o.Pass {
			res = "**fail**: " + strings.Join(o.Why, "; ")
		}
		if o.Words && o.WordsOK {
			res += " (said in words)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | ±%.0f%% | %s | %s | %s | %s | %d | %d | %.1f | %s | %s |\n",
			o.Case.Name, num(o.Truth.PerMinute), inferred, errS, 100*o.Tolerance, interval(o), yesNo(o.Covered), burst, alg,
			o.Requests, o.Limited, o.Seconds, cost, res)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, Totals(outs))
}

// interval writes the reported interval, "—" when there is none.
func interval(o Outcome) string {
	l := o.Limit
	if l.EffectiveLow == nil || l.EffectiveHigh == nil {
		return "—"
	}
	return num(*l.EffectiveLow) + "–" + num(*l.EffectiveHigh)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

// Totals says, over every outcome: how many pass, how many have the effective rate within
// tolerance (with headers and without), how many intervals hold the enforced rate, and how many
// advertised figures match the headers, how many discoveries stayed within their budget (1.0×
// or less as printed) and the largest cost.
func Totals(outs []Outcome) string {
	var pass, rateOK, covered, adv, hdr, hdrOK, none, noneOK, within int
	maxCost := 0.0
	for _, o := range outs {
		if o.WithinBudget() {
			within++
		}
		maxCost = math.Max(maxCost, o.MaxCost())
		if o.Pass {
			pass++
		}
		if o.RateOK {
			rateOK++
		}
		if o.Covered {
			covered++
		}
		if o.AdvertisedOK {
			adv++
		}
		if o.Case.Dialect == "none" {
			none++
			if o.RateOK {
				noneOK++
			}
		} else {
			hdr++
			if o.RateOK {
				hdrOK++
			}
		}
	}
	n := len(outs)
	return fmt.Sprintf("%d of %d cases pass. Effective rate within tolerance: %d of %d (%s; with headers %d of %d, without %d of %d). "+
		"Interval holds the enforced rate: %d of %d (%s). Advertised figure within 1%% of the limit header: %d of %d. "+
		"Discovery within budget: %d of %d, max %.1f×.",
		pass, n, rateOK, n, pct(rateOK, n), hdrOK, hdr, noneOK, none, covered, n, pct(covered, n), adv, n, within, n, maxCost)
}

func pct(k, n int) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n))
}

// MarkdownSeeds writes the outcomes of several seeds, outs[case][seed], one row per case:
// how many seeds pass, have the rate within tolerance and an interval holding the enforced
// rate, the worst error and the widest interval; then the totals over every run.
func MarkdownSeeds(w io.Writer, outs [][]Outcome) {
	fmt.Fprintln(w, "| case | enforced/min | seeds | pass | rate within tol. | interval holds it | worst error | widest interval | failures |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	var all []Outcome
	for _, runs := range outs {
		if len(runs) == 0 {
			continue
		}
		var pass, rateOK, covered int
		worst, widest := math.NaN(), 0.0
		var why []string
		for _, o := range runs {
			all = append(all, o)
			if o.Pass {
				pass++
			} else {
				why = append(why, fmt.Sprintf("seed %d: %s", o.Seed, strings.Join(o.Why, "; ")))
			}
			if o.RateOK {
				rateOK++
			}
			if o.Covered {
				covered++
			}
			if !math.IsNaN(o.RateErr) && (math.IsNaN(worst) || math.Abs(o.RateErr) > math.Abs(worst)) {
				worst = o.RateErr
			}
			if l := o.Limit; l.EffectiveLow != nil && l.EffectiveHigh != nil && l.EffectivePerMinute != nil && *l.EffectivePerMinute > 0 {
				widest = math.Max(widest, (*l.EffectiveHigh-*l.EffectiveLow) / *l.EffectivePerMinute)
			}
			if !o.Covered && o.RateOK {
				why = append(why, fmt.Sprintf("seed %d: interval %s misses it", o.Seed, interval(o)))
			}
		}
		worstS := "—"
		if !math.IsNaN(worst) {
			worstS = fmt.Sprintf("%+.2f%%", 100*worst)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %s | ±%.2f%% | %s |\n", runs[0].Case.Name, num(runs[0].Truth.PerMinute),
			len(runs), pass, rateOK, covered, worstS, 50*widest, strings.Join(why, "; "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, Totals(all))
}

func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e12 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}
