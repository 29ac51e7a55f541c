package find

import (
	"context"
	"time"

	"github.com/ratelab/ratelab/probe"
)

// Runner is what discovery drives: open-model phases, pauses, and the run clock. The live
// engine (probe.Engine) and the virtual-time simulator (sim.Runner) both implement it, so one
// discovery procedure runs against a real server and, in virtual time, against the mock's
// account model.
type Runner interface {
	// Open runs an open-model phase; it returns when every request it started has ended. When
	// the run has stopped (budget, run time, interrupt) it returns at once with the run's stop
	// in PhaseResult.Stop.
	Open(ctx context.Context, p probe.OpenPhase) (probe.PhaseResult, error)
	// Sleep lets d pass without traffic; it returns early when the run stops (the engine's Done
	// channel: no polling), and with engine.ErrInterrupted when ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
	// Elapsed is the time since the run started.
	Elapsed() time.Duration
}
