package find

import (
	"context"
	"time"

	"github.com/ratelab/ratelab/probe"
)

// Runner is what discovery drives: open-model phases, pauses, and the run clock. The live
// engine (through Live) and the virtual-time simulator both implement it, so one discovery
// procedure runs against a real server and, in virtual time, against the mock's account model.
type Runner interface {
	// Open runs an open-model phase; it returns when every request it started has ended. When
	// the run has stopped (budget, --max-duration, interrupt) it returns at once with the run's
	// stop reason in PhaseResult.StopReason.
	Open(ctx context.Context, p probe.OpenPhase) (probe.PhaseResult, error)
	// Sleep lets d pass without traffic; it returns early with ctx's error when ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
	// Elapsed is the time since the run started.
	Elapsed() time.Duration
}

// liveRunner adapts the live engine.
type liveRunner struct {
	e *probe.Engine
}

// Live adapts a live engine to Runner: Sleep waits on a timer and wakes early when ctx is done
// or the run stops.
func Live(e *probe.Engine) Runner { return liveRunner{e} }

func (l liveRunner) Open(ctx context.Context, p probe.OpenPhase) (probe.PhaseResult, error) {
	return l.e.Open(ctx, p)
}

func (l liveRunner) Elapsed() time.Duration { return l.e.Elapsed() }

// Sleep waits d, checking every 50 ms whether the run stopped (the engine offers no channel
// for it), so that a budget or --max-duration stop is not slept through.
func (l liveRunner) Sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-tick.C:
			if l.e.StopReason() != "" {
				return nil
			}
		}
	}
}
