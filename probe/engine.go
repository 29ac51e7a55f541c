package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// Engine is an engine.Engine.
var _ engine.Engine = (*Engine)(nil)

// Defaults of Options (the others are the engine package's).
const (
	// DefaultGrace is how long in-flight attempts may finish after an interrupt or
	// --max-duration before they are cancelled.
	DefaultGrace = 2 * time.Second
	// maxBody is how much of a response body is kept for reading usage; the rest is discarded.
	maxBody = 1 << 20
	// keepBody is the largest body buffer a worker keeps between attempts.
	keepBody = 64 << 10
)

// Options configures an Engine.
type Options struct {
	Target  *Target        // required
	Records *record.Writer // required: every attempt is streamed here
	// Transport sends the requests; nil builds NewTransport(MaxInflight, Target.Host()). The
	// engine calls its RoundTrip directly: no redirect is followed (each would be an unrecorded
	// attempt) and no cookie is kept.
	Transport   http.RoundTripper
	MaxInflight int           // 0: engine.DefaultMaxInflight
	Timeout     time.Duration // per attempt; 0: engine.DefaultTimeout
	// StreamIdle is how long a streamed response may send nothing before its attempt ends as
	// stalled; 0: DefaultStreamIdle.
	StreamIdle time.Duration
	Grace      time.Duration // 0: DefaultGrace
	// MaxElapsed bounds every logical request, whatever its policy: one that its policy would
	// have wait (a retry, or a hold before sending) until later than MaxElapsed after it was
	// scheduled ends as failed instead, and is counted in PhaseResult.Expired. A policy that
	// honours any retry-after (the SDKs) would otherwise keep a run open for a day when a
	// server says retry-after: 86400. 0: engine.DefaultMaxElapsed.
	MaxElapsed time.Duration
	Budget     engine.Budget
	// Parse reads a response's rate-limit headers; nil: ratelimit.Parse.
	Parse func(h http.Header, received time.Time) ratelimit.Snapshot
	// Start is the run clock's origin (record times are seconds since it); zero: now.
	Start time.Time
	// Seed seeds the default no-retry fleet of phases that name no fleet.
	Seed int64
}

// Engine runs the phases of one live run against one target. It owns the HTTP transport, the run
// clock, the budget guard and the run's counters, and streams every attempt to the record
// writer. Phases run one after another (Open, Closed, in any order and number); after a stop
// (budget, run time, interrupt) further phases return at once.
type Engine struct {
	target      *Target
	out         *record.Writer
	transport   http.RoundTripper
	parse       func(http.Header, time.Time) ratelimit.Snapshot
	maxInflight int
	timeout     time.Duration
	streamIdle  time.Duration
	grace       time.Duration
	maxElapsed  time.Duration
	guard       *engine.Guard
	start       time.Time
	seed        int64

	attemptCtx     context.Context // parent of every attempt; cancelled after the grace
	cancelAttempts context.CancelFunc

	mu          sync.Mutex
	stopped     chan struct{} // closed by the first stop
	stop        engine.Stop   // the first stop; zero while running
	interrupted bool
	graceArmed  bool
	fault       error // a recording failure: ends the run
	timers      []*time.Timer
	segments    []record.Segment

	nextID atomic.Int64
	stats  counters
}

// NewEngine checks o and returns an engine whose run clock starts at o.Start (or now).
func NewEngine(o Options) (*Engine, error) {
	if o.Target == nil || o.Records == nil {
		return nil, errors.New("probe: Options.Target and Options.Records are required")
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = engine.DefaultMaxInflight
	}
	if o.Timeout <= 0 {
		o.Timeout = engine.DefaultTimeout
	}
	if o.StreamIdle <= 0 {
		o.StreamIdle = DefaultStreamIdle
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = engine.DefaultMaxElapsed
	}
	if o.Transport == nil {
		o.Transport = NewTransport(o.MaxInflight, o.Target.Host())
	}
	if o.Parse == nil {
		o.Parse = ratelimit.Parse
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	e := &Engine{
		target: o.Target, out: o.Records, transport: o.Transport, parse: o.Parse,
		maxInflight: o.MaxInflight, timeout: o.Timeout, streamIdle: o.StreamIdle, grace: o.Grace, maxElapsed: o.MaxElapsed,
		guard: engine.NewGuard(o.Budget, o.Target.Host()),
		start: o.Start, seed: o.Seed, stopped: make(chan struct{}),
	}
	e.attemptCtx, e.cancelAttempts = context.WithCancel(context.Background())
	if d := o.Budget.MaxDuration; d > 0 {
		why := engine.Stop{Kind: engine.StopMaxDuration, After: d}
		e.timers = append(e.timers, time.AfterFunc(d-time.Since(e.start), func() { e.halt(why, true) }))
	}
	return e, nil
}

// NewTransport returns the HTTP transport of a run: keep-alive connections, up to maxInflight
// idle ones per host so a steady run never redials, no transparent compression, and HTTP/2 only
// over TLS to a non-loopback host (loopback stays on HTTP/1.1, like the load generators it is
// compared with).
func NewTransport(maxInflight int, host string) *http.Transport {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialStamped(&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}),
		MaxIdleConnsPerHost: maxInflight,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   true,
	}
	if IsLoopback(host) {
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return tr
}

// dialStamped dials with d and reads each connection with the kernel's receive timestamps
// where the system gives them (stampReceives), so a stream's first token is timed from when
// its bytes arrived rather than from when the reading goroutine ran. The connections share one
// watcher, which notes arrivals while a stream awaits its first delta.
func dialStamped(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	w := newRxWatcher()
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return stampReceives(c, w), nil
	}
}

// Start returns the run clock's origin.
func (e *Engine) Start() time.Time { return e.start }

// Elapsed returns the time since the run started.
func (e *Engine) Elapsed() time.Duration { return time.Since(e.start) }

// MaxInflight returns the cap on attempts in flight.
func (e *Engine) MaxInflight() int { return e.maxInflight }

// MaxElapsed returns the bound on one logical request (Options.MaxElapsed).
func (e *Engine) MaxElapsed() time.Duration { return e.maxElapsed }

// Target returns the engine's target.
func (e *Engine) Target() *Target { return e.target }

// since converts an instant to record time: seconds since the run started.
func (e *Engine) since(t time.Time) time.Duration { return t.Sub(e.start) }

// Stop ends the run: no further attempt is sent, and phases return after their in-flight
// attempts finish. The first stop given is kept.
func (e *Engine) Stop(why engine.Stop) { e.halt(why, false) }

// halt records the first stop and wakes every phase. A hard stop (interrupt, run time) also
// cancels in-flight attempts once the grace period has passed.
func (e *Engine) halt(why engine.Stop, hard bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.stop.Stopped() {
		e.stop = why
		close(e.stopped)
	}
	if hard && !e.graceArmed {
		e.graceArmed = true
		e.timers = append(e.timers, time.AfterFunc(e.grace, e.cancelAttempts))
	}
}

// interrupt is a hard stop that makes phases return engine.ErrInterrupted.
func (e *Engine) interrupt() {
	e.mu.Lock()
	e.interrupted = true
	e.mu.Unlock()
	e.halt(engine.Stop{Kind: engine.StopInterrupted}, true)
}

// fail ends the run because recording failed.
func (e *Engine) fail(err error) {
	e.mu.Lock()
	if e.fault == nil {
		e.fault = err
	}
	e.mu.Unlock()
	e.halt(engine.Stop{Kind: engine.StopFailed, Err: err}, true)
}

// Stopped returns why the run stopped, the zero Stop while it has not.
func (e *Engine) Stopped() engine.Stop {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stop
}

// Done returns a channel closed when the run stops.
func (e *Engine) Done() <-chan struct{} { return e.stopped }

// Partial reports whether the run was interrupted or failed: its records cover only part of what
// was planned. A run that stopped at its budget is complete.
func (e *Engine) Partial() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.interrupted || e.fault != nil
}

// Sleep lets d pass without traffic. It returns early when the run stops, and with
// engine.ErrInterrupted (interrupting the run) when ctx is cancelled.
func (e *Engine) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		e.interrupt()
		return engine.ErrInterrupted
	case <-t.C:
	case <-e.stopped:
	}
	return nil
}

// isStopped reports whether the run has stopped.
func (e *Engine) isStopped() bool { return engine.IsDone(e.stopped) }

// reserve claims the right to send one HTTP attempt under the budget guard; false stops the run.
func (e *Engine) reserve() bool { return !e.isStopped() && e.guard.Admit(e.Stop) }

// consume adds the tokens of one response and stops the run when the token budget is spent.
func (e *Engine) consume(in, out int64) {
	e.stats.inputTokens.Add(in)
	e.stats.outputTokens.Add(out)
	e.guard.Charge(in, out, e.Stop)
}

// Close ends the run: it cancels whatever is still in flight, stops the engine's timers,
// flushes attempts.jsonl (the caller closes the writer) and releases idle connections. It
// returns the first recording error.
func (e *Engine) Close() error {
	e.mu.Lock()
	for _, t := range e.timers {
		t.Stop()
	}
	fault := e.fault
	e.mu.Unlock()
	e.cancelAttempts()
	if c, ok := e.transport.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
	if err := e.out.Flush(); err != nil && fault == nil {
		fault = err
	}
	return fault
}

// Segments returns the phases run so far, in order, as run.json segments.
func (e *Engine) Segments() []record.Segment {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]record.Segment(nil), e.segments...)
}
