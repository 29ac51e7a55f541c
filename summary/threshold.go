package summary

import "fmt"

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
	mark := "ok  "
	if !t.Passed {
		mark = "FAIL"
	}
	return fmt.Sprintf("%s %s: %s", mark, t.Subject, t.Detail)
}

// Failed returns the lines of the thresholds s failed; nil for a nil summary.
func Failed(s *Summary) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, t := range s.Thresholds {
		if !t.Passed {
			out = append(out, t.String())
		}
	}
	return out
}
