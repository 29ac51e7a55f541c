package runner

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/engine"
)

// TestWords: a stop reads in the user's words, flags for a run built from flags (the same text
// run.json held before stops were typed), field paths for a scenario file.
func TestWords(t *testing.T) {
	flags := map[string]string{"budget.max_requests": "--max-requests", "budget.budget_tokens": "--budget-tokens", "budget.max_duration": "--max-duration"}
	byFlag := &runState{o: Options{FieldName: func(p string) string {
		if f, ok := flags[p]; ok {
			return f
		}
		return p
	}}}
	byField := &runState{o: Options{FieldName: func(p string) string { return p }}}
	for _, tc := range []struct {
		name           string
		stop           engine.Stop
		flag, scenario string
	}{
		{"none", engine.Stop{}, "", ""},
		{"max requests", engine.Stop{Kind: engine.StopMaxRequests, Limit: 1000}, "--max-requests 1000 reached", "budget.max_requests 1000 reached"},
		{"tokens", engine.Stop{Kind: engine.StopTokens, Limit: 5000, Consumed: 5123}, "--budget-tokens 5000 reached (5123 consumed)", "budget.budget_tokens 5000 reached (5123 consumed)"},
		{"max duration", engine.Stop{Kind: engine.StopMaxDuration, After: 90 * time.Second}, "--max-duration 1m30s reached", "budget.max_duration 1m30s reached"},
		{"unconfirmed", engine.Stop{Kind: engine.StopUnconfirmed, Limit: 20, Host: "api.example:443"},
			"20 requests sent to non-loopback host api.example:443 without confirmation; pass --yes to send more",
			"20 requests sent to non-loopback host api.example:443 without confirmation; pass --yes to send more"},
		{"interrupted", engine.Stop{Kind: engine.StopInterrupted}, "interrupted", "interrupted"},
		{"failed", engine.Stop{Kind: engine.StopFailed, Err: errors.New("disk full")}, "error: disk full", "error: disk full"},
		{"aborted", engine.Stop{Kind: engine.StopAborted, Err: errors.New("the target is down")}, "the target is down", "the target is down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.flag, byFlag.words(tc.stop))
			assert.Equal(t, tc.scenario, byField.words(tc.stop))
		})
	}
}

// TestRunStop: an engine given what is left of the run's budget stops at that; the run names
// its own bound.
func TestRunStop(t *testing.T) {
	r := &runState{budget: engine.Budget{MaxRequests: 1000, Tokens: 5000}}
	r.spent.Attempts, r.spent.InputTokens, r.spent.OutputTokens = 1000, 4000, 1100
	assert.Equal(t, engine.Stop{Kind: engine.StopMaxRequests, Limit: 1000}, r.runStop(engine.Stop{Kind: engine.StopMaxRequests, Limit: 400}))
	assert.Equal(t, engine.Stop{Kind: engine.StopTokens, Limit: 5000, Consumed: 5100}, r.runStop(engine.Stop{Kind: engine.StopTokens, Limit: 900, Consumed: 1000}))
	interrupted := engine.Stop{Kind: engine.StopInterrupted}
	assert.Equal(t, interrupted, r.runStop(interrupted))
}
