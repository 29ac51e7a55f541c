package planner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/summary"
)

// SLO is what a plan's entry must meet: bounds on the added delay's quantiles and on the
// shares of failed and refused requests. A nil bound is not checked.
type SLO struct {
	P50, P95, P99 *time.Duration // added delay
	Fail          *float64       // share of requests that failed, 0..1
	Refused       *float64       // share of requests refused at least once, 0..1
}

// sloExample is the valid form quoted by every SLO error.
const sloExample = "comma-separated KEY=VALUE such as p95-delay=2s,fail=0.1% (keys: p50-delay, p95-delay, p99-delay, fail, refused)"

// DefaultSLO is the SLO of a plan that names none.
const DefaultSLO = "p95-delay=2s,fail=0.1%"

// ParseSLO reads an SLO: "p95-delay=2s,fail=0.1%". Delays are Go durations (2s, 500ms); shares
// are percentages (0.1%) or fractions (0.001).
func ParseSLO(s string) (SLO, error) {
	var out SLO
	if strings.TrimSpace(s) == "" {
		return out, fmt.Errorf("invalid SLO %q: empty; want %s", s, sloExample)
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || v == "" {
			return SLO{}, fmt.Errorf("invalid SLO %q: %q has no =VALUE; want %s", s, part, sloExample)
		}
		switch k {
		case "p50-delay", "p95-delay", "p99-delay":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return SLO{}, fmt.Errorf("invalid SLO %q: %s %q is not a duration ≥ 0 such as 2s or 500ms", s, k, v)
			}
			switch k {
			case "p50-delay":
				out.P50 = &d
			case "p95-delay":
				out.P95 = &d
			default:
				out.P99 = &d
			}
		case "fail", "refused":
			f, err := parseShare(v)
			if err != nil {
				return SLO{}, fmt.Errorf("invalid SLO %q: %s %v", s, k, err)
			}
			if k == "fail" {
				out.Fail = &f
			} else {
				out.Refused = &f
			}
		default:
			return SLO{}, fmt.Errorf("invalid SLO %q: unknown key %q; want %s", s, k, sloExample)
		}
	}
	return out, nil
}

// parseShare reads a share: 0.1% or 0.001, between 0 and 1.
func parseShare(v string) (float64, error) {
	num, pct := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if pct {
		f /= 100
	}
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not a share: want a percentage from 0%% to 100%% such as 0.1%%, or a fraction from 0 to 1", v)
	}
	return f, nil
}

// String writes the SLO as ParseSLO reads it.
func (s SLO) String() string {
	var parts []string
	for _, d := range []struct {
		k string
		v *time.Duration
	}{{"p50-delay", s.P50}, {"p95-delay", s.P95}, {"p99-delay", s.P99}} {
		if d.v != nil {
			parts = append(parts, d.k+"="+d.v.String())
		}
	}
	for _, f := range []struct {
		k string
		v *float64
	}{{"fail", s.Fail}, {"refused", s.Refused}} {
		if f.v != nil {
			parts = append(parts, f.k+"="+strconv.FormatFloat(*f.v*100, 'g', -1, 64)+"%")
		}
	}
	return strings.Join(parts, ",")
}

// Meets reports whether entry e meets the SLO.
func (s SLO) Meets(e *summary.PlanEntry) bool {
	within := func(bound *time.Duration, v float64) bool { return bound == nil || v <= bound.Seconds()+1e-9 }
	share := func(bound *float64, v float64) bool { return bound == nil || v <= *bound+1e-12 }
	return within(s.P50, e.AddedDelay.P50) && within(s.P95, e.AddedDelay.P95) && within(s.P99, e.AddedDelay.P99) &&
		share(s.Fail, e.FailedShare) && share(s.Refused, e.RefusedShare)
}

// delays returns the delay bounds in quantiles' order.
func (s *SLO) delays() [3]*time.Duration { return [3]*time.Duration{s.P50, s.P95, s.P99} }
