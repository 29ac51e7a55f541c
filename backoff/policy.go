// Package backoff holds client retry and pacing strategies as pure policies: a policy is told the
// instant and the outcome of each attempt and answers whether to retry and when; some also hold a
// request back before it is sent (pacing, local throttling, concurrency limits). Policies never
// read a clock or sleep, and all randomness comes from a seeded source, so the live engine and
// the virtual-time simulator run exactly the same decisions.
package backoff

import (
	"time"

	"github.com/ratelab/ratelab/ratelimit"
)

// Outcome is what a policy learns from one finished attempt.
type Outcome struct {
	Attempt int // 1-based attempt number within the logical request
	// Status is the HTTP status; 0 means a transport error (connection refused, reset, timeout).
	Status int
	// ClientRejected is true when the policy's own Before refused to send; no HTTP attempt was made.
	ClientRejected bool
	// Limits is the parsed rate-limit content of the response (retry-after, x-should-retry and
	// per-dimension state). Never nil; empty after a transport error or a client rejection.
	Limits *ratelimit.Snapshot
	// Started is when the logical request was scheduled (max-elapsed counts from here).
	Started time.Time
	// Sent is when this attempt was sent; Latency how long it took.
	Sent    time.Time
	Latency time.Duration
	// StreamError is the kind of a failure inside a streamed 2xx response ("overloaded_error",
	// "closed", "stalled"), "" when none. Such an attempt did not succeed, and, as the official
	// SDKs do, it is not retried unless the strategy says retry-stream-errors=true.
	StreamError string
	// retryStream makes a StreamError retryable (the retry-stream-errors parameter).
	retryStream bool
}

// Retryable reports whether the outcome may be retried at all, by the rules the official SDKs
// share: x-should-retry overrides everything; otherwise transport errors, 408, 409, 429 and
// every 5xx (529 included) are retryable. A client-side rejection is retryable.
func (o *Outcome) Retryable() bool {
	if o.StreamError != "" && o.Status2xx() {
		return o.retryStream
	}
	if o.ClientRejected {
		return true
	}
	if o.Limits != nil && o.Limits.ShouldRetry != 0 {
		return o.Limits.ShouldRetry > 0
	}
	switch {
	case o.Status == 0:
		return true
	case o.Status == 408, o.Status == 409, o.Status == 429:
		return true
	case o.Status >= 500:
		return true
	}
	return false
}

// Succeeded reports whether the attempt got a 2xx answer (a whole one, when streamed).
func (o *Outcome) Succeeded() bool { return o.Status2xx() && o.StreamError == "" }

// Status2xx reports whether the attempt got a 2xx status, whatever happened in its stream.
func (o *Outcome) Status2xx() bool { return o.Status >= 200 && o.Status < 300 }

// Gate is a policy's answer before an attempt is sent.
type Gate struct {
	// Wait holds the attempt back this long; the caller waits, then asks Before again.
	Wait time.Duration
	// Reject refuses the attempt locally (client-side throttling). The caller does not send it,
	// and reports an Outcome with ClientRejected to After, which decides what happens next.
	Reject bool
}

// Decision is a policy's answer after an attempt.
type Decision struct {
	Retry bool          // make another attempt
	Wait  time.Duration // pause before the next attempt's Before
	// Reason says why the policy stopped (e.g. "max attempts 3", "retry-after 3600s over cap"),
	// "" when it succeeded or retries.
	Reason string
}

// Policy is one client's retry and pacing strategy. A Policy belongs to one client and is used by
// one goroutine at a time; policies of the same fleet may share state through their Fleet, which
// must then be safe for concurrent use.
type Policy interface {
	// Before is called before every attempt, the first included, with the current instant. It is
	// called again after every non-zero Wait until it returns a zero Gate or rejects. A policy
	// that reserves a send slot when it answers with a Wait must honour that reservation when it is
	// asked again.
	Before(now time.Time, attempt int) Gate
	// After is called with every finished attempt (and every local rejection) and decides whether
	// the logical request tries again. It is always called, even after a success, so adaptive
	// policies see every outcome.
	After(now time.Time, o Outcome) Decision
}

// Fleet creates the policies of the clients that share one account, and holds any state they
// share (a header pacer, an adaptive concurrency limit).
type Fleet interface {
	// Client returns the policy of client i (0-based). It is called once per client.
	Client(i int) Policy
}
