package backoff

import (
	"fmt"
	"time"
)

// StepKind says what a Flow wants its driver to do next.
type StepKind uint8

// The steps of a Flow.
const (
	// StepSend: send attempt Step.Attempt now, then report its outcome to Flow.Done.
	StepSend StepKind = iota + 1
	// StepWait: wait until Step.At, then call Flow.Next(Step.At) (or later).
	StepWait
	// StepReject: the policy refused the attempt locally; record it and report an Outcome with
	// ClientRejected to Flow.Done.
	StepReject
	// StepDone: the logical request is over; see Flow.Succeeded and Flow.Reason.
	StepDone
)

// Step is one instruction from a Flow.
type Step struct {
	Kind    StepKind
	At      time.Time // StepWait: until when
	Attempt int       // StepSend, StepReject: 1-based attempt number
	Due     time.Time // StepSend, StepReject: when the attempt became due (its scheduled time)
}

// MaxAttemptsPerRequest bounds any policy: a logical request never makes more attempts than this.
const MaxAttemptsPerRequest = 1000

// Flow is the retry loop of one logical request as a state machine. The live engine drives it
// with the real clock and real HTTP; the simulator drives it with virtual time; both therefore
// make exactly the same decisions for the same outcomes. A driver runs:
//
//	step := f.Next(now)
//	for step.Kind != StepDone {
//		switch step.Kind {
//		case StepWait:   sleep until step.At; step = f.Next(step.At)
//		case StepSend:   o := send(step.Attempt); step = f.Done(end, o)
//		case StepReject: step = f.Done(now, Outcome{ClientRejected: true, ...})
//		}
//	}
type Flow struct {
	policy    Policy
	scheduled time.Time
	due       time.Time // when the next attempt became due
	attempts  int       // attempts finished (sent or rejected)
	finished  time.Time
	succeeded bool
	done      bool
	reason    string
}

// NewFlow starts a logical request scheduled at the given instant under policy p.
func NewFlow(p Policy, scheduled time.Time) *Flow {
	return &Flow{policy: p, scheduled: scheduled, due: scheduled}
}

// Scheduled is when the logical request was scheduled; its latency counts from here.
func (f *Flow) Scheduled() time.Time { return f.scheduled }

// Due returns when the next attempt became due (its scheduled time).
func (f *Flow) Due() time.Time { return f.due }

// Next asks the policy whether the next attempt may go at now.
func (f *Flow) Next(now time.Time) Step {
	if f.done {
		return Step{Kind: StepDone}
	}
	g := f.policy.Before(now, f.attempts+1)
	switch {
	case g.Reject:
		return Step{Kind: StepReject, Attempt: f.attempts + 1, Due: f.due}
	case g.Wait > 0:
		return Step{Kind: StepWait, At: now.Add(g.Wait)}
	default:
		return Step{Kind: StepSend, Attempt: f.attempts + 1, Due: f.due}
	}
}

// Done reports the outcome of the attempt (or local rejection) the last step asked for, at the
// instant it finished, and returns the next step.
func (f *Flow) Done(now time.Time, o Outcome) Step {
	f.attempts++
	if o.Started.IsZero() {
		o.Started = f.scheduled
	}
	if o.Attempt == 0 {
		o.Attempt = f.attempts
	}
	d := f.policy.After(now, o)
	switch {
	case o.Succeeded():
		return f.finish(now, true, "")
	case !d.Retry:
		reason := d.Reason
		if reason == "" {
			reason = fmt.Sprintf("gave up after %d attempts (last status %d)", f.attempts, o.Status)
		}
		return f.finish(now, false, reason)
	case f.attempts >= MaxAttemptsPerRequest:
		return f.finish(now, false, fmt.Sprintf("hit the hard cap of %d attempts", MaxAttemptsPerRequest))
	}
	f.due = now.Add(d.Wait)
	if d.Wait > 0 {
		return Step{Kind: StepWait, At: f.due}
	}
	return f.Next(now)
}

// GiveUp ends the logical request as failed at now, for reason, whatever the policy would do
// next: the driver's own bounds (the live engine's max elapsed) use it.
func (f *Flow) GiveUp(now time.Time, reason string) Step {
	if f.done {
		return Step{Kind: StepDone}
	}
	return f.finish(now, false, reason)
}

func (f *Flow) finish(now time.Time, ok bool, reason string) Step {
	f.done, f.succeeded, f.finished, f.reason = true, ok, now, reason
	return Step{Kind: StepDone}
}

// Attempts is the number of attempts made so far (local rejections included).
func (f *Flow) Attempts() int { return f.attempts }

// Succeeded reports whether the request ended with a 2xx.
func (f *Flow) Succeeded() bool { return f.succeeded }

// Reason says why a failed request stopped.
func (f *Flow) Reason() string { return f.reason }

// Finished is when the request ended (zero while running).
func (f *Flow) Finished() time.Time { return f.finished }
