package report

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ratelab/ratelab/summary"
	"github.com/ratelab/ratelab/threshold"
)

// thresholds checks the thresholds run.json records (a scenario's expect: section as JSON)
// against s. Thresholds that do not read back fail as one entry: a threshold never passes for
// want of a reading.
func thresholds(raw json.RawMessage, s *summary.Summary) []summary.Threshold {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil
	}
	var e threshold.Expect
	if err := json.Unmarshal(raw, &e); err != nil {
		return []summary.Threshold{{Path: "expect", Subject: "thresholds", Detail: fmt.Sprintf("run.json's thresholds do not read back: %v", err)}}
	}
	return threshold.Evaluate(&e, s)
}

// thresholdsMarkdown writes report.md's Thresholds section: how many passed, then one line per
// threshold with failures in bold.
func thresholdsMarkdown(b *bytes.Buffer, ts []summary.Threshold) {
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
