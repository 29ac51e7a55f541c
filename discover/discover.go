// Package discover finds a server's rate limits adaptively, spending as few requests as it
// can: one request to read the headers; a burst from rest until the first refusal (the burst
// capacity); single probes at doubling intervals until the server admits again (the time scale
// of the refill); a second burst, which tells a window that reopens all at once from a bucket
// that refills a little at a time. A bucket's rate is then bisected: each single attempt goes
// where the rates still possible disagree on its answer, so that admitted or refused it halves
// them (a request per halving, not a bucketful per measurement); short bursts after a rest
// and a few random arrivals tell it from limiters that mimic it. Windows get light saturation
// with random arrivals (boundaries show where refusals turn into admissions), and small
// buckets, token budgets and shapers rest-and-burst cycles. After every step the attempts so
// far are analysed by infer, and discovery stops when the requests limit's interval is
// narrower than the target precision, or the budget or time runs out.
//
// Discovery only sends; the figures in the report are computed by infer from the attempt
// log, so `ratelab report` recomputes them exactly. Every attempt carries its phase label
// (headers, burst, rest, probe, refill, sustain).
package discover

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// Defaults of Options.
const (
	// DefaultPrecision is the relative half-width of the requests limit's interval at which
	// discovery stops: ±2% leaves room under the ±3% the accuracy suite asks of it.
	DefaultPrecision = 0.02
	// DefaultMaxDuration bounds discovery when no --max-duration is given: enough for three
	// one-minute windows and the probing around them.
	DefaultMaxDuration = 5 * time.Minute
	// DefaultBurstCap bounds one burst: a limit that admits more at once is reported as such.
	DefaultBurstCap = 5000
	// maxRate caps any burst's rate (hits per second).
	maxRate = 2000
)

// Phase labels carried by discovery's attempts (the records' phase field).
const (
	PhaseHeaders = "headers" // one request to read the rate-limit headers
	PhaseBurst   = "burst"   // as fast as needed until the first refusal
	PhaseRest    = "rest"    // single probes at doubling intervals until admitted again
	PhaseRefill  = "refill"  // a burst after a measured rest (bucket-like limits)
	PhaseSustain = "sustain" // random arrivals a little above the limit (window limits)
)

// Options configures discovery.
type Options struct {
	Seed int64
	// Precision is the target relative half-width of the requests limit's interval (default
	// DefaultPrecision).
	Precision float64
	// MaxDuration is when, since the run started, discovery must be done (default
	// DefaultMaxDuration); it plans its steps to end before it.
	MaxDuration time.Duration
	// MaxRequests bounds the attempts discovery plans (0: none; the engine's budget still
	// applies).
	MaxRequests int64
	// BurstCap bounds one burst (default DefaultBurstCap).
	BurstCap int
	// Run is run.json (start time, workload), used for the analysis between steps; may be nil.
	Run *record.Run
	// Ramp, when set, holds discovery's traffic to a gentle ramp (see Ramp), for servers with
	// acceleration limits.
	Ramp *Ramp
	// CostCap stops discovery, with the interval it has, once it has spent this many times the
	// goal budget (two windows' worth of requests, three windows of time, as the analysis sees
	// the window), once the algorithm class is known; 0: no cap (see SuggestedCostCap).
	CostCap float64
	// Progress, when set, receives one line per step.
	Progress func(string)
}

// Report says what discovery did. The limits themselves come from infer over the log.
type Report struct {
	Attempts    int64
	RateLimited int64
	Elapsed     time.Duration
	// Mode is "refill" (rest-and-burst cycles) or "sustain" (light saturation), "" when
	// discovery ended before choosing.
	Mode string
	// Done says why discovery ended of its own accord ("" when the run stopped it first).
	Done string
	// Stop is the run's stop when it ended discovery (zero otherwise).
	Stop engine.Stop
	// Requests is the requests limit as the last analysis saw it (nil before any).
	Requests *summary.Limit
}

// ErrTarget is returned when the target answers neither 2xx nor 429 to discovery's requests.
var ErrTarget = errors.New("find: the target does not answer normally")

type finder struct {
	r   engine.Engine
	o   Options
	rng *rand.Rand

	mu   sync.Mutex
	recs []record.Attempt

	seq     int
	lat     float64     // latency of an unhindered request, seconds
	runStop engine.Stop // the run's stop, once it stopped
	done    string      // discovery's own stop reason
	mode    string
	last    *summary.Limit
	// lastRefusal is when the last refused attempt was sent (run seconds).
	lastRefusal float64
	// countsKnown says whether the last analysis could tell if refusals consume quota, and
	// cr whether they do.
	countsKnown, cr bool
	// outputKnown says whether it could tell if output tokens are charged at max_tokens.
	outputKnown bool
	// delay0 is the first wait of the rest probes (0: the default of nextDelay).
	delay0 float64
	// window is a window's worth of requests as the last analysis saw the limit that binds
	// (a bucket's capacity, a window's quota, in requests); 0 before any.
	window float64
	// windowS is that limit's window in seconds (a bucket's: the time to refill it); 0 before any.
	windowS float64
	// rampT0 is when discovery's first request went (run seconds), where Ramp counts from.
	rampT0 float64
}

// Run discovers the limits of the target behind r. It returns when the requests limit is known
// to the target precision, or time, budget or evidence runs out; a budget stop is not an error.
func Run(ctx context.Context, r engine.Engine, o Options) (Report, error) {
	if o.Precision <= 0 {
		o.Precision = DefaultPrecision
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = DefaultMaxDuration
	}
	if o.BurstCap <= 0 {
		o.BurstCap = DefaultBurstCap
	}
	f := &finder{r: r, o: o, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x66696e64))}
	err := f.run(ctx)
	rep := Report{Elapsed: r.Elapsed(), Mode: f.mode, Requests: f.last}
	for i := range f.recs {
		rep.Attempts++
		if f.recs[i].Status == 429 {
			rep.RateLimited++
		}
	}
	rep.Done, rep.Stop = f.done, f.runStop
	if f.runStop.Stopped() {
		rep.Done = ""
	}
	return rep, err
}

// estimate analyses the attempts so far and returns the limit that binds discovery's requests,
// in requests: the binding dimension's limit divided by the units a request costs (so that
// rests and bursts can be planned in requests), else the requests limit.
func (f *finder) estimate() (summary.Limit, bool) {
	f.mu.Lock()
	recs := f.recs
	f.mu.Unlock()
	an := infer.NewAnalyzer(f.o.Run)
	for i := range recs {
		an.Add(&recs[i])
	}
	res := an.Result()
	f.countsKnown = res.Accounting.RejectedCount != nil
	f.outputKnown = res.Accounting.OutputPrecharged != nil
	if f.o.Run != nil && f.o.Run.Workload.MaxTokens > 0 && res.Accounting.MeanOutputTokens >= 0.98*float64(f.o.Run.Workload.MaxTokens) {
		f.outputKnown = true // replies as long as max_tokens: either way charges the same
	}
	f.cr = f.countsKnown && *res.Accounting.RejectedCount
	determined := func(l *summary.Limit) bool {
		return l.EffectivePerMinute != nil && l.EffectiveLow != nil && l.EffectiveHigh != nil && *l.EffectivePerMinute > 0
	}
	if b := res.Binding; b != nil {
		acc := res.Accounting
		for _, l := range res.Limits {
			var cost float64
			switch l.Dimension {
			case "requests":
				cost = 1
			case "input_tokens":
				cost = acc.MeanInputTokens
			case "output_tokens":
				cost = acc.MeanOutputTokens
			case "tokens":
				cost = acc.MeanInputTokens + acc.MeanOutputTokens
			}
			if l.Dimension != b.Dimension || cost <= 0 || !determined(&l) {
				continue
			}
			if l.Dimension != "requests" && l.Source == summary.SourceHeaders && requestsByBehaviour(res.Limits) {
				// A figure from the headers alone (nothing was refused on that dimension)
				// is no bound that discovery has met, and under a window it is not even the
				// limit: remaining comes back as the run's own old usage expires, so the
				// refill line measures the run's rate. Plan by the requests limit the
				// refusals show instead.
				break
			}
			f.last = &l
			inReq := l
			inReq.EffectivePerMinute = ptr(*l.EffectivePerMinute / cost)
			inReq.EffectiveLow = ptr(*l.EffectiveLow / cost)
			inReq.EffectiveHigh = ptr(*l.EffectiveHigh / cost)
			if l.Burst != nil {
				inReq.Burst = ptr(math.Max(1, *l.Burst/cost))
				f.window = *inReq.Burst
			}
			if l.WindowSeconds != nil {
				f.windowS = *l.WindowSeconds
			}
			return inReq, true
		}
	}
	for i := range res.Limits {
		if l := res.Limits[i]; l.Dimension == "requests" {
			f.last = &l
			if l.Burst != nil {
				f.window = math.Max(1, *l.Burst)
			}
			if l.WindowSeconds != nil {
				f.windowS = *l.WindowSeconds
			}
			return l, determined(&l)
		}
	}
	return summary.Limit{}, false
}

func ptr(x float64) *float64 { return &x }

// requestsByBehaviour reports whether the requests limit among ls is measured from refusals.
func requestsByBehaviour(ls []summary.Limit) bool {
	for _, l := range ls {
		if l.Dimension == "requests" {
			return l.Source == summary.SourceBehaviour || l.Source == summary.SourceBoth
		}
	}
	return false
}

// precise reports whether l's interval is within the target precision, or every rate in it
// within the tolerance of the estimate (withinTolerance).
func (f *finder) precise(l summary.Limit) bool {
	if l.EffectivePerMinute == nil || l.EffectiveLow == nil || l.EffectiveHigh == nil || *l.EffectivePerMinute <= 0 {
		return false
	}
	return (*l.EffectiveHigh-*l.EffectiveLow)/2 <= f.o.Precision**l.EffectivePerMinute || f.withinTolerance(l)
}

func isOK(a *record.Attempt) bool { return a.Status >= 200 && a.Status < 300 }

// burstPacer returns the pacer of a burst expected to admit about n: it starts fast enough to
// admit n within about an eighth of a second (a bucket refills little meanwhile), at most 2,000/s (fewer when requests take long, so that
// few are in flight when the first refusal comes back).
func (f *finder) burstPacer(n float64) ExpPacer {
	top := math.Min(maxRate, math.Max(20, 10/math.Max(f.lat, 1e-4)))
	start := math.Min(top, math.Max(10, 2*n))
	return ExpPacer{Start: start, Doubling: 250 * time.Millisecond, Max: top}
}

func (f *finder) run(ctx context.Context) error {
	// 1. Headers: one request. A refusal means the budget is not at rest: wait and retry.
	out, stopped, err := f.single(ctx, PhaseHeaders)
	if err != nil || stopped {
		return err
	}
	for k := 0; len(out.recs) > 0 && out.recs[0].Status == 429 && k < 4; k++ {
		wait := time.Duration(float64(time.Second) * math.Exp2(float64(k)))
		if w, _, ok := retryWait(&out.recs[0]); ok {
			wait = w
		}
		if ok, err := f.sleep(ctx, wait); err != nil || !ok {
			f.done = "the budget was exhausted at the start and did not recover in time"
			return err
		}
		if out, stopped, err = f.single(ctx, PhaseRest); err != nil || stopped {
			return err
		}
	}
	if len(out.recs) == 0 {
		f.done = "the first request was not sent"
		return nil
	}
	first := out.recs[0]
	if !isOK(&first) && first.Status != 429 {
		if first.Status == 0 {
			return fmt.Errorf("%w: the first request failed: %s", ErrTarget, first.Error)
		}
		return fmt.Errorf("%w: it answered %d to the first request (want 2xx or 429)", ErrTarget, first.Status)
	}
	f.lat = math.Max(record.Seconds(first.Latency), 1e-4)
	expect := 20.0
	if s := first.Limits[0]; s.Flags != 0 && s.Remaining > 0 {
		expect = float64(s.Remaining)
	}
	if f.o.Ramp != nil {
		// A gentle ramp first, so that the burst trips no acceleration limit.
		if stopped, err := f.warmUp(ctx, expect); err != nil || stopped {
			return err
		}
	}
	t0 := record.Seconds(first.Sent)

	// 2. Burst from rest until the first refusal.
	b1, stopped, err := f.phase(ctx, PhaseBurst, f.burstPacer(expect), f.left(), true, f.o.BurstCap)
	if err != nil || stopped {
		return err
	}
	if b1.firstLim < 0 {
		f.done = fmt.Sprintf("no request was refused in a burst of %d", len(b1.recs))
		return nil
	}
	burst0 := float64(b1.admittedBefore())
	if isOK(&first) {
		burst0++
	}
	tEx := record.Seconds(b1.recs[b1.firstLim].Sent)
	lastLimited := lastRefusal(b1.recs)

	// A shaper (leaky bucket that delays) answers the burst ever later instead of refusing it:
	// the k-th admitted waits about k/r. Its rate shows in the delays; measure it by cycles.
	if slowest := maxLatency(b1.recs); slowest > 3*f.lat+0.05 && burst0 > 2 {
		f.mode = PhaseRefill
		return f.cycles(ctx, (burst0-1)/(slowest-f.lat), burst0, true)
	}

	// 3. Rest: single probes at growing delays until one is admitted. Limits are seldom
	// counted over less than a second, so a burst of b reopens no sooner than about 1/b s
	// later: the delays start at a quarter of that.
	f.delay0 = math.Max(0.25/burst0, 0)
	reopen, jumped, err := f.awaitReopen(ctx, lastLimited, 0, 0)
	if err != nil || reopen == nil {
		return err
	}
	reopened := record.Seconds(reopen.Sent)
	d1 := reopened - tEx
	lastLimited = f.lastRefusal

	// 4. A second burst: a window reopens with its whole quota, a bucket with what refilled,
	// a sliding log with what has expired of the first burst. At full speed from the start,
	// so that the log's entries do not expire as fast as it goes (the first burst started
	// gently): how many it admits then times the log's window to the spacing of the first.
	b2start := f.r.Elapsed().Seconds()
	fast := f.burstPacer(burst0)
	fast.Start = fast.Max
	b2, stopped, err := f.phase(ctx, PhaseBurst, fast, f.left(), true, f.o.BurstCap)
	if err != nil || stopped {
		return err
	}
	a2 := float64(b2.admittedBefore() + 1)
	if l, ok := f.estimate(); ok && f.precise(l) && l.Algorithm != summary.AlgoUnknown && l.Algorithm != summary.AlgoTokenBucket {
		// A window (a sliding log, typically) the two bursts already pin down.
		f.mode = PhaseSustain
		f.done = "the requests limit is known within the target precision"
		return nil
	}
	// Models that explain the attempts so far: a bucket (its capacity what the first burst
	// allows at each rate) and a sliding log (its quota what the first burst admitted).
	bm := f.bucketModel(burst0)
	_, _, mb, _ := bm.interval(1 / math.Max(d1, 1e-3))
	if !f.countsKnown && mb > f.tolerance() {
		// Or a bucket that charges refusals.
		bm.cr = true
		_, _, mcr, _ := bm.interval(1 / math.Max(d1, 1e-3))
		mb = min(mb, mcr)
	}
	lm, okLog := f.logModel()
	var ml int
	var logBounded bool
	if okLog {
		_, _, ml, logBounded = lm.interval(reopened - t0)
	}
	bucketFits, logFits := mb <= f.tolerance(), okLog && logBounded && ml <= f.tolerance()
	if f.o.Progress != nil {
		f.o.Progress(fmt.Sprintf("models: bucket %d mispredicted, log %d (bounded %v, q %d), second burst %g", mb, ml, logBounded, lm.q, a2))
	}
	if logFits && !bucketFits && !f.otherBinds() && a2 >= 2 && (a2 < 0.9*burst0 || burst0 >= 100) {
		// Part of a quota back at once, as a sliding log gives back what has expired of the
		// first burst: bisect when its entries leave it. (A whole quota back may be a log
		// that had all expired or a fixed window: where a window holds a hundred or more,
		// a few single attempts cost little next to another window's worth.)
		f.mode = PhaseSustain
		w := reopened - t0
		if handled, err := f.bisectLog(ctx, w); err != nil || f.done != "" || f.runStop.Stopped() {
			return err
		} else if handled {
			if l := f.last; l != nil && l.WindowSeconds != nil && *l.WindowSeconds > 0 {
				w = *l.WindowSeconds
			}
			reopened = record.Seconds(f.lastRec().Sent)
		}
		return f.saturate(ctx, burst0, w, reopened)
	}
	// A bucket refills at most about 2/d₁ per second (the probes doubled their delay past
	// 1/r); anything well above what it could have refilled since the first refusal is a window.
	bucketMost := 2*(b2start-tEx)*2/d1 + 2
	if a2 > bucketMost && a2 >= 3 {
		f.mode = PhaseSustain
		// The first window held the first request and ended between the last refusal and
		// the reopening (at the reopening when a retry-after said when): its length is about
		// the middle of that, from the first request.
		w := (lastLimited+reopened)/2 - t0
		if jumped {
			w = reopened - t0
		}
		return f.saturate(ctx, a2, w, reopened)
	}
	// A bucket where requests bind: bisect its rate with single attempts.
	f.mode = PhaseRefill
	if !f.otherBinds() && burst0 >= minBisect && bucketFits {
		return f.bisect(ctx, d1, a2, burst0)
	}
	// Else a token budget (which takes what each response reports), a small bucket, or a
	// limit no bucket explains, such as a sliding window counter (which trickles like a
	// bucket within a window).
	return f.trickle(ctx, d1, a2, burst0)
}

// trickle times a bucket-like limit's trickle again, now that it is empty and refilling (the
// first reopening, d1 after the first refusal, may have waited for a window boundary), and
// measures it by rest-and-burst cycles; a2 is what the second burst admitted.
func (f *finder) trickle(ctx context.Context, d1, a2, burst0 float64) error {
	t2 := f.lastRefusal
	again, _, err := f.awaitReopen(ctx, t2, 0, 0)
	if err != nil || again == nil {
		return err
	}
	d2 := math.Max(record.Seconds(again.Sent)-t2, 1e-3)
	if d2 > d1 {
		d2 = d1 // no faster than the first time: the first was the trickle
	}
	return f.cycles(ctx, math.Max(1.5, a2)/d2, burst0, false)
}

// minBisect is the smallest burst discovery bisects: a bucket of a few units looks much like
// a sliding window counter of as few, and bisection's single attempts do not tell them
// apart; rest-and-burst cycles at random phases do.
const minBisect = 8

// otherBinds reports whether a refusal came while the headers said requests remained and a
// token budget was (all but) spent: that budget refused it.
func (f *finder) otherBinds() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.recs {
		a := &f.recs[i]
		if s := a.Limits[ratelimit.Requests]; a.Status != 429 || !s.Has(ratelimit.HasRemaining) || s.Remaining < 1 {
			continue
		}
		for d := ratelimit.Requests + 1; d < ratelimit.NumDimensions; d++ {
			s := a.Limits[d]
			if s.Has(ratelimit.HasRemaining) && (s.Remaining <= 0 || (s.Has(ratelimit.HasLimit) && s.Remaining*50 <= s.Limit)) {
				return true
			}
		}
	}
	return false
}

// nextDelay is the next wait of the rest probes after a refusal: doubling from a few
// milliseconds (a fast bucket reopens within one refill), then growing by a tenth plus half a
// second once past a second, so that a minute-long window costs about 30 probes and is placed
// within about 10% rather than within a factor of two.
func nextDelay(d, lat, d0 float64) float64 {
	if d <= 0 {
		return math.Max(math.Max(5e-3, 2*lat), d0)
	}
	return d + math.Min(d, 0.1*d+0.5)
}
