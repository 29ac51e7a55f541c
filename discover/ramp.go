package discover

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// Ramp makes discovery's traffic grow gently, for servers with acceleration limits (Anthropic
// documents 429s on a sharp increase of usage, even below the published limits, without
// figures): discovery sends at most Start requests in its first Window and at most Factor times
// the previous window's in each after it, holding back what would exceed that until the next
// window. Its bursts then measure the limit, not the acceleration limit.
//
// The defaults follow ratelab's model of acceleration limits (account.Acceleration: a key may
// send Factor times its previous window's requests, and always its Floor, 60 a minute by
// default): half the floor to start with and growth by 1.5 a minute, below the doubling the
// model is usually run with, so that a server counting its windows from another instant than
// discovery's first request, which sees part of two of discovery's windows in each of its own,
// is not tripped either. The price is time: a burst of b needs about log₁.₅(b/20) minutes of
// ramp first (four for 120, eight for 600: measured), so ramping is not the default; set it, and
// a MaxDuration that leaves room for it, where acceleration limits apply.
type Ramp struct {
	// Factor is the largest growth from one window to the next (default 1.5).
	Factor float64
	// Window is the period counted (default a minute).
	Window time.Duration
	// Start is the requests of the first window, and of any window after an idle one
	// (default 30).
	Start int
}

// Defaults of Ramp.
const (
	DefaultRampFactor = 1.5
	DefaultRampWindow = time.Minute
	DefaultRampStart  = 30
)

// withDefaults fills in the zero fields.
func (r Ramp) withDefaults() Ramp {
	if r.Factor < 1 {
		r.Factor = DefaultRampFactor
	}
	if r.Window <= 0 {
		r.Window = DefaultRampWindow
	}
	if r.Start <= 0 {
		r.Start = DefaultRampStart
	}
	return r
}

// rampPacer holds another pacer's hits back where they would exceed the ramp: windows count
// from discovery's first request (t0), each allowing Factor times the one before (at least
// Start).
type rampPacer struct {
	inner  workload.Pacer
	ramp   Ramp
	t0     float64     // discovery's first request, run seconds
	start  float64     // the phase's start, run seconds
	counts map[int]int // requests per window, sent before the phase and scheduled in it
	due    []float64   // the phase's schedule, seconds since its start
	shift  float64     // how far the ramp has held the schedule back so far, seconds
}

// rampCounts counts discovery's requests so far per ramp window.
func (f *finder) rampCounts(rp Ramp) map[int]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	counts := map[int]int{}
	for i := range f.recs {
		counts[rampWindow(rp, f.rampT0, record.Seconds(f.recs[i].Sent))]++
	}
	return counts
}

// rampWindow is the number of the ramp window holding run instant t.
func rampWindow(rp Ramp, t0, t float64) int {
	return int(math.Floor((t-t0)/rp.Window.Seconds() + 1e-9))
}

// allowed is how many requests window k may hold.
func (p *rampPacer) allowed(k int) int {
	return max(p.ramp.Start, int(p.ramp.Factor*float64(p.counts[k-1])))
}

// place returns the first instant from abs (run seconds) at which the ramp allows another
// request, and counts it there.
func (p *rampPacer) place(abs float64) float64 {
	for {
		k := rampWindow(p.ramp, p.t0, abs)
		if p.counts[k] < p.allowed(k) {
			p.counts[k]++
			return abs
		}
		abs = math.Max(abs, p.t0+float64(k+1)*p.ramp.Window.Seconds())
	}
}

// Due returns the inner pacer's instant for the hit, or later where the ramp holds it back
// (never before the hit ahead of it). A hit held back delays the rest of the schedule with it,
// as a pause: the hits keep the inner pacer's spacing rather than leaving together when the
// next window opens.
func (p *rampPacer) Due(hits uint64) (time.Duration, bool) {
	for uint64(len(p.due)) <= hits {
		at, ok := p.inner.Due(uint64(len(p.due)))
		if !ok {
			return 0, false
		}
		t := at.Seconds() + p.shift
		if n := len(p.due); n > 0 {
			t = math.Max(t, p.due[n-1])
		}
		placed := p.place(p.start+t) - p.start
		p.shift += placed - t
		p.due = append(p.due, placed)
	}
	return seconds(p.due[hits])
}

// Rate returns the inner pacer's rate.
func (p *rampPacer) Rate(elapsed time.Duration) float64 { return p.inner.Rate(elapsed) }

// String describes the pacer.
func (p *rampPacer) String() string {
	return fmt.Sprintf("%s, ramped ×%g per %s", p.inner, p.ramp.Factor, p.ramp.Window)
}

// ramped returns pacer held to the ramp for a phase starting now, and how long to wait before
// the phase so that its first hit is due at once (a single attempt's phase is short); pacer
// itself and 0 without a ramp.
func (f *finder) ramped(pacer workload.Pacer) (workload.Pacer, time.Duration) {
	if f.o.Ramp == nil {
		return pacer, 0
	}
	rp := f.o.Ramp.withDefaults()
	now := f.r.Elapsed().Seconds()
	if f.sent() == 0 {
		f.rampT0 = now
	}
	// Where the first hit must wait, the phase starts then.
	probe := &rampPacer{ramp: rp, t0: f.rampT0, counts: f.rampCounts(rp)}
	first, ok := pacer.Due(0)
	start := now
	if ok {
		start = probe.place(now+first.Seconds()) - first.Seconds()
	}
	start = math.Max(start, now)
	p := &rampPacer{inner: pacer, ramp: rp, t0: f.rampT0, start: start, counts: f.rampCounts(rp)}
	return p, time.Duration((start - now) * float64(time.Second))
}

// rampWait sleeps wait before a ramped phase; false when no time is left for it.
func (f *finder) rampWait(ctx context.Context, wait time.Duration) (bool, error) {
	if wait <= 0 {
		return true, nil
	}
	if f.o.Progress != nil {
		f.o.Progress(fmt.Sprintf("ramp: waiting %s for the next window", wait.Round(time.Millisecond)))
	}
	return f.sleep(ctx, wait)
}

// PhaseRamp labels the attempts of the warm-up that a Ramp sends before the first burst.
const PhaseRamp = "ramp"

// warmUp sends evenly spaced requests, window by window as the ramp allows, until the next
// window may hold a burst of b (what the headers say remains) with a tenth and ten to spare;
// each window sends no more than that over the factor, so that the warm-up stays well under a
// limit of b a minute and leaves a bucket full. It ends early at a refusal (the limit is lower
// than the warm-up), and waits for the window the burst goes in.
func (f *finder) warmUp(ctx context.Context, b float64) (stopped bool, err error) {
	rp := f.o.Ramp.withDefaults()
	w := rp.Window.Seconds()
	need := int(math.Ceil(1.1*b + 10))
	level := int(math.Ceil(float64(need) / rp.Factor))
	for {
		counts := f.rampCounts(rp)
		now := f.r.Elapsed().Seconds()
		k := rampWindow(rp, f.rampT0, now)
		allowed := max(rp.Start, int(rp.Factor*float64(counts[k-1])))
		if allowed-counts[k] >= need {
			return false, nil // this window may hold the burst
		}
		end := f.rampT0 + float64(k+1)*w
		n := min(allowed, level) - counts[k]
		if n <= 0 {
			ok, err := f.sleep(ctx, time.Duration((end-now+1e-3)*float64(time.Second)))
			if err != nil || !ok {
				f.done = "discovery ran out of time in the ramp"
				return true, err
			}
			continue
		}
		if f.o.Progress != nil {
			f.o.Progress(fmt.Sprintf("ramp: %d requests in window %d (towards %d a window)", n, k, level))
		}
		// n evenly over what is left of the window, the last a little before its end.
		rate := float64(n) / math.Max(end-now, 1e-3) * 1.02
		out, stopped, err := f.phase(ctx, PhaseRamp, workload.Constant(workload.Rate{Hits: 1, Per: time.Duration(float64(time.Second) / rate)}),
			time.Duration((end-now)*float64(time.Second)), true, n)
		if err != nil || stopped || out.firstLim >= 0 {
			return stopped, err
		}
		if ok, err := f.sleep(ctx, time.Duration((end-f.r.Elapsed().Seconds()+1e-3)*float64(time.Second))); err != nil || !ok {
			f.done = "discovery ran out of time in the ramp"
			return true, err
		}
	}
}
