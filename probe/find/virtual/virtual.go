// Package virtual runs discovery's open-model phases against the mock's account model in
// virtual time: no sockets and no sleeping, each attempt decided by mockserver.Mock.Handle at
// its virtual instant and its rate-limit headers written and parsed back exactly as the HTTP
// mock and the probe would (so Anthropic's whole-second resets and rounded token counts are
// what the analysis sees). It is the small runner the accuracy suite of probe/find uses; the
// full simulator (probe/sim) covers fleets and strategies.
package virtual

import (
	"container/heap"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ratelab/ratelab/mockserver"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
)

// Epoch is the virtual clock's origin: a real date, so epoch-aligned windows behave as live,
// with a fractional second so that whole-second header rounding is exercised.
var Epoch = time.Date(2026, 1, 5, 9, 0, 7, 370_000_000, time.UTC)

// Options configures a Runner.
type Options struct {
	Endpoint     mockserver.Endpoint // default EndpointMessages
	PromptTokens int64               // input tokens of every request (default 32)
	MaxTokens    int64               // max_tokens of every request (default 16)
	// RTT is added to every attempt's latency (the network), default 200µs as on loopback.
	RTT         time.Duration
	MaxRequests int64         // stop after this many attempts (0: none)
	MaxDuration time.Duration // stop at this virtual time (0: none)
	Start       time.Time     // virtual origin; zero: Epoch
}

// Runner runs phases in virtual time against one API key of a mock. It is not safe for
// concurrent use.
type Runner struct {
	mock     *mockserver.Mock
	o        Options
	now      time.Duration // virtual time since Start
	records  []record.Attempt
	segments []record.Segment
	nextID   int64
	stop     string
	hdr      http.Header
}

// New returns a runner against m.
func New(m *mockserver.Mock, o Options) *Runner {
	if o.Endpoint == 0 {
		o.Endpoint = mockserver.EndpointMessages
	}
	if o.PromptTokens == 0 {
		o.PromptTokens = 32
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = 16
	}
	if o.RTT == 0 {
		o.RTT = 200 * time.Microsecond
	}
	if o.Start.IsZero() {
		o.Start = Epoch
	}
	return &Runner{mock: m, o: o, hdr: http.Header{}}
}

// Elapsed returns the virtual time since the run started.
func (r *Runner) Elapsed() time.Duration { return r.now }

// Records returns every attempt made so far, in the order they were recorded.
func (r *Runner) Records() []record.Attempt { return r.records }

// Segments returns the phases run so far.
func (r *Runner) Segments() []record.Segment { return r.segments }

// StopReason says why the run stopped, "" while it has not.
func (r *Runner) StopReason() string { return r.stop }

// Sleep lets d of virtual time pass (up to MaxDuration, where the run stops).
func (r *Runner) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 || r.stop != "" {
		return nil
	}
	r.now += d
	if m := r.o.MaxDuration; m > 0 && r.now >= m {
		r.now = m
		r.stop = fmt.Sprintf("--max-duration %s reached", m)
	}
	return nil
}

// completion is an attempt in flight, ordered by when its response arrives.
type completion struct {
	end time.Duration
	seq int
	rec record.Attempt
}

type completions []completion

func (c completions) Len() int { return len(c) }
func (c completions) Less(i, j int) bool {
	if c[i].end != c[j].end {
		return c[i].end < c[j].end
	}
	return c[i].seq < c[j].seq
}
func (c completions) Swap(i, j int) { c[i], c[j] = c[j], c[i] }
func (c *completions) Push(x any)   { *c = append(*c, x.(completion)) }
func (c *completions) Pop() any {
	old := *c
	x := old[len(old)-1]
	*c = old[:len(old)-1]
	return x
}

// Open runs an open-model phase: each hit is decided by the mock at its due instant and
// recorded (and shown to the observer) when its response arrives; once the observer asks to
// stop, no further hit is sent and those in flight still complete. Only one attempt per
// logical request is made (discovery never retries).
func (r *Runner) Open(ctx context.Context, p probe.OpenPhase) (probe.PhaseResult, error) {
	if p.Pacer == nil || p.Duration <= 0 {
		return probe.PhaseResult{}, fmt.Errorf("virtual: phase %q needs a pacer and a duration", p.Label)
	}
	if p.Kind == "" {
		p.Kind = "probe"
	}
	start := r.now
	res := probe.PhaseResult{Label: p.Label, Start: start}
	if r.stop != "" {
		res.End, res.StopReason = r.now, r.stop
		return res, nil
	}
	var inflight completions
	halted, seq := false, 0
	var hits uint64
	end := start
	for {
		due, ok := p.Pacer.Due(hits)
		var at time.Duration
		sending := ok && due < p.Duration && !halted
		if sending {
			at = start + due
			if m := r.o.MaxDuration; m > 0 && at >= m {
				sending, halted = false, true
				r.stop = fmt.Sprintf("--max-duration %s reached", m)
				res.StopReason = r.stop
			}
		}
		if sending && inflight.Len() > 0 && inflight[0].end <= at {
			sending = false // a response arrives first
		}
		if !sending {
			if inflight.Len() == 0 {
				break
			}
			c := heap.Pop(&inflight).(completion)
			end = max(end, c.end)
			r.records = append(r.records, c.rec)
			if p.Observe != nil && p.Observe(&r.records[len(r.records)-1]) && !halted {
				halted = true
				res.StopReason = probe.StopObserver
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, probe.ErrInterrupted
		}
		if m := r.o.MaxRequests; m > 0 && int64(len(r.records)+inflight.Len()) >= m {
			halted = true
			r.stop = fmt.Sprintf("--max-requests %d reached", m)
			res.StopReason = r.stop
			continue
		}
		rec, lat := r.attempt(p, at)
		heap.Push(&inflight, completion{end: at + lat, seq: seq, rec: rec})
		seq++
		hits++
		res.Requests++
		res.Attempts++
		if rec.Status == 200 {
			res.Succeeded++
		} else {
			res.Failed++
		}
		end = max(end, at)
	}
	r.now = max(r.now, end)
	res.End = r.now
	r.segments = append(r.segments, record.Segment{Label: p.Label, Kind: p.Kind, Mode: record.ModeSim,
		StartS: start.Seconds(), EndS: r.now.Seconds()})
	return res, nil
}

// attempt sends one request at virtual time at and returns its record and latency.
func (r *Runner) attempt(p probe.OpenPhase, at time.Duration) (record.Attempt, time.Duration) {
	now := r.o.Start.Add(at)
	call := mockserver.Call{Key: "virtual", Endpoint: r.o.Endpoint, InputTokens: r.o.PromptTokens, MaxTokens: r.o.MaxTokens}
	reply := r.mock.Handle(now, call)
	lat := reply.Latency + r.o.RTT
	received := now.Add(lat)
	clear(r.hdr)
	ratelimit.Write(r.hdr, reply.Dialect, now, &reply.Limits)
	r.hdr.Set("Date", received.UTC().Format(http.TimeFormat))
	snap := ratelimit.Parse(r.hdr, received)
	id := r.nextID
	r.nextID++
	rec := record.Attempt{
		Run: p.Label, Mode: record.ModeSim, Phase: p.Phase, Request: id, Attempt: 1, Final: true,
		ScheduledS: at.Seconds(), SentS: at.Seconds(), LatencyMs: float64(lat) / float64(time.Millisecond),
		Status: reply.Status, MaxTokens: call.MaxTokens,
	}
	if reply.Status == 200 {
		rec.InputTokens, rec.OutputTokens = reply.InputTokens, reply.OutputTokens
	}
	rec.SetLimits(&snap)
	return rec, lat
}

// Run returns run.json for the run so far: the start, the segments, the workload and the stop
// reason.
func (r *Runner) Run() *record.Run {
	reason := r.stop
	if reason == "" {
		reason = "completed"
	}
	return &record.Run{
		Schema: record.RunSchema, Command: "probe", Started: r.o.Start,
		Target:   record.Target{API: "anthropic", URL: "mock", Embedded: true, Simulated: true},
		Workload: record.Workload{PromptTokens: r.o.PromptTokens, MaxTokens: r.o.MaxTokens},
		Segments: r.segments, DurationS: r.now.Seconds(), StopReason: reason,
	}
}
