package report

import (
	"fmt"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// discoveryAcc accumulates attempts by segment label; which labels are find segments is read
// from run.json when the summary is made (a live run adds its segments as it goes).
type discoveryAcc struct {
	byLabel map[string]*summary.Discovery
}

func newDiscoveryAcc() *discoveryAcc { return &discoveryAcc{byLabel: map[string]*summary.Discovery{}} }

// add counts a under its segment label.
func (acc *discoveryAcc) add(a *record.Attempt) {
	if a.ClientRejected || a.Strategy != "" {
		return // discovery sends no strategy's attempts
	}
	d := acc.byLabel[a.Run]
	if d == nil {
		d = &summary.Discovery{}
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
func (acc *discoveryAcc) summary(run *record.Run) *summary.Discovery {
	var out *summary.Discovery
	var start, end float64
	for _, sg := range run.Segments {
		if sg.Kind != "find" {
			continue
		}
		if out == nil {
			out, start = &summary.Discovery{}, sg.StartS
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
func discoveryFinding(d *summary.Discovery) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf("Discovery cost %s request%s (%s refused), %s token%s and %s.",
		count(d.Requests), plural(d.Requests), count(d.RateLimited), count(d.Tokens), plural(d.Tokens), seconds(d.Seconds))
}
