package probe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
)

// Closed runs a closed-model phase and returns when every client has finished (or the phase
// was stopped). Every client's first request is scheduled when the phase starts; each later one
// when the previous one ended plus Think. Waits run on the client's goroutine.
func (e *Engine) Closed(ctx context.Context, p engine.ClosedPhase) (engine.Result, error) {
	if err := p.Check(); err != nil {
		return engine.Result{}, err
	}
	members := p.Members()
	if len(members) > e.maxInflight {
		return engine.Result{}, fmt.Errorf("closed phase %q: %d clients exceed the in-flight cap of %d", p.Label, len(members), e.maxInflight)
	}
	fleet := engine.FleetOrNone(p.Fleet, e.seed)
	ph := e.newPhase(p.Label, p.Phase, p.Strategy, p.Clients, p.Observe)
	endWatch := ph.watch(ctx)
	defer endWatch()

	start := time.Now()
	var wg sync.WaitGroup
	for _, i := range members {
		policy := fleet.Client(i)
		wg.Go(func() { ph.client(i, policy, p.Requests, p.Think, start) })
	}
	wg.Wait()
	return ph.finish(p.Kind, p.Clients, start, 0)
}

// client runs one client's logical requests in sequence.
func (ph *phase) client(i int, policy backoff.Policy, requests int, think time.Duration, first time.Time) {
	var s sender
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// sleepUntil waits until t; false when the phase stopped first.
	sleepUntil := func(t time.Time) bool {
		d := time.Until(t)
		if d <= 0 {
			return !ph.isHalted()
		}
		timer.Reset(d)
		select {
		case <-timer.C:
			return true
		case <-ph.stopC:
			return false
		}
	}
	var j job
	next := first
	for range requests {
		if ph.isHalted() {
			return
		}
		id := ph.e.nextID.Add(1) - 1
		j = job{flow: *backoff.NewFlow(policy, next), id: id, client: i, ready: next}
		ph.jobs.Add(1)
		ph.requests.Add(1)
		for ph.drive(&s, &j) {
			if !sleepUntil(j.step.At) {
				ph.abandon(&j)
				return
			}
			j.ready, j.step = j.step.At, backoff.Step{}
		}
		next = time.Now().Add(think)
		if think > 0 && !sleepUntil(next) {
			return
		}
	}
}
