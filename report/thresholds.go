package report

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ratelab/ratelab/scenario"
)

// Threshold is one summary.json thresholds[] entry: one condition of a scenario's expect:
// section checked against the run's results.
type Threshold struct {
	// Path is the threshold's field path, e.g. "expect.strategies.full-jitter.p95".
	Path string `json:"path"`
	// Subject names what was measured, e.g. "full-jitter (sim, 100 clients) p95".
	Subject string `json:"subject"`
	Passed  bool   `json:"passed"`
	// Detail shows the figure against the condition, e.g. "2.31s, want < 30s".
	Detail string `json:"detail"`
}

// String renders the threshold as one terminal line: "ok   subject: detail" or
// "FAIL subject: detail".
func (t Threshold) String() string {
	return scenario.Check{Path: t.Path, Subject: t.Subject, Passed: t.Passed, Detail: t.Detail}.String()
}

// FailedThresholds returns the lines of the thresholds s failed.
func FailedThresholds(s *Summary) []string {
	var out []string
	for _, t := range s.Thresholds {
		if !t.Passed {
			out = append(out, t.String())
		}
	}
	return out
}

// thresholds checks the thresholds run.json records (a scenario's expect: section as JSON)
// against s. Thresholds that do not read back fail as one entry: a threshold never passes for
// want of a reading.
func thresholds(raw json.RawMessage, s *Summary) []Threshold {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil
	}
	var e scenario.Expect
	if err := json.Unmarshal(raw, &e); err != nil {
		return []Threshold{{Path: "expect", Subject: "thresholds", Detail: fmt.Sprintf("run.json's thresholds do not read back: %v", err)}}
	}
	checks := scenario.Evaluate(&e, Results(s))
	out := make([]Threshold, len(checks))
	for i, c := range checks {
		out[i] = Threshold{Path: c.Path, Subject: c.Subject, Passed: c.Passed, Detail: c.Detail}
	}
	return out
}

// Results is the view of a summary that scenario thresholds are checked against
// (scenario.Evaluate): the same figures, null where the summary has null.
func Results(s *Summary) scenario.Results {
	r := scenario.Results{
		Attempts: s.Totals.Attempts, RateLimited: s.Totals.RateLimited, Overloaded: s.Totals.Overloaded,
		Errors: s.Totals.Errors, Dropped: s.Totals.Dropped,
	}
	for _, l := range s.Limits {
		r.Limits = append(r.Limits, scenario.LimitResult{
			Dimension: l.Dimension, AdvertisedPerMinute: l.AdvertisedPerMinute,
			EffectivePerMinute: l.EffectivePerMinute, Burst: l.Burst, Algorithm: l.Algorithm, Gap: l.Gap,
		})
	}
	if s.Binding != nil {
		r.Binding = s.Binding.Dimension
	}
	if a := s.Accounting; a != nil {
		r.RejectedCount, r.OutputPrecharged = a.RejectedCount, a.OutputPrecharged
	}
	for i := range s.Strategies {
		st := &s.Strategies[i]
		sr := scenario.StrategyResult{
			Name: st.Name, Mode: st.Mode, Clients: st.Clients,
			Requests: st.Requests, Succeeded: st.Succeeded, Failed: st.Failed, Attempts: st.Attempts,
			RateLimited: st.RateLimited, Amplification: st.Amplification, MakespanSeconds: st.MakespanSeconds,
			MakespanLowerBoundSeconds: st.MakespanLowerBoundSeconds, GoodputPerSecond: st.GoodputPerSecond,
			Fairness: st.Fairness,
		}
		if l := st.Latency; l != nil {
			sr.P50, sr.P95, sr.P99, sr.Max = &l.P50, &l.P95, &l.P99, &l.Max
		}
		r.Strategies = append(r.Strategies, sr)
	}
	return r
}

// thresholdsMarkdown writes report.md's Thresholds section: how many passed, then one line per
// threshold with failures in bold.
func thresholdsMarkdown(b *bytes.Buffer, ts []Threshold) {
	if len(ts) == 0 {
		return
	}
	failed := 0
	for _, t := range ts {
		if !t.Passed {
			failed++
		}
	}
	b.WriteString("\n## Thresholds\n\n")
	if failed == 0 {
		fmt.Fprintf(b, "All %d passed.\n\n", len(ts))
	} else {
		fmt.Fprintf(b, "**%d of %d failed.**\n\n", failed, len(ts))
	}
	for _, t := range ts {
		mark := "ok"
		if !t.Passed {
			mark = "**FAIL**"
		}
		fmt.Fprintf(b, "- %s %s: %s (`%s`)\n", mark, t.Subject, t.Detail, t.Path)
	}
}
