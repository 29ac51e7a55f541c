// Package limiter holds the rate-limiting algorithms the mock server enforces: token bucket,
// leaky bucket (nginx limit_req), fixed window, sliding log, sliding window counter and GCRA.
// Each is a pure state machine over the instant it is given: no clock is read, so the same
// limiter runs in real time inside the HTTP mock and in virtual time inside the simulator.
// Limiters are not safe for concurrent use; the owner (an account) serializes access.
// Instants are handled as Unix nanoseconds, so they must lie within time.Time.UnixNano's range
// (years 1678 to 2262; a simulator's virtual clock should start at a real date, not at the
// zero time.Time).
package limiter

import (
	"fmt"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/exact"
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

// CounterRounding is how the sliding window counter counts the previous window's weighted
// share, prev·(Window − elapsed)/Window, toward its estimate. Its value is the
// --counter-rounding flag spelling. Real implementations differ here, and the difference moves
// both where the counter reopens and what it sustains.
type CounterRounding string

// The sliding window counter's roundings.
const (
	// RoundFloor counts the share whole, rounded down (the default): a saturated counter
	// sustains Limit per Window.
	RoundFloor CounterRounding = "floor"
	// RoundHalfUp rounds the share to the nearest whole unit, halves up, as implementations
	// that round the weighted count do: it reopens half a unit's time later than RoundFloor
	// and also sustains Limit per Window.
	RoundHalfUp CounterRounding = "round-half-up"
	// RoundFractional keeps the share fractional, Cloudflare's formula as written: the share
	// never quite reaches zero before the window ends, so a saturated counter admits Limit − 1
	// per Window.
	RoundFractional CounterRounding = "fractional"
)

// CounterRoundings lists the roundings in flag order, the default first.
var CounterRoundings = []CounterRounding{RoundFloor, RoundHalfUp, RoundFractional}

// WindowStart is where a fixed window begins. Its value is the --window-start flag spelling.
type WindowStart string

// The fixed window's starts.
const (
	// StartClock aligns windows to the clock (the Unix epoch), the default: every client sees
	// the same boundaries, one Window apart.
	StartClock WindowStart = "clock"
	// StartFirstRequest opens a window at the first request after the previous window ended
	// (as in-memory limiters keyed by client often do): under steady traffic the windows follow
	// each other, while a gap in the traffic stretches the period between window starts.
	StartFirstRequest WindowStart = "first-request"
)

// WindowStarts lists the starts in flag order, the default first.
var WindowStarts = []WindowStart{StartClock, StartFirstRequest}

// parseVariant returns v when it is one of vals, the first of vals when v is empty.
func parseVariant[T ~string](field string, v T, vals []T) (T, error) {
	if v == "" {
		return vals[0], nil
	}
	for _, x := range vals {
		if x == v {
			return v, nil
		}
	}
	names := make([]string, len(vals))
	for i, x := range vals {
		names[i] = string(x)
	}
	return v, fmt.Errorf("limiter: %s: unknown value %q: want one of %s", field, v, strings.Join(names, ", "))
}

// DefaultWindow is the window a limit is expressed over when none is given: limits are per minute.
const DefaultWindow = time.Minute

// MaxWindow is the longest Window New accepts: ten years keeps every window boundary of an
// instant between 1970 and 2200 within a time.Time's nanosecond range.
const MaxWindow = 10 * 365 * 24 * time.Hour

// Config describes one limiter. The sustained rate is always Limit per Window.
//
//   - Window algorithms (fixed-window, sliding-log, sliding-window) admit Limit units per Window;
//     Burst and NoDelay do not apply to them (New sets them to zero). Start applies to the
//     fixed window only and Rounding to the sliding window counter only (New sets them to
//     their defaults there and to "" elsewhere).
//   - Bucket algorithms (token-bucket, gcra) hold Burst units and refill at Limit/Window.
//   - leaky-bucket drains at Limit/Window and lets Burst excess units queue ahead of a request
//     (nginx limit_req burst=Burst, so Burst+1 requests pass at one instant); with NoDelay the
//     queued requests are served at once (their slots still drain at the rate), as nginx's nodelay.
//
// For all three bucket algorithms Burst 0 means Limit: one window's quota, so a bare
// "--rpm 50" behaves like Anthropic's documented bucket of 50 refilling continuously.
type Config struct {
	Algorithm Algorithm
	Limit     int64         // units per Window; must be > 0
	Window    time.Duration // default DefaultWindow; must be > 0
	Burst     int64         // bucket capacity, or leaky-bucket queue; must be >= 0; 0 means Limit
	NoDelay   bool          // leaky-bucket only
	// Start is where fixed windows begin (fixed-window only; default StartClock).
	Start WindowStart
	// Rounding is how the sliding window counter counts the previous window's share
	// (sliding-window only; default RoundFloor).
	Rounding CounterRounding
}

// Decision is a limiter's answer to one request, with everything a response header needs.
type Decision struct {
	Allowed bool
	// Delay is how long an admitted request must be held before it is served (leaky bucket without
	// nodelay); zero for every other algorithm.
	Delay time.Duration
	// Limit is the quota a header should advertise: the bucket capacity or the per-window limit
	// (for the leaky bucket Burst+1, the most it admits at one instant).
	Limit int64
	// Remaining is the quota left after this decision, never negative.
	Remaining int64
	// Reset is the time until the limiter is fully replenished: the bucket full (token bucket,
	// gcra) or drained (leaky bucket), the fixed window's end, the sliding log empty, the sliding
	// window counter's estimate back at zero. Zero means fully replenished now.
	Reset time.Duration
	// RetryAfter is, when the request was denied, the earliest time after which the same request
	// could be admitted (if nothing else arrives meanwhile); it is > 0 exactly when the request was
	// denied. For a cost above the capacity (Burst for token-bucket and gcra, Limit for the window
	// algorithms) the request can never pass: RetryAfter is then the time to replenish fully, or
	// one Window when the limiter already is, and the caller decides what to say.
	RetryAfter time.Duration
}

// Limiter is one rate-limiting algorithm's state.
type Limiter interface {
	// Allow decides whether a request costing cost units, arriving at now, is admitted, and
	// consumes the quota when it is. An earlier instant than the last seen is treated as the
	// last seen: time never runs backwards, nothing refills backwards. A negative cost counts
	// as zero (refunds go through Charge).
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

// New validates c, fills in its defaults (Window DefaultWindow; Burst Limit for the bucket
// algorithms) and returns a fresh limiter: a full bucket, an empty window. Errors name the field
// and what would be valid.
func New(c Config) (Limiter, error) {
	c, err := c.normalize()
	if err != nil {
		return nil, err
	}
	switch c.Algorithm {
	case TokenBucket:
		return newTokenBucket(c), nil
	case GCRA:
		return newGCRA(c), nil
	case LeakyBucket:
		return newLeakyBucket(c), nil
	case FixedWindow:
		return newFixedWindow(c), nil
	case SlidingLog:
		return newSlidingLog(c), nil
	default: // SlidingWindow; normalize rejected everything else
		return newSlidingWindow(c), nil
	}
}

// normalize validates c and fills in its defaults.
func (c Config) normalize() (_ Config, err error) {
	if _, err := ParseAlgorithm(string(c.Algorithm)); err != nil {
		return c, fmt.Errorf("limiter: Algorithm: %w", err)
	}
	if c.Limit <= 0 {
		return c, fmt.Errorf("limiter: Limit must be > 0 units per Window, got %d", c.Limit)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Window < 0 || c.Window > MaxWindow {
		return c, fmt.Errorf("limiter: Window must be > 0 and at most %s (e.g. 1m), got %s", MaxWindow, c.Window)
	}
	if c.Burst < 0 {
		return c, fmt.Errorf("limiter: Burst must be >= 0 (0 means Limit, %d), got %d", c.Limit, c.Burst)
	}
	switch c.Algorithm {
	case TokenBucket, GCRA, LeakyBucket:
		if c.Burst == 0 {
			c.Burst = c.Limit
		}
		// A bucket of Burst units drains or refills in Burst·Window/Limit; that span must be
		// representable as a time.Duration (about 292 years).
		if _, _, ok := exact.MulDiv(uint64(c.Burst), uint64(c.Window), uint64(c.Limit)); !ok {
			return c, fmt.Errorf("limiter: Burst %d at Limit %d per Window %s takes longer than %s to refill: lower Burst or raise Limit",
				c.Burst, c.Limit, c.Window, time.Duration(maxInt))
		}
		if c.Algorithm != LeakyBucket {
			c.NoDelay = false
		}
	default:
		c.Burst, c.NoDelay = 0, false
	}
	start, rounding := c.Start, c.Rounding
	c.Start, c.Rounding = "", ""
	switch c.Algorithm {
	case FixedWindow:
		if c.Start, err = parseVariant("Start", start, WindowStarts); err != nil {
			return c, err
		}
	case SlidingWindow:
		if c.Rounding, err = parseVariant("Rounding", rounding, CounterRoundings); err != nil {
			return c, err
		}
	}
	return c, nil
}

// NeverRetryAfter is the RetryAfter of a request whose cost is above what the limiter can ever
// admit: the time until it is fully replenished (reset), or one window when it already is. Every
// algorithm answers such a request so, and limiter/redislimit with them.
func NeverRetryAfter(reset, window time.Duration) time.Duration {
	if reset == 0 {
		return window
	}
	return reset
}

// never reports whether a refused request of cost can never be admitted, its cost being above
// most (the limiter's capacity), and if so sets d.RetryAfter to NeverRetryAfter.
func never(d *Decision, cost, most int64, window time.Duration) bool {
	if cost <= most {
		return false
	}
	d.RetryAfter = NeverRetryAfter(d.Reset, window)
	return true
}
