// Package sim is ratelab's virtual-time engine: a discrete-event simulator that keeps the same
// engine.Engine contract as the live engine (probe) and sends every attempt to the mock
// server's own account model (account.Ledger.Handle) instead of over a socket. Every logical
// request runs through the same backoff.Flow and policies as live, the request sizes come from
// the same workload.Requests, and each response's rate-limit content is what a live client
// would parse from the mock's headers (ratelimit.Write, a Date header, ratelimit.Parse). A
// response takes the mock's latency (Reply.Latency); there is no network time.
//
// Nothing sleeps and no goroutine runs per request: one event queue ordered by virtual time
// drives everything, with simultaneous events in a seeded random order (a live fleet's
// simultaneous requests reach the server in an order no client controls), so a seed gives the
// same attempts.jsonl bit for bit, and an hour of 1,000 clients takes seconds. Attempts are
// encoded on a second goroutine.
package sim

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// Engine is an engine.Engine.
var _ engine.Engine = (*Engine)(nil)

// DefaultEpoch is the virtual instant a runner's clock starts at when Options.Epoch is zero. A
// fixed instant keeps runs reproducible: Anthropic resets and Date headers have one-second
// resolution, so the sub-second phase of the clock shows in what clients read.
var DefaultEpoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Options configures a Engine.
type Options struct {
	Requests workload.Requests // what each request looks like (API, prompt size, max_tokens)
	Ledger   *account.Ledger   // required: the account model every attempt is sent to
	// Records receives every attempt; nil records nothing (a phase's Observe still sees each
	// attempt: capacity planning aggregates millions of them without encoding one).
	Records *record.Writer
	// Key is the API key the calls are made under: the mock keeps one budget per key.
	Key string
	// Model is the model the calls name: under a provider preset it picks the budget pool.
	Model string
	// Epoch is the virtual instant the clock starts at; zero: DefaultEpoch.
	Epoch time.Time
	// Offset is the run time at which the runner starts: record times are Offset plus the
	// virtual time elapsed since Epoch, so several runners can lay their phases end to end in
	// one attempt log.
	Offset time.Duration
	// Timeout bounds one attempt as the live engine's does: a response slower than this (a long
	// leaky-bucket queue) becomes a transport error at Timeout. 0: engine.DefaultTimeout.
	Timeout time.Duration
	// StreamIdle ends a streamed attempt as stalled when it sends nothing for this long, as
	// the live engine's does; 0: engine.DefaultStreamIdle.
	StreamIdle time.Duration
	// Budget bounds the run: MaxRequests attempts, Tokens consumed, MaxDuration of run time
	// (virtual: the time since the run started, Offset included).
	Budget engine.Budget
	// Seed seeds the default no-retry fleet of phases that name no fleet.
	Seed int64
}

// Engine runs phases in virtual time against a mock account model. Phases run one after another
// (Open, Closed, in any order and number), each continuing from where the clock stands; Sleep
// lets virtual time pass between them. After a stop (budget, interrupt) further phases return at
// once. A Engine is not safe for concurrent use.
type Engine struct {
	requests workload.Requests
	ledger   *account.Ledger
	out      *record.Writer
	key      string
	epoch    time.Time
	offset   time.Duration
	timeout  time.Duration
	idle     time.Duration
	budget   engine.Budget
	seed     int64

	endpoint account.Endpoint
	model    string
	llm      bool // anthropic or openai: usage is read from 2xx bodies

	now         int64         // virtual nanoseconds since epoch
	stop        engine.Stop   // the first stop; zero while running
	done        chan struct{} // closed by the first stop
	interrupted bool
	fault       error
	segments    []record.Segment
	nextID      int64
	guard       *engine.Guard
	stats       engine.Stats
	view        viewer
	q           queue
	hints       hintCache
}

// hintCache remembers the hint of the last refusal's error message: a limit's message is the
// same text for every refusal it makes (Anthropic's names the limit, not the usage), and
// reading a message for its words is the most costly step of a simulated 429.
type hintCache struct {
	typ, msg string
	hint     api.Hint
}

// of returns api.MessageHint(typ, msg), from the cache when the message is the last one read.
func (c *hintCache) of(typ, msg string) api.Hint {
	if msg != c.msg || typ != c.typ || c.msg == "" {
		c.typ, c.msg, c.hint = typ, msg, api.MessageHint(typ, msg)
	}
	return c.hint
}

// New checks o and returns a runner whose clock stands at o.Epoch.
func New(o Options) (*Engine, error) {
	if o.Ledger == nil {
		return nil, errors.New("sim: Options.Ledger is required")
	}
	if o.Epoch.IsZero() {
		o.Epoch = DefaultEpoch
	}
	if o.Timeout <= 0 {
		o.Timeout = engine.DefaultTimeout
	}
	if o.StreamIdle <= 0 {
		o.StreamIdle = engine.DefaultStreamIdle
	}
	r := &Engine{
		requests: o.Requests, ledger: o.Ledger, out: o.Records, key: o.Key, model: o.Model, epoch: o.Epoch, offset: o.Offset,
		timeout: o.Timeout, idle: o.StreamIdle, budget: o.Budget, seed: o.Seed, done: make(chan struct{}),
		guard: engine.NewGuard(o.Budget, ""),
	}
	r.q.shuffle = rand.NewPCG(uint64(o.Seed), 0x73696d7469657321) // "simties!"
	switch o.Requests.API {
	case api.Anthropic:
		r.endpoint, r.llm = account.EndpointMessages, true
	case api.OpenAI:
		r.endpoint, r.llm = account.EndpointChat, true
	default:
		r.endpoint = account.EndpointGeneric
	}
	return r, nil
}

// Now returns the virtual instant the clock stands at.
func (r *Engine) Now() time.Time { return r.epoch.Add(time.Duration(r.now)) }

// Elapsed returns the run time: Offset plus the virtual time elapsed since the epoch.
func (r *Engine) Elapsed() time.Duration { return r.offset + time.Duration(r.now) }

// since converts virtual nanoseconds to record time: seconds since the run started.
func (r *Engine) since(ns int64) time.Duration { return r.offset + time.Duration(ns) }

// Sleep lets d of virtual time pass (the mock's budgets refill); it returns at once, with
// engine.ErrInterrupted when ctx is already cancelled.
func (r *Engine) Sleep(ctx context.Context, d time.Duration) error {
	if ctx.Err() != nil {
		r.interrupt()
		return engine.ErrInterrupted
	}
	if d > 0 {
		r.now += int64(d)
	}
	return nil
}

// Stop ends the run: further phases return at once. The first stop is kept.
func (r *Engine) Stop(why engine.Stop) {
	if !r.stop.Stopped() {
		r.stop = why
		close(r.done)
	}
}

// Stopped returns why the run stopped, the zero Stop while it has not.
func (r *Engine) Stopped() engine.Stop { return r.stop }

// Done returns a channel closed when the run stops.
func (r *Engine) Done() <-chan struct{} { return r.done }

// Partial reports whether a phase saw its context cancelled or recording failed.
func (r *Engine) Partial() bool { return r.interrupted || r.fault != nil }

func (r *Engine) interrupt() {
	r.interrupted = true
	r.Stop(engine.Stop{Kind: engine.StopInterrupted})
}

// Segments returns the phases run so far, in order, as run.json segments (Mode "sim").
func (r *Engine) Segments() []record.Segment { return append([]record.Segment(nil), r.segments...) }

// Stats returns the run's totals so far; Elapsed is run time. Nothing is ever in flight between
// phases, dropped or late in virtual time.
func (r *Engine) Stats() engine.Stats {
	s := r.stats
	s.Elapsed = r.Elapsed()
	s.Inflight = 0
	return s
}

// Close flushes attempts.jsonl (the caller closes the writer) and returns the first recording
// error.
func (r *Engine) Close() error {
	if r.out == nil {
		return r.fault
	}
	if err := r.out.Flush(); err != nil && r.fault == nil {
		r.fault = err
	}
	return r.fault
}

// reserve claims the right to send one attempt under the budget; false stops the run.
func (r *Engine) reserve() bool { return !r.stop.Stopped() && r.guard.Admit(r.Stop) }

// consume adds the tokens of one response and stops the run when the token budget is spent.
func (r *Engine) consume(in, out int64) {
	r.stats.InputTokens += in
	r.stats.OutputTokens += out
	r.guard.Charge(in, out, r.Stop)
}
