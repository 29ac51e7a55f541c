package sim

import (
	"context"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// job is one client (closed model) or one logical request (open model) with the attempt it has
// in flight.
type job struct {
	flow   backoff.Flow
	policy backoff.Policy
	id     int64 // logical request id
	client int
	left   int // closed model: logical requests still to start after the current one
	step   backoff.Step

	// The attempt in flight (between its send and its evDone).
	sentAt   int64
	timedOut bool
	reply    account.Reply
	plan     genPlan            // how the reply arrives: its generation time, stream and charges
	snap     ratelimit.Snapshot // what the client read; the Outcome points here
}

// phase is the state of one running phase.
type phase struct {
	r         *Engine
	label     string
	phaseName string
	strategy  string
	fleetSize int
	observe   engine.Observer
	think     int64

	jobs []job
	free []int32 // open model: job slots of finished requests
	rec  *recorder

	halted bool
	why    engine.Stop
	maxAt  int64 // virtual instant the run's MaxDuration is reached; 0 when none

	// Open model: the generator.
	fleet backoff.Fleet
	pacer workload.Pacer
	start int64
	dur   int64
	hits  uint64

	requests, succeeded, failed, abandoned, attempts int64
}

// genJob is the job index of the open model's generator events.
const genJob = -1

// checkEvery is how many events pass between checks of the context and the recorder.
const checkEvery = 1024

func (r *Engine) newPhase(label, phaseName, strategy string, fleetSize int, observe engine.Observer) *phase {
	ph := &phase{r: r, label: label, phaseName: phaseName, strategy: strategy, fleetSize: fleetSize, observe: observe}
	if d := r.budget.MaxDuration; d > 0 {
		ph.maxAt = max(int64(d-r.offset), 1)
	}
	r.q.reset()
	return ph
}

// Open runs an open-model phase in virtual time: hit n+1 arrives Pacer.Due(n) after the phase
// starts, for every due time before Duration (zero takes a StagesPacer's own), whatever the
// responses do; logical request i gets client i of the fleet. It returns when every logical
// request has ended. Nothing is ever late or dropped: the simulator has no in-flight cap.
func (r *Engine) Open(ctx context.Context, p engine.OpenPhase) (engine.Result, error) {
	if err := p.Check(); err != nil {
		return engine.Result{}, err
	}
	dur := p.Duration
	ph := r.newPhase(p.Label, p.Phase, p.Strategy, 0, p.Observe)
	ph.fleet = engine.FleetOrNone(p.Fleet, r.seed)
	ph.pacer, ph.start, ph.dur = p.Pacer, r.now, int64(dur)
	if due, ok := p.Pacer.Due(0); ok && due < dur {
		r.q.push(ph.start+int64(due), genJob, evArrival)
	}
	return ph.run(ctx, p.Kind, 0)
}

// Closed runs a closed-model phase in virtual time: Clients clients sharing the runner's key,
// each making Requests logical requests in turn and pausing Think after each. Every client's
// first request is scheduled when the phase starts (in client order), each later one when the
// previous ended plus Think. It returns when every client has finished.
func (r *Engine) Closed(ctx context.Context, p engine.ClosedPhase) (engine.Result, error) {
	if err := p.Check(); err != nil {
		return engine.Result{}, err
	}
	ph := r.newPhase(p.Label, p.Phase, p.Strategy, p.Clients, p.Observe)
	ph.think = int64(max(p.Think, 0))
	fleet := engine.FleetOrNone(p.Fleet, r.seed)
	members := p.Members()
	ph.jobs = make([]job, len(members))
	for k, i := range members {
		ph.jobs[k] = job{policy: fleet.Client(i), client: i, left: p.Requests}
		r.q.push(r.now, int32(k), evStart)
	}
	return ph.run(ctx, p.Kind, p.Clients)
}

// run processes events until none is left, then closes the phase.
func (ph *phase) run(ctx context.Context, kind string, clients int) (engine.Result, error) {
	r := ph.r
	start := r.now
	ph.rec = newRecorder(r.out)
	if ctx.Err() != nil {
		r.interrupt()
	}
	if r.stop.Stopped() {
		ph.halt(r.stop)
	}
	var n uint
	for r.q.len() > 0 {
		ev := r.q.pop()
		if n++; n%checkEvery == 0 {
			ph.check(ctx)
		}
		if ph.maxAt > 0 && ev.at >= ph.maxAt && !ph.halted {
			r.Stop(engine.Stop{Kind: engine.StopMaxDuration, After: r.budget.MaxDuration})
			ph.halt(r.stop)
		}
		// Once halted, only the responses of attempts in flight still happen; everything else
		// is abandoned at the instant of the halt, as the live engine stops its timers.
		if ev.at > r.now && (!ph.halted || ev.kind == evDone || ev.kind == evCharge) {
			r.now = ev.at
		}
		switch ev.kind {
		case evArrival:
			ph.arrive()
		case evStart:
			ph.begin(ev.job)
		case evWake:
			j := &ph.jobs[ev.job]
			if ph.halted {
				ph.abandoned++
				ph.release(ev.job)
				continue
			}
			j.step = j.flow.Next(r.Now())
			ph.drive(ev.job)
		case evDone:
			ph.done(ev.job)
		case evCharge:
			ph.chargeStream(ev.job)
		}
	}
	if err := ph.rec.close(); err != nil && r.fault == nil {
		r.fault = err
		r.Stop(engine.Stop{Kind: engine.StopFailed, Err: err})
	}
	res := engine.Result{
		Label: ph.label, Start: r.offset + time.Duration(start), End: r.Elapsed(),
		Requests: ph.requests, Succeeded: ph.succeeded, Failed: ph.failed, Abandoned: ph.abandoned,
		Attempts: ph.attempts, Stop: ph.why,
	}
	r.segments = append(r.segments, record.Segment{
		Label: ph.label, Kind: kind, Strategy: ph.strategy, Mode: record.ModeSim, Clients: clients,
		StartS: r.since(start).Seconds(), EndS: r.since(r.now).Seconds(),
	})
	switch {
	case r.fault != nil:
		return res, r.fault
	case r.interrupted:
		return res, engine.ErrInterrupted
	}
	return res, nil
}

// check halts the phase when its context is cancelled or recording failed.
func (ph *phase) check(ctx context.Context) {
	r := ph.r
	if ctx.Err() != nil && !r.interrupted {
		r.interrupt()
		ph.halt(r.stop)
	}
	if err := ph.rec.failed(); err != nil && r.fault == nil {
		r.fault = err
		r.Stop(engine.Stop{Kind: engine.StopFailed, Err: err})
		ph.halt(r.stop)
	}
}

// halt stops the phase: no new logical request starts, waiting ones are abandoned, attempts in
// flight finish and are recorded.
func (ph *phase) halt(why engine.Stop) {
	if !ph.halted {
		ph.halted, ph.why = true, why
	}
}

// arrive starts the open model's next logical request and schedules the hit after it.
func (ph *phase) arrive() {
	if ph.halted {
		return
	}
	r := ph.r
	i := ph.alloc()
	j := &ph.jobs[i]
	id := r.nextID
	r.nextID++
	*j = job{policy: ph.fleet.Client(int(id)), id: id}
	j.flow = *backoff.NewFlow(j.policy, r.Now())
	ph.requests++
	ph.hits++
	if due, ok := ph.pacer.Due(ph.hits); ok && int64(due) < ph.dur {
		r.q.push(ph.start+int64(due), genJob, evArrival)
	}
	ph.drive(i)
}

// alloc returns a free job slot for an open-model request.
func (ph *phase) alloc() int32 {
	if n := len(ph.free); n > 0 {
		i := ph.free[n-1]
		ph.free = ph.free[:n-1]
		return i
	}
	ph.jobs = append(ph.jobs, job{})
	return int32(len(ph.jobs) - 1)
}

// release frees an open-model request's slot; closed-model clients keep theirs.
func (ph *phase) release(i int32) {
	if ph.pacer != nil {
		ph.free = append(ph.free, i)
	}
}

// begin starts closed-model client i's next logical request now.
func (ph *phase) begin(i int32) {
	if ph.halted {
		return
	}
	r := ph.r
	j := &ph.jobs[i]
	j.id = r.nextID
	r.nextID++
	j.left--
	j.flow = *backoff.NewFlow(j.policy, r.Now())
	j.step = backoff.Step{}
	ph.requests++
	ph.drive(i)
}

// drive runs job i's Flow from its current step until it waits, sends or ends.
func (ph *phase) drive(i int32) {
	r := ph.r
	j := &ph.jobs[i]
	for {
		switch j.step.Kind {
		case 0:
			j.step = j.flow.Next(r.Now())
		case backoff.StepWait:
			if ph.halted {
				ph.abandoned++
				ph.release(i)
				return
			}
			at := max(int64(j.step.At.Sub(r.epoch)), r.now)
			r.q.push(at, i, evWake)
			return
		case backoff.StepSend:
			if ph.halted || !r.reserve() {
				ph.halt(r.stop)
				ph.abandoned++
				ph.release(i)
				return
			}
			ph.send(i)
			return
		case backoff.StepReject:
			ph.reject(i)
		case backoff.StepDone:
			if j.flow.Succeeded() {
				ph.succeeded++
			} else {
				ph.failed++
			}
			ph.next(i)
			return
		}
	}
}

// next follows a finished logical request: the closed model's client starts its next one (after
// Think), the open model's slot is freed.
func (ph *phase) next(i int32) {
	if ph.pacer != nil {
		ph.release(i)
		return
	}
	j := &ph.jobs[i]
	if j.left <= 0 {
		return
	}
	if ph.think > 0 {
		ph.r.q.push(ph.r.now+ph.think, i, evStart)
		return
	}
	ph.begin(i)
}

// send makes the attempt job i's step asks for: the account model decides it at the current
// instant, and its response arrives after the reply's latency (or the timeout).
func (ph *phase) send(i int32) {
	r := ph.r
	j := &ph.jobs[i]
	call := account.Call{Key: r.key, Endpoint: r.endpoint, Model: r.model}
	if r.llm {
		in, maxTok := r.requests.Of(j.id)
		call.InputTokens, call.MaxTokens = max(in, 1), maxTok
		call.DeferOutput = true // charged as generated (charge), as the mock's front end does
		if p := r.requests.Cache; p.Tokens > 0 {
			call.InputTokens += p.Tokens
			call.Cache = []account.CachePrefix{{Hash: p.Key(j.id), Tokens: p.Tokens, TTL: 5 * time.Minute}}
		}
	}
	j.reply = r.ledger.Handle(r.Now(), call)
	j.plan = r.plan(&j.reply, r.requests.Stream)
	end, timeout := j.plan.end, int64(r.timeout)
	// A response whose headers, or whose whole body when it is not streamed, come after the
	// timeout is a transport error at the timeout; a stream still running then fails as timed out.
	j.timedOut = j.reply.Latency > r.timeout || (!j.plan.streamed && end > timeout)
	switch {
	case j.timedOut:
		end = timeout
	case end > timeout:
		j.plan.cut(timeout)
		end = timeout
	}
	j.sentAt = r.now
	if next := j.plan.nextCharge(0); next >= 0 {
		r.q.push(r.now+next, i, evCharge)
	}
	r.q.push(r.now+end, i, evDone)
}

// chargeStream charges the output tokens job i's stream has sent by now and schedules the next
// charge.
func (ph *phase) chargeStream(i int32) {
	r := ph.r
	j := &ph.jobs[i]
	t := r.now - j.sentAt
	r.charge(&j.plan, t, r.Now())
	if next := j.plan.nextCharge(t); next >= 0 {
		r.q.push(j.sentAt+next, i, evCharge)
	}
}

// done records the attempt of job i whose response has just arrived, tells the Flow and drives
// it on.
func (ph *phase) done(i int32) {
	r := ph.r
	j := &ph.jobs[i]
	now := r.Now()
	sent := r.epoch.Add(time.Duration(j.sentAt))
	a := ph.rec.next()
	ph.fill(a, j)
	a.Sent = r.since(j.sentAt)
	a.Latency = time.Duration(r.now - j.sentAt)
	j.snap = ratelimit.Snapshot{}
	r.charge(&j.plan, r.now-j.sentAt, now)
	if r.requests.Stream {
		a.Stream = true
	}
	if j.timedOut {
		a.Error = "timeout after " + r.timeout.String()
	} else {
		a.Status = j.reply.Status
		if a.Status != 429 && (a.Status < 200 || a.Status >= 300) {
			a.ContentType = "application/json" // what the mock's HTTP server answers every error with
		}
		r.view.see(&j.snap, &response{reply: &j.reply, endpoint: r.endpoint, arrival: sent, received: now})
		if a.Status >= 400 && j.reply.Message != "" {
			h := r.hints.of(j.reply.ErrorType, j.reply.Message)
			if j.reply.Terminal && j.reply.Cause != "" {
				h.Terminal = j.reply.Cause // the model says so even when its message does not
			}
			h.Apply(&j.snap)
		}
		a.SetLimits(&j.snap)
		if r.llm && a.Status >= 200 && a.Status < 300 {
			a.InputTokens, a.OutputTokens = j.reply.InputTokens, j.reply.OutputTokens
			if j.plan.streamed {
				j.plan.streamFields(a)
				if a.StreamError != "" {
					a.Error = "stream failed after the status: " + a.StreamError
				}
			}
			a.CacheReadTokens, a.CacheCreationTokens = j.reply.CacheRead, j.reply.CacheCreation
			r.consume(a.InputTokens, a.OutputTokens)
		}
	}
	o := backoff.Outcome{
		Attempt: j.step.Attempt, Status: a.Status, Limits: &j.snap,
		Started: j.flow.Scheduled(), Sent: sent, Latency: now.Sub(sent), StreamError: a.StreamError,
	}
	j.step = j.flow.Done(now, o)
	ph.final(a, j)
	ph.record(a)
	ph.drive(i)
}

// reject records a local rejection by job i's policy and tells the Flow.
func (ph *phase) reject(i int32) {
	r := ph.r
	j := &ph.jobs[i]
	now := r.Now()
	a := ph.rec.next()
	ph.fill(a, j)
	a.Sent = r.since(r.now)
	a.ClientRejected = true
	j.snap = ratelimit.Snapshot{}
	o := backoff.Outcome{
		Attempt: j.step.Attempt, ClientRejected: true, Limits: &j.snap,
		Started: j.flow.Scheduled(), Sent: now,
	}
	j.step = j.flow.Done(now, o)
	ph.final(a, j)
	ph.record(a)
}

// final marks a as its logical request's last attempt when the Flow is done, with the reason
// when it gave up.
func (ph *phase) final(a *record.Attempt, j *job) {
	a.Final = j.step.Kind == backoff.StepDone
	if a.Final && !j.flow.Succeeded() {
		a.GaveUp = j.flow.Reason()
	}
}

// fill sets the fields every record of job j's current attempt shares.
func (ph *phase) fill(a *record.Attempt, j *job) {
	r := ph.r
	a.Run, a.Mode, a.Strategy, a.Phase, a.Fleet = ph.label, record.ModeSim, ph.strategy, ph.phaseName, ph.fleetSize
	a.Client, a.Request, a.Number = j.client, j.id, j.step.Attempt
	a.Scheduled = r.since(int64(j.step.Due.Sub(r.epoch)))
	a.MaxTokens = r.requests.MaxTokens
	if r.requests.Sizes != nil && r.llm {
		_, a.MaxTokens = r.requests.Sizes.Of(j.id)
	}
}

// record counts the attempt built in the recorder's slot, shows it to the observer and hands it
// to the recorder.
func (ph *phase) record(a *record.Attempt) {
	ph.attempts++
	ph.r.stats.Count(a)
	if ph.observe != nil && ph.observe(a) {
		ph.halt(engine.Stop{Kind: engine.StopObserver})
	}
	ph.rec.commit()
}
