// Package limiter holds the rate-limiting algorithms the mock server enforces: token bucket,
// leaky bucket (nginx limit_req), fixed window, sliding log, sliding window counter and GCRA.
// Each is a pure state machine over the instant it is given: no clock is read, so the same
// limiter runs in real time inside the HTTP mock and in virtual time inside the simulator.
// Limiters are not safe for concurrent use; the owner (an account) serializes access.
package limiter

import (
	"fmt"
	"strings"
	"time"
)

// Algorithm names a limiting algorithm. Its value is the --algorithm flag spelling.
type Algorithm string

// The algorithms a limiter can run.
const (
	TokenBucket   Algorithm = "token-bucket"
	LeakyBucket   Algorithm = "leaky-bucket"
	FixedWindow   Algorithm = "fixed-window"
	SlidingLog    Algorithm = "sliding-log"
	SlidingWindow Algorithm = "sliding-window"
	GCRA          Algorithm = "gcra"
)

// Algorithms lists every algorithm in flag order.
var Algorithms = []Algorithm{TokenBucket, LeakyBucket, FixedWindow, SlidingLog, SlidingWindow, GCRA}

// ParseAlgorithm validates a flag value.
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range Algorithms {
		if string(a) == s {
			return a, nil
		}
	}
	names := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		names[i] = string(a)
	}
	return "", fmt.Errorf("unknown algorithm %q: want one of %s", s, strings.Join(names, ", "))
}

// DefaultWindow is the window a limit is expressed over when none is given: limits are per minute.
const DefaultWindow = time.Minute

// Config describes one limiter. The sustained rate is always Limit per Window.
//
//   - Window algorithms (fixed-window, sliding-log, sliding-window) admit Limit units per Window.
//   - Bucket algorithms (token-bucket, gcra) hold Burst units (default Limit) and refill at Limit/Window.
//   - leaky-bucket drains at Limit/Window and queues up to Burst excess units; with NoDelay the queued
//     units are served at once (their slots still drain at the rate), as nginx limit_req nodelay.
type Config struct {
	Algorithm Algorithm
	Limit     int64         // units per Window; must be > 0
	Window    time.Duration // default DefaultWindow
	Burst     int64         // bucket capacity or leaky-bucket queue; 0 means Limit (leaky-bucket: 0 queued)
	NoDelay   bool          // leaky-bucket only
}

// Decision is a limiter's answer to one request, with everything a response header needs.
type Decision struct {
	Allowed bool
	// Delay is how long an admitted request must be held before it is served (leaky bucket without
	// nodelay); zero for every other algorithm.
	Delay time.Duration
	// Limit is the quota a header should advertise: the bucket capacity or the per-window limit.
	Limit int64
	// Remaining is the quota left after this decision, never negative.
	Remaining int64
	// Reset is the time until the limiter is fully replenished (buckets) or the current window
	// ends (windows).
	Reset time.Duration
	// RetryAfter is, when the request was denied, the earliest time after which the same request
	// could be admitted; zero when allowed. For a cost above the capacity it is the time to refill
	// fully (the request can never pass, and the caller decides what to say).
	RetryAfter time.Duration
}

// Limiter is one rate-limiting algorithm's state.
type Limiter interface {
	// Allow decides whether a request costing cost units, arriving at now, is admitted, and
	// consumes the quota when it is. Instants must not go backwards by more than a window;
	// an earlier instant than the last seen is treated as the last seen.
	Allow(now time.Time, cost int64) Decision
	// Charge consumes cost units at now whether or not they are available (a negative cost
	// refunds, never above the capacity). Used to account for output tokens after the fact and
	// for rejected attempts that still use quota. A bucket may go into debt.
	Charge(now time.Time, cost int64)
	// Peek returns the decision a zero-cost request would get at now, without changing state.
	Peek(now time.Time) Decision
	// Config returns the limiter's configuration with defaults filled in.
	Config() Config
}
