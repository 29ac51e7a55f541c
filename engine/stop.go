// Package engine is the contract the two engines keep: the live one (probe) and the
// virtual-time one (sim) both stop for the same typed reasons and return the same
// ErrInterrupted, so limit discovery and the runner drive either one through the same code, and
// the words a user reads are chosen at the face (the runner names scenario fields or flags).
package engine

import (
	"errors"
	"time"
)

// ErrInterrupted is returned when a run's context was cancelled (Ctrl-C): scheduling stopped,
// in-flight attempts got their grace period, and every finished attempt was recorded. The
// command line maps it to exit code 130.
var ErrInterrupted = errors.New("interrupted")

// StopKind says why a run or a phase stopped early.
type StopKind uint8

// The reasons a run or phase stops early.
const (
	NotStopped      StopKind = iota
	StopMaxRequests          // Budget.MaxRequests attempts reserved (Stop.Limit)
	StopTokens               // Budget.Tokens consumed (Stop.Limit, Stop.Consumed)
	StopMaxDuration          // Budget.MaxDuration of run time passed (Stop.After)
	StopUnconfirmed          // Budget.Unconfirmed attempts sent to a host nobody confirmed (Stop.Limit, Stop.Host)
	StopInterrupted          // the context was cancelled
	StopObserver             // a phase's Observer asked (phase-level only)
	StopFailed               // recording the attempts failed (Stop.Err)
	StopAborted              // the caller stopped the run (Stop.Err says why)
	StopTerminal             // a terminal refusal: a quota no retry can outlast (Stop.Cause says which)
)

// Stop is why a run or a phase stopped early, as data: the zero Stop means it has not.
type Stop struct {
	Kind     StopKind
	Limit    int64         // the bound reached: attempts or tokens
	Consumed int64         // StopTokens: the tokens consumed when it stopped
	After    time.Duration // StopMaxDuration: the run time bound
	Host     string        // StopUnconfirmed: the host requests went to
	Err      error         // StopFailed and StopAborted
	Cause    string        // StopTerminal: the refusal, e.g. "daily quota exhausted (daily-quota, status 429)"
}

// Stopped reports whether s says the run or phase stopped.
func (s Stop) Stopped() bool { return s.Kind != NotStopped }

// Budget is whether s is a budget bound: attempts, tokens or run time.
func (s Stop) Budget() bool {
	return s.Kind == StopMaxRequests || s.Kind == StopTokens || s.Kind == StopMaxDuration
}

// IsDone reports, without blocking, whether c (a Done or stop channel) is closed.
func IsDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
