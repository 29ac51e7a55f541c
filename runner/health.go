package runner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
)

// A live run stops by itself, with exit 1, when its target has answered nothing but transport
// errors and 5xx statuses for DeadTargetAfter and at least DeadTargetAttempts attempts in a
// row: a dead or broken target would otherwise keep retries going until each request's max
// elapsed (15 minutes by default). Any other answer (2xx, 429, any 4xx) starts the count over;
// attempts cut off by the run's own stop do not count.
const (
	DeadTargetAfter    = 10 * time.Second
	DeadTargetAttempts = 5
)

// TargetDownError is why a run stopped whose target answered nothing but errors for
// DeadTargetAfter.
type TargetDownError struct {
	For      time.Duration // from the first failed attempt's send to the last one's end
	Attempts int64         // failed attempts in a row
	Causes   string        // "9 × connection refused"
}

// Error says how long the target failed, how many attempts and why.
func (e *TargetDownError) Error() string {
	return fmt.Sprintf("the target answered nothing but errors for %.1f s, %d attempts in a row (%s); check the target URL and that the server is up",
		e.For.Seconds(), e.Attempts, e.Causes)
}

// NoSuccessError is why a run in which no request succeeded failed.
type NoSuccessError struct {
	Attempts int64  // HTTP attempts made (live and simulated)
	Causes   string // "6 × connection refused", "" when none was made
	Stopped  string // why the run stopped early, "" when it ran its course
}

// Error says that nothing succeeded and why.
func (e *NoSuccessError) Error() string {
	if e.Attempts == 0 {
		msg := "no request was sent"
		if e.Stopped != "" {
			msg += " (" + e.Stopped + ")"
		}
		return msg
	}
	return fmt.Sprintf("no request succeeded: none of %d attempts got a 2xx (%s)", e.Attempts, e.Causes)
}

// outcomes counts attempts by outcome: 2xx, each other status, each transport error's text.
// Adding one costs an array increment except for transport errors, so the simulator's millions
// of attempts pay next to nothing.
type outcomes struct {
	attempts, ok int64
	status       [600]int64 // non-2xx statuses below 600
	errs         map[string]int64
	other        int64 // statuses ≥ 600, and error texts beyond maxCauses distinct ones
}

// maxCauses bounds the distinct transport-error texts counted.
const maxCauses = 16

func (o *outcomes) add(a *record.Attempt) {
	o.attempts++
	switch s := a.Status; {
	case s >= 200 && s < 300:
		o.ok++
	case s == 0:
		if o.errs == nil {
			o.errs = map[string]int64{}
		}
		text := a.Error
		if text == "" {
			text = "transport error"
		}
		if _, ok := o.errs[text]; !ok && len(o.errs) >= maxCauses {
			o.other++
			return
		}
		o.errs[text]++
	case s > 0 && s < len(o.status):
		o.status[s]++
	default:
		o.other++
	}
}

// reset forgets every count.
func (o *outcomes) reset() {
	errs := o.errs
	clear(errs)
	*o = outcomes{errs: errs}
}

// failures describes the failed attempts, most frequent first: "6 × connection refused; 2 ×
// HTTP 500". At most three kinds are named.
func (o *outcomes) failures() string {
	type kind struct {
		what string
		n    int64
	}
	var ks []kind
	for text, n := range o.errs {
		ks = append(ks, kind{text, n})
	}
	for s, n := range o.status {
		if n > 0 {
			ks = append(ks, kind{statusKind(s), n})
		}
	}
	slices.SortFunc(ks, func(a, b kind) int {
		if a.n != b.n {
			return int(b.n - a.n)
		}
		return strings.Compare(a.what, b.what)
	})
	const shown = 3
	rest := o.other
	if len(ks) > shown {
		for _, k := range ks[shown:] {
			rest += k.n
		}
		ks = ks[:shown]
	}
	parts := make([]string, 0, len(ks)+1)
	for _, k := range ks {
		parts = append(parts, strconv.FormatInt(k.n, 10)+" × "+k.what)
	}
	if rest > 0 {
		parts = append(parts, strconv.FormatInt(rest, 10)+" × other")
	}
	return strings.Join(parts, "; ")
}

// statusKind names a status as the failure messages do.
func statusKind(s int) string {
	switch s {
	case 429:
		return "HTTP 429 rate limited"
	case 529:
		return "HTTP 529 overloaded"
	}
	return "HTTP " + strconv.Itoa(s)
}

// stoppedByRun is the error text of an attempt the run's own stop cut off (probe's errorText).
const stoppedByRun = "cancelled: run stopped"

// deadWatch watches a run's live attempts for a target that answers nothing but transport
// errors and 5xx (see DeadTargetAfter).
type deadWatch struct {
	n      int64         // failed live attempts in a row
	first  time.Duration // when the first of them was sent
	causes outcomes
}

// add looks at one attempt and returns the error that stops the run once the target counts as
// down, else nil.
func (d *deadWatch) add(a *record.Attempt) *TargetDownError {
	if a.Mode != record.ModeLive || a.ClientRejected || a.Error == stoppedByRun {
		return nil
	}
	if a.Status != 0 && a.Status < 500 {
		if d.n > 0 {
			d.n = 0
			d.causes.reset()
		}
		return nil
	}
	if d.n == 0 {
		d.first = a.Sent
	}
	d.n++
	d.causes.add(a)
	span := a.End() - d.first
	if d.n < DeadTargetAttempts || span < DeadTargetAfter {
		return nil
	}
	return &TargetDownError{For: span, Attempts: d.n, Causes: d.causes.failures()}
}

// health follows every attempt the run records, on the attempt log's writer (under its lock):
// it counts outcomes for the end-of-run verdict and stops the engine running when the target
// is down.
type health struct {
	all   outcomes
	watch deadWatch

	mu   sync.Mutex
	cur  engine.Engine    // the engine running, nil between phases
	down *TargetDownError // set once, when the target was found down
}

// observe is the writer's tap: it looks at a before the report's tap gets it.
func (h *health) observe(a *record.Attempt) {
	if a.ClientRejected {
		return
	}
	h.all.add(a)
	if a.Final && backoff.IsTerminal(a.GaveUp) {
		h.terminal(strings.TrimPrefix(a.GaveUp, backoff.TerminalPrefix))
	}
	err := h.watch.add(a)
	if err == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down == nil {
		h.down = err
		if h.cur != nil {
			h.cur.Stop(engine.Stop{Kind: engine.StopAborted, Err: err})
		}
	}
}

// terminal stops the engine running at the first request a strategy ended on a terminal
// refusal (a daily quota, a spend cap): every other request of the account would meet it too.
func (h *health) terminal(cause string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil {
		h.cur.Stop(engine.Stop{Kind: engine.StopTerminal, Cause: cause})
	}
}

// running sets the engine that a down target stops (nil when the phase is over); an engine set
// after the target was found down is stopped at once.
func (h *health) running(e engine.Engine) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur = e
	if e != nil && h.down != nil {
		e.Stop(engine.Stop{Kind: engine.StopAborted, Err: h.down})
	}
}

// targetDown returns the error that stopped the run because its target was down, or nil.
func (h *health) targetDown() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down == nil {
		return nil
	}
	return h.down
}
