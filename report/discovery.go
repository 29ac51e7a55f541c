package report

import (
	"fmt"

	"github.com/ratelab/ratelab/probe/record"
)

// Discovery is summary.json's discovery object: what limit discovery (probe --find, a
// scenario's find phase) cost, from the attempts of the run's find segments. Against a paid
// API every request and token is billed, so the report states it.
type Discovery struct {
	Requests     int64   `json:"requests"`      // HTTP requests discovery sent (one attempt each)
	RateLimited  int64   `json:"rate_limited"`  // of which refused with 429
	InputTokens  int64   `json:"input_tokens"`  // input tokens the responses reported
	OutputTokens int64   `json:"output_tokens"` // output tokens the responses reported
	Tokens       int64   `json:"tokens"`        // input + output
	Seconds      float64 `json:"seconds"`       // from the first find segment's start to the last one's end
}

// discoveryAcc accumulates attempts by segment label; which labels are find segments is read
// from run.json when the summary is made (a live run adds its segments as it goes).
type discoveryAcc struct {
	byLabel map[string]*Discovery
}

func newDiscoveryAcc() *discoveryAcc { return &discoveryAcc{byLabel: map[string]*Discovery{}} }

// add counts a under its segment label.
func (acc *discoveryAcc) add(a *record.Attempt) {
	if a.ClientRejected || a.Strategy != "" {
		return // discovery sends no strategy's attempts
	}
	d := acc.byLabel[a.Run]
	if d == nil {
		d = &Discovery{}
		acc.byLabel[a.Run] = d
	}
	d.Requests++
	if a.Outcome() == record.OutcomeRateLimited {
		d.RateLimited++
	}
	d.InputTokens += a.InputTokens
	d.OutputTokens += a.OutputTokens
}

// summary returns the discovery object of run's find segments, nil when it has none.
func (acc *discoveryAcc) summary(run *record.Run) *Discovery {
	var out *Discovery
	var start, end float64
	for _, sg := range run.Segments {
		if sg.Kind != "find" {
			continue
		}
		if out == nil {
			out, start = &Discovery{}, sg.StartS
		}
		start, end = min(start, sg.StartS), max(end, sg.EndS)
		if d := acc.byLabel[sg.Label]; d != nil {
			out.Requests += d.Requests
			out.RateLimited += d.RateLimited
			out.InputTokens += d.InputTokens
			out.OutputTokens += d.OutputTokens
		}
	}
	if out != nil {
		out.Tokens = out.InputTokens + out.OutputTokens
		out.Seconds = round(max(end-start, 0), 3)
	}
	return out
}

// discoveryFinding says what discovery cost, "" when the run had none.
func discoveryFinding(d *Discovery) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf("Discovery cost %s request%s (%s refused), %s token%s and %s.",
		count(d.Requests), plural(d.Requests), count(d.RateLimited), count(d.Tokens), plural(d.Tokens), seconds(d.Seconds))
}
