package probe

import (
	"context"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/workload"
)

// Open runs an open-model phase and returns when every logical request it started has ended.
//
// A scheduler goroutine sleeps until each hit's due time and hands the hit to an idle worker
// over an unbuffered channel; when none is idle it starts another, up to the in-flight cap
// (vegeta's design). It never waits for a response, so a slow target cannot slow the arrivals
// (no coordinated omission). When the cap binds, the scheduler blocks: the hits it hands over
// late are counted as late, and those still unsent when the phase ends are counted as dropped.
// Below the cap every hit due before the end is sent, late if the machine was too busy.
// A retry waits on a timer without holding a worker, and goes back through the same hand-over.
func (e *Engine) Open(ctx context.Context, p engine.OpenPhase) (engine.Result, error) {
	if err := p.Check(); err != nil {
		return engine.Result{}, err
	}
	dur := p.Duration
	fleet := engine.FleetOrNone(p.Fleet, e.seed)
	ph := e.newPhase(p.Label, p.Phase, p.Strategy, 0, p.Observe)
	ph.work = make(chan *job)
	endWatch := ph.watch(ctx)
	defer endWatch()

	start := time.Now()
	endTimer := time.NewTimer(dur)
	defer endTimer.Stop()
	sleep := time.NewTimer(time.Hour)
	defer sleep.Stop()

	var hits uint64
	for !ph.isHalted() {
		due, ok := p.Pacer.Due(hits)
		if !ok || due >= dur {
			break
		}
		if wait := due - time.Since(start); wait > 0 {
			sleep.Reset(wait)
			select {
			case <-sleep.C:
			case <-ph.stopC:
				continue
			}
		}
		id := e.nextID.Add(1) - 1
		at := start.Add(due)
		j := &job{flow: *backoff.NewFlow(fleet.Client(int(id)), at), id: id, ready: at}
		ph.jobs.Add(1)
		if !ph.dispatch(j, endTimer.C) {
			ph.jobs.Done()
			break
		}
		ph.requests.Add(1)
		hits++
	}

	// Hits due before the end (or before the stop) that were never handed over are dropped.
	cut := dur
	if _, at := ph.stopState(); !at.IsZero() && at.Sub(start) < cut {
		cut = at.Sub(start)
	}
	var dropped int64
	if due := workload.HitsBefore(p.Pacer, cut); due > hits {
		dropped = int64(due - hits)
	}
	e.stats.dropped.Add(dropped)

	ph.jobs.Wait()
	close(ph.work)
	ph.workerWG.Wait()
	return ph.finish(p.Kind, 0, start, dropped)
}

// dispatch hands j to an idle worker, starting one if none is idle. Only when the in-flight
// cap is reached does it wait for a worker with a deadline (nil: none): a hit still waiting when
// the phase ends is dropped. Below the cap a hit is never dropped, only late.
func (ph *phase) dispatch(j *job, deadline <-chan time.Time) bool {
	select {
	case ph.work <- j:
		return true
	default:
	}
	if ph.spawn() {
		deadline = nil // a worker is starting for this hit
	}
	select {
	case ph.work <- j:
		return true
	case <-ph.stopC:
		return false
	case <-deadline:
		return false
	}
}

// spawn starts one more worker unless the in-flight cap is reached; false when it is.
func (ph *phase) spawn() bool {
	for {
		n := ph.workers.Load()
		if n >= int64(ph.e.maxInflight) {
			return false
		}
		if ph.workers.CompareAndSwap(n, n+1) {
			ph.workerWG.Go(ph.worker)
			return true
		}
	}
}

// worker runs jobs until the phase closes its work channel.
func (ph *phase) worker() {
	var s sender
	for j := range ph.work {
		if ph.drive(&s, j) {
			ph.park(j)
		}
	}
}

// park waits for j's retry without holding a worker: a timer hands j back at j.step.At.
func (ph *phase) park(j *job) {
	ph.parkMu.Lock()
	defer ph.parkMu.Unlock()
	if ph.halted {
		ph.abandon(j)
		return
	}
	ph.parked[j] = struct{}{}
	j.timer = time.AfterFunc(time.Until(j.step.At), func() { ph.resume(j) })
}

// resume hands a parked job back to the workers when its wait is over.
func (ph *phase) resume(j *job) {
	ph.parkMu.Lock()
	delete(ph.parked, j)
	halted := ph.halted
	ph.parkMu.Unlock()
	if halted {
		ph.abandon(j)
		return
	}
	j.ready, j.step = j.step.At, backoff.Step{}
	if !ph.dispatch(j, nil) {
		ph.abandon(j)
	}
}
