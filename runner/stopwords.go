package runner

import (
	"fmt"

	"github.com/ratelab/ratelab/engine"
)

// words renders why a run or phase stopped in the user's terms: a budget bound names the
// scenario field that set it, or the flag when the command line set it (Options.FieldName), so
// flag-built runs read "--max-requests 1000 reached" and scenario files "budget.max_requests
// 1000 reached".
func (r *runState) words(s engine.Stop) string {
	field := r.o.FieldName
	switch s.Kind {
	case engine.NotStopped:
		return ""
	case engine.StopMaxRequests:
		return fmt.Sprintf("%s %d reached", field("budget.max_requests"), s.Limit)
	case engine.StopTokens:
		if s.Consumed > 0 {
			return fmt.Sprintf("%s %d reached (%d consumed)", field("budget.budget_tokens"), s.Limit, s.Consumed)
		}
		return fmt.Sprintf("%s %d reached", field("budget.budget_tokens"), s.Limit)
	case engine.StopMaxDuration:
		return fmt.Sprintf("%s %s reached", field("budget.max_duration"), s.After)
	case engine.StopUnconfirmed:
		return fmt.Sprintf("%d requests sent to non-loopback host %s without confirmation; pass --yes to send more", s.Limit, s.Host)
	case engine.StopInterrupted:
		return "interrupted"
	case engine.StopObserver:
		return "stopped by observer"
	case engine.StopFailed:
		return "error: " + s.Err.Error()
	case engine.StopAborted:
		return s.Err.Error()
	case engine.StopTerminal:
		return "terminal refusal: " + s.Cause + "; no retry can succeed before it resets"
	}
	return fmt.Sprintf("stopped (%d)", s.Kind)
}
