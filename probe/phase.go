package probe

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
)

// job is one logical request in progress.
type job struct {
	flow   backoff.Flow
	id     int64
	client int
	// step is the Flow's current instruction; the zero backoff.Step means "ask Flow.Next now".
	step backoff.Step
	// ready is when the engine was told to send the next attempt (the pacer's due time, the end
	// of a wait, the end of the previous attempt): sending later than LateThreshold after it
	// counts as late.
	ready time.Time
	timer *time.Timer // while parked
}

// phase is the shared state of one running phase.
type phase struct {
	e         *Engine
	label     string
	phaseName string
	strategy  string
	fleetSize int
	observe   engine.Observer

	stopC    chan struct{}
	stopOnce sync.Once
	why      engine.Stop
	haltedAt time.Time

	// Open model: workers take jobs from work; parked jobs wait on timers for a retry.
	work     chan *job
	workers  atomic.Int64
	workerWG sync.WaitGroup
	jobs     sync.WaitGroup
	parkMu   sync.Mutex
	parked   map[*job]struct{}
	halted   bool

	requests, succeeded, failed, abandoned, expired, attempts, late atomic.Int64
	ttftKernel, ttftRead                                            atomic.Int64 // streams timed by each clock
}

func (e *Engine) newPhase(label, phaseName, strategy string, fleetSize int, observe engine.Observer) *phase {
	return &phase{
		e: e, label: label, phaseName: phaseName, strategy: strategy, fleetSize: fleetSize,
		observe: observe, stopC: make(chan struct{}), parked: map[*job]struct{}{},
	}
}

// watch halts a phase that starts after an interrupt or a stop, before it sends anything, and
// then stops it when ctx is cancelled (an interrupt, which stops the run) or the run stops; it
// returns a function that ends the watch and waits for it.
func (ph *phase) watch(ctx context.Context) (end func()) {
	if ctx.Err() != nil {
		ph.e.interrupt()
	}
	if ph.e.isStopped() {
		ph.halt(ph.e.Stopped())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			ph.e.interrupt()
			ph.halt(ph.e.Stopped())
		case <-ph.e.stopped:
			ph.halt(ph.e.Stopped())
		case <-done:
		}
	})
	return func() { close(done); wg.Wait() }
}

// halt stops the phase: no new logical request starts, parked ones are abandoned, in-flight
// attempts finish.
func (ph *phase) halt(why engine.Stop) {
	ph.stopOnce.Do(func() {
		ph.parkMu.Lock()
		ph.why, ph.haltedAt, ph.halted = why, time.Now(), true
		for j := range ph.parked {
			if j.timer.Stop() { // not fired: abandon it here; a fired one abandons itself
				delete(ph.parked, j)
				ph.abandon(j)
			}
		}
		ph.parkMu.Unlock()
		close(ph.stopC)
	})
}

// isHalted reports whether the phase was stopped.
func (ph *phase) isHalted() bool { return engine.IsDone(ph.stopC) }

// stopState returns why the phase halted and when (zero when it was not halted).
func (ph *phase) stopState() (engine.Stop, time.Time) {
	ph.parkMu.Lock()
	defer ph.parkMu.Unlock()
	return ph.why, ph.haltedAt
}

// abandon ends a logical request cut off by a stop.
func (ph *phase) abandon(*job) {
	ph.abandoned.Add(1)
	ph.jobs.Done()
}

// drive runs j's backoff.Flow from j.step until the logical request is done (false) or must wait until
// j.step.At (true). Every attempt is recorded, observed and counted.
func (ph *phase) drive(s *sender, j *job) (waiting bool) {
	for {
		if j.step.Kind == 0 {
			j.step = j.flow.Next(time.Now())
		}
		switch j.step.Kind {
		case backoff.StepWait:
			if !ph.overdue(j) {
				return true
			}
			// Held (before sending) past the bound: the request ends here, with a record of
			// its own that says so.
			ph.expire(s, j, time.Now())
		case backoff.StepDone:
			if j.flow.Succeeded() {
				ph.succeeded.Add(1)
			} else {
				ph.failed.Add(1)
			}
			ph.jobs.Done()
			return false
		case backoff.StepReject:
			now := time.Now()
			o := ph.reject(s, j, now)
			j.step = j.flow.Done(now, o)
			j.ready = now
		case backoff.StepSend:
			if ph.isHalted() || !ph.e.reserve() {
				ph.abandon(j)
				return false
			}
			o, end := ph.send(s, j)
			j.step = j.flow.Done(end, o)
			j.ready = end
			if j.step.Kind == backoff.StepWait && ph.overdue(j) {
				// The retry would be due past the bound: this attempt is the last.
				ph.expired.Add(1)
				j.step = j.flow.GiveUp(end, ph.overdueReason(j))
			}
		}
		s.rec.Final = j.step.Kind == backoff.StepDone
		if s.rec.Final && !j.flow.Succeeded() {
			s.rec.GaveUp = j.flow.Reason()
		}
		ph.record(&s.rec)
	}
}

// overdue reports whether j's wait would end later than the engine's max elapsed after the
// logical request was scheduled.
func (ph *phase) overdue(j *job) bool {
	return j.step.At.Sub(j.flow.Scheduled()) > ph.e.maxElapsed
}

// overdueReason says why an overdue request ended.
func (ph *phase) overdueReason(j *job) string {
	return fmt.Sprintf("max elapsed %s: the strategy would wait until %s after the request was scheduled",
		ph.e.maxElapsed, j.step.At.Sub(j.flow.Scheduled()).Round(time.Millisecond))
}

// expire ends j, which its policy holds before sending past the max elapsed: s.rec becomes a
// local rejection (no HTTP attempt was made) whose error says why, and the flow gives up.
func (ph *phase) expire(s *sender, j *job, now time.Time) {
	e := ph.e
	reason := ph.overdueReason(j)
	s.rec = record.Attempt{
		Run: ph.label, Mode: record.ModeLive, Strategy: ph.strategy, Phase: ph.phaseName, Fleet: ph.fleetSize,
		Client: j.client, Request: j.id, Number: j.flow.Attempts() + 1,
		Scheduled: e.since(j.flow.Due()), Sent: e.since(now),
		MaxTokens: e.target.MaxTokens(), ClientRejected: true, Error: "held by the strategy past the " + reason,
	}
	ph.expired.Add(1)
	j.step = j.flow.GiveUp(now, reason)
	j.ready = now
}

// record writes one attempt, counts it and shows it to the observer.
func (ph *phase) record(a *record.Attempt) {
	e := ph.e
	if err := e.out.Write(a); err != nil {
		e.fail(err)
	}
	ph.attempts.Add(1)
	e.stats.count(a, a.End())
	if ph.observe != nil && ph.observe(a) {
		ph.halt(engine.Stop{Kind: engine.StopObserver})
	}
}

// result builds the phase's result.
func (ph *phase) result(start, end time.Time, dropped int64) engine.Result {
	why, _ := ph.stopState()
	return engine.Result{
		Label: ph.label, Start: start.Sub(ph.e.start), End: end.Sub(ph.e.start),
		Requests: ph.requests.Load(), Succeeded: ph.succeeded.Load(), Failed: ph.failed.Load(),
		Abandoned: ph.abandoned.Load(), Expired: ph.expired.Load(), Attempts: ph.attempts.Load(), Dropped: dropped,
		Late: ph.late.Load(), Stop: why,
	}
}

// ttftClock counts a stream timed by the kernel's receive timestamp or by the read instant.
func (ph *phase) ttftClock(kernel bool) {
	if kernel {
		ph.ttftKernel.Add(1)
	} else {
		ph.ttftRead.Add(1)
	}
}

// finish appends the phase to the run's segments and returns its result, with ErrInterrupted
// when the run was interrupted and the recording error when recording failed.
func (ph *phase) finish(kind string, clients int, start time.Time, dropped int64) (engine.Result, error) {
	e := ph.e
	end := time.Now()
	res := ph.result(start, end, dropped)
	e.mu.Lock()
	e.segments = append(e.segments, record.Segment{
		Label: ph.label, Kind: kind, Strategy: ph.strategy, Mode: record.ModeLive, Clients: clients,
		StartS: e.since(start).Seconds(), EndS: e.since(end).Seconds(), TTFTClock: clockOf(ph.ttftKernel.Load(), ph.ttftRead.Load()),
	})
	interrupted, fault := e.interrupted, e.fault
	e.mu.Unlock()
	switch {
	case fault != nil:
		return res, fault
	case interrupted:
		return res, engine.ErrInterrupted
	}
	return res, nil
}
