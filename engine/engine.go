package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// Defaults both engines apply.
const (
	// DefaultMaxInflight caps concurrent HTTP attempts. Each attempt in flight costs its worker's
	// stack and buffers and its connection's two goroutines and buffers: 4,000 in flight against
	// a loopback server that stalls for 30 s peaked at 153 MB RSS (bench/probe/README.md), so the
	// worst case stays well under 300 MB, while at a typical second of latency the cap still
	// covers 4,000 requests/s.
	DefaultMaxInflight = 4000
	// DefaultTimeout bounds one attempt, from send to the end of the response body.
	DefaultTimeout = 60 * time.Second
	// DefaultStreamIdle is how long a streamed response may send nothing before the engines
	// call it stalled. The official SDKs have no such bound (Go, TypeScript) or 600 s (Python's
	// read timeout); a load test needs to see a stall within its run.
	DefaultStreamIdle = 15 * time.Second
	// DefaultMaxElapsed bounds one logical request: the generic backoffs' own max elapsed
	// (backoff.DefaultMaxElapsed, cenkalti/backoff's 15 minutes).
	DefaultMaxElapsed = 15 * time.Minute
)

// Engine runs the phases of one run: the live engine (probe.Engine) over HTTP, the simulator
// (sim.Engine) in virtual time. Limit discovery and the runner drive either through it.
type Engine interface {
	// Open runs an open-model phase and returns when every logical request it started has
	// ended. After a stop it returns at once, with the run's stop in Result.Stop.
	Open(ctx context.Context, p OpenPhase) (Result, error)
	// Closed runs a closed-model phase and returns when every client has finished.
	Closed(ctx context.Context, p ClosedPhase) (Result, error)
	// Sleep lets d pass without traffic. It returns early when the run stops, and with
	// ErrInterrupted when ctx is cancelled.
	Sleep(ctx context.Context, d time.Duration) error
	// Elapsed is the run time: the time since the run started.
	Elapsed() time.Duration
	// Stats returns the run's totals so far.
	Stats() Stats
	// Segments returns the phases run so far, as run.json segments.
	Segments() []record.Segment
	// Stop ends the run; the first stop is kept.
	Stop(Stop)
	// Stopped returns why the run stopped, the zero Stop while it has not.
	Stopped() Stop
	// Done returns a channel closed when the run stops.
	Done() <-chan struct{}
	// Close flushes the attempt log (the caller closes the writer) and returns the first
	// recording error.
	Close() error
}

// Observer sees every attempt of a phase right after it is recorded, on the goroutine that made
// it (so it must be safe for concurrent use); returning true stops the phase early. The
// *record.Attempt is reused afterwards: copy it to keep it.
type Observer func(a *record.Attempt) (stop bool)

// OpenPhase is an open-model phase: logical requests arrive when the pacer says, whatever the
// responses do.
type OpenPhase struct {
	Label string // the records' run field and the segment label
	Kind  string // segment kind: "probe" (default) or "find"
	Phase string // the records' phase field (e.g. "ramp", "sustain"); "" for none
	Pacer workload.Pacer
	// Duration ends the phase: no hit due at or after it is sent. Zero takes a StagesPacer's
	// own duration; other pacers need one.
	Duration time.Duration
	// Fleet hands each logical request its policy (logical request i is client i of the
	// fleet); nil means one attempt per request. Strategy labels the records.
	Fleet    backoff.Fleet
	Strategy string
	Observe  Observer
}

// ClosedPhase is a closed-model phase: a fleet of Clients sharing one key, each making Requests
// logical requests one after another, pausing Think between them. This is the shape strategy
// comparisons use: a client waits for its request (retries included) before starting the next.
type ClosedPhase struct {
	Label    string // the records' run field and the segment label
	Kind     string // segment kind: "compare" (default), "probe" or "find"
	Phase    string // the records' phase field; "" for none
	Clients  int
	Requests int           // logical requests per client
	Think    time.Duration // pause after each logical request
	// Fleet hands client i its policy (Client(i), called once per client); nil means one
	// attempt per request. Strategy labels the records.
	Fleet    backoff.Fleet
	Strategy string
	Observe  Observer
	// Share, when its Count is above 1, runs one host's share of the fleet (--shard): only the
	// clients i with i mod Count = Index, each as client i of the whole fleet (its policy, its
	// seed, the records' client field). Clients stays the whole fleet's size.
	Share Share
}

// Share is host Index's share (0 ≤ Index < Count) of a closed phase's fleet run on Count hosts.
type Share struct{ Index, Count int }

// Members returns the fleet indices of the clients p runs: 0…Clients-1, or its share's.
func (p *ClosedPhase) Members() []int {
	step, from := 1, 0
	if p.Share.Count > 1 {
		step, from = p.Share.Count, p.Share.Index
	}
	var out []int
	for i := from; i < p.Clients; i += step {
		out = append(out, i)
	}
	return out
}

// Result says what one phase did. Times are since the run started.
type Result struct {
	Label     string
	Start     time.Duration
	End       time.Duration
	Requests  int64 // logical requests started
	Succeeded int64 // logical requests that ended with a 2xx
	Failed    int64 // logical requests whose policy gave up
	Abandoned int64 // logical requests cut off by a stop before they ended
	// Expired counts the failed logical requests the engine ended because their policy would
	// have them wait past the engine's max elapsed after they were scheduled.
	Expired  int64
	Attempts int64 // attempts recorded (local rejections included)
	Dropped  int64 // open model: hits due before the phase ended that were never sent
	Late     int64 // attempts sent more than record.LateThreshold after they were due
	// Stop is why the phase ended early (zero when it ran its course): its observer
	// (StopObserver), or the run's stop.
	Stop Stop
}

// FleetOrNone returns f, or the strategy table's "none" (one attempt per request) seeded with
// seed when f is nil.
func FleetOrNone(f backoff.Fleet, seed int64) backoff.Fleet {
	if f != nil {
		return f
	}
	none, err := backoff.Resolve("none")
	if err != nil {
		panic("engine: the backoff table has no \"none\" strategy: " + err.Error())
	}
	return none.NewFleet(seed)
}

// Check validates p and fills its defaults: the segment kind "probe", and Duration from a
// StagesPacer's own length when zero.
func (p *OpenPhase) Check() error {
	if p.Pacer == nil {
		return errors.New("open phase: no pacer")
	}
	if sp, ok := p.Pacer.(*workload.StagesPacer); ok && p.Duration == 0 {
		p.Duration = sp.Duration()
	}
	if p.Duration <= 0 {
		return fmt.Errorf("open phase %q: no duration", p.Label)
	}
	if p.Kind == "" {
		p.Kind = "probe"
	}
	return nil
}

// Check validates p and fills its default segment kind, "compare".
func (p *ClosedPhase) Check() error {
	if p.Clients < 1 || p.Requests < 1 {
		return fmt.Errorf("closed phase %q: want at least 1 client and 1 request per client, got %d and %d", p.Label, p.Clients, p.Requests)
	}
	if sh := p.Share; sh.Count > 1 && (sh.Index < 0 || sh.Index >= min(sh.Count, p.Clients)) {
		return fmt.Errorf("closed phase %q: share %d/%d of %d clients has no client", p.Label, sh.Index, sh.Count, p.Clients)
	}
	if p.Kind == "" {
		p.Kind = "compare"
	}
	return nil
}
