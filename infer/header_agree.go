package infer

import (
	"fmt"
	"math"
	"slices"

	"github.com/ratelab/ratelab/ratelimit"
)

// hdrAgreement is the advertised rate of a dimension whose headers agree with everything the
// attempts showed (headerAgreement).
type hdrAgreement struct {
	rate float64 // advertised, per second
	eps  float64 // relative precision of the limit header: half a unit of the limit
	// quota is what a full budget admits (the largest remaining after an admission, plus it).
	quota float64
	ok    bool
}

// headerAgreement checks whether dimension r's rate-limit headers describe the limiter that
// refused the attempts, exactly enough that the rate the limit header advertises is the one
// enforced. It asks for requests (whose remaining is exact), one advertised limit over a period
// the headers state (the per-minute dialects, or a stated window), and:
//   - every refusal came when the headers left at most one request (one in flight): the refused
//     answer says remaining 0 or 1, and the last reading before it, less every attempt sent
//     since, leaves at most one;
//   - the budget came back as the reset said: an attempt sent after the previous answer's reset
//     instant (plus a second for a reset truncated to whole seconds, and the round trip) is
//     admitted with the whole quota left;
//   - a refused answer's reset is no further off than two windows of the quota at the
//     advertised rate;
//   - the limit reopened at least once (a refusal, then an admission);
//   - where the reset instants step from window to window (hdrStats.resetW), the quota at the
//     advertised rate fills that window.
//
// "Advertised 60/min, enforced as 1/s" (refused while remaining says 59) fails the first test;
// a limiter whose headers tell of another limiter fails one of them. The behaviour's own
// interval must still hold the advertised rate for it to be used (dimResult.interval).
func headerAgreement(r *dimResult) hdrAgreement {
	hs := &r.hs
	if r.d != ratelimit.Requests || hs.n == 0 || len(hs.limits) != 1 || hs.limit <= 0 || hs.maxRem < 1 {
		return hdrAgreement{}
	}
	var per float64
	switch {
	case hs.windowS > 0:
		per = hs.windowS
	case perMinute(hs.dialect):
		per = 60
	default:
		return hdrAgreement{}
	}
	adv := float64(hs.limit) / per
	quota := float64(hs.maxRem) + 1 // what a full budget admits: the largest remaining after an admission, plus it
	if hs.plateaus >= 2 && hs.resetW > 0 && math.Abs(quota/adv-hs.resetW) > 1+0.05*hs.resetW {
		// The reset instants step a window apart that the quota at the advertised rate does
		// not fill: the limit header does not state the rate the window enforces.
		return hdrAgreement{}
	}
	const all = ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset
	ev := r.tl.events
	last := -1 // the latest event, by sending, whose answer had all three fields
	refused, reopened := false, false
	for i := range ev {
		e := &ev[i]
		h := &e.hdr[r.d]
		read := h.flags&all == all
		if i > 0 {
			if p := &ev[i-1]; p.hdr[r.d].flags&all == all {
				slack := 2*math.Max(p.lat, e.lat) + 0.05
				if float32(math.Trunc(float64(p.hdr[r.d].resetS))) == p.hdr[r.d].resetS {
					slack++ // whole seconds: truncated, the reset may be up to a second later
				}
				if e.t >= resetInstant(p, r.d)+slack {
					// The budget is back whole by the reset.
					if e.out == outLimit || (e.out == outOK && read && float64(h.rem) < quota-2) {
						return hdrAgreement{}
					}
				}
			}
		}
		switch e.out {
		case outLimit:
			if read {
				if h.rem > 1 || float64(h.resetS) > 2*quota/adv+2 {
					return hdrAgreement{}
				}
			}
			if last >= 0 && float64(ev[last].hdr[r.d].rem)-float64(i-last-1) >= 2 {
				// The headers left two or more, whatever refilled since.
				return hdrAgreement{}
			}
			refused = true
		case outOK:
			reopened = reopened || refused
		}
		if read {
			last = i
		}
	}
	if !reopened {
		return hdrAgreement{}
	}
	return hdrAgreement{rate: adv, eps: 0.5 / float64(hs.limit), quota: quota, ok: true}
}

// resetInstant is when e's answer said dimension d's budget resets, in run seconds: from the
// server's Date for an absolute reset, else from when the answer came.
func resetInstant(e *event, d ratelimit.Dimension) float64 {
	h := &e.hdr[d]
	base := e.t + e.lat
	if !math.IsNaN(e.date) && isAbsolute(h.kind) {
		base = e.date
	}
	return base + float64(h.resetS)
}

// pinned narrows the behaviour's interval [lo, hi] (figure rate) to the advertised rate when
// the headers agree (headerAgreement) and the interval holds it, and reports whether it did.
// Where a counter that keeps the previous window's share fractional is plausible, which admits
// a quota less one per window whatever its headers say, the interval reaches down to that
// rate and the figure stays the behaviour's.
func (r *dimResult) pinned(lo, hi, rate float64) (plo, phi, prate float64, ok bool) {
	a := r.agree0
	if !a.ok || r.leaky || r.best == nil || !r.best.ok || a.rate < lo || a.rate > hi {
		return lo, hi, 0, false
	}
	low := a.rate * (1 - a.eps)
	if fractionalPlausible(r) {
		// Such a counter admits a quota less one per window: its rate is as low as that.
		low = math.Min(low, a.rate*(a.quota-1)/a.quota)
	}
	plo, phi = math.Max(lo, low), math.Min(hi, a.rate*(1+a.eps))
	if plo > phi {
		return lo, hi, 0, false
	}
	prate = a.rate
	if low < a.rate*(1-a.eps) {
		prate = rate // the headers cannot choose between the two: the behaviour's figure
	}
	return plo, phi, math.Min(math.Max(prate, plo), phi), true
}

// resetContradicts reports whether the reset instants the headers gave contradict fit f while
// they agree with the best fit: where the headers agree with the attempts (headerAgreement) in
// a dialect whose reset is when the budget is whole again (Anthropic's and OpenAI's, by their
// documentation), each limiter puts that instant somewhere else: a bucket a unit's refill later
// with every admission, a fixed window at its end, a counter a window after its current one
// ends (the share it carries fades by then), a log a window after its newest entry. A rival
// that puts two readings further off than the reset's rounding (a second, and the round trip),
// while the best fit puts none so, is not the limiter that wrote them.
func resetContradicts(r *dimResult, f *fit) bool {
	if !r.agree0.ok || !perMinute(r.hs.dialect) || r.best == nil || !r.best.ok {
		return false
	}
	return resetMisses(r, f) >= 2 && resetMisses(r, r.best) == 0
}

// rateContradicts reports whether fit f sustains a rate the advertised one is not, where the
// headers agree with the attempts and the best fit holds the advertised rate: then the
// advertised rate is the enforced one (pinned), and a limiter of another rate is not the one
// that enforces it. A counter keeping its share fractional sustains a quota less one per
// window under a limit header of the whole quota: the header states its whole quota, so its
// range is scaled up by that (a counter of 2 per 0.5 s, kept fractional, admits 120/min but
// would advertise 240).
func rateContradicts(r *dimResult, f *fit) bool {
	a := r.agree0
	if !a.ok || r.best == nil || !r.best.ok || !f.ok || f.hi <= 0 {
		return false
	}
	lo, hi := a.rate*(1-a.eps), a.rate*(1+a.eps)
	if r.best.lo > hi || r.best.hi < lo {
		return false
	}
	flo, fhi := f.lo, f.hi
	if f.model == "sw" && f.rd == roundFractional {
		q := f.q
		if q <= 0 {
			q = a.quota
		}
		k := q / swQuota(q, roundFractional)
		flo, fhi = flo*k, fhi*k
	}
	return fhi < lo || flo > hi
}

// resetMisses counts the readings whose reset instant fit f puts further off than the rounding.
func resetMisses(r *dimResult, f *fit) int {
	ev := r.tl.events
	if len(ev) == 0 {
		return 0
	}
	const all = ratelimit.HasRemaining | ratelimit.HasReset
	w := f.window
	if f.model == "tb" {
		if f.rate <= 0 || f.burst <= 0 {
			return 0
		}
	} else if w <= 0 {
		return 0
	}
	tokens, last := f.burst, ev[0].t // bucket
	frStart := math.Inf(-1)          // fixed window opened by the first request
	newest := math.Inf(-1)           // log: the newest admitted entry
	curWin, curCount := math.Inf(-1), 0
	misses := 0
	for i := range ev {
		e := &ev[i]
		ok := e.out == outOK
		var pred float64
		switch f.model {
		case "tb":
			tokens = math.Min(f.burst, tokens+f.rate*(e.t-last))
			last = e.t
			if ok || (e.out == outLimit && f.cr) {
				tokens--
			}
			pred = e.t + math.Max(f.burst-tokens, 0)/f.rate
		case "fw":
			pred = f.phi + (math.Floor((e.t-f.phi)/w)+1)*w
		case "fr":
			if e.t >= frStart+w {
				frStart = e.t
			}
			pred = frStart + w
		case "sw":
			end := f.phi + (math.Floor((e.t-f.phi)/w)+1)*w
			if end != curWin {
				curWin, curCount = end, 0
			}
			if ok {
				curCount++
			}
			pred = end
			if curCount > 0 {
				pred = end + w
			}
		case "sl":
			if ok {
				newest = e.t
			}
			pred = newest + w
		default:
			return 0
		}
		h := &e.hdr[r.d]
		if h.flags&all != all || e.out == outOther || math.IsInf(pred, 0) {
			continue
		}
		slack := 2*e.lat + 0.05
		if float32(math.Trunc(float64(h.resetS))) == h.resetS {
			slack += 2 // whole seconds, against a Date of whole seconds too
		}
		if math.Abs(resetInstant(e, r.d)-pred) > slack {
			misses++
		}
	}
	return misses
}

// fractionalPlausible reports whether a counter that keeps the previous window's share
// fractional, which admits a quota less one per window under headers of the whole quota, is
// still possible where the headers agree with the attempts: the best fit or one the attempts
// cannot rule out is such a counter, and the one the headers describe (their quota, over the
// window that quota fills at the advertised rate) explains the attempts within the margin of
// plausibleFits (a counter of another quota or window contradicts the headers).
func fractionalPlausible(r *dimResult) bool {
	var fr []*fit
	for _, f := range append([]*fit{r.best}, plausibleFits(r, func(*fit) bool { return true })...) {
		if f.model == "sw" && f.rd == roundFractional {
			fr = append(fr, f)
		}
	}
	a := r.agree0
	if len(fr) == 0 || !a.ok || a.rate <= 0 {
		return len(fr) > 0
	}
	return fracRivalFits(r, a.quota, a.quota/a.rate, a.eps)
}

// fracRivalMax bounds the attempts fracRivalFits replays (it costs a replay per phase).
const fracRivalMax = 400

// fracRivalFits reports whether a counter of quota q over a window of w (±eps), keeping the
// previous window's share fractional, at any phase, counting refusals or not, mispredicts the
// attempts no more than a fit plausibleFits keeps. The mismatch count only changes where an
// attempt's sending or decision instant crosses a window boundary, so one phase between each
// two such crossings covers them all. Long series are taken as explained (the replay costs
// their square).
func fracRivalFits(r *dimResult, q, w, eps float64) bool {
	s := &r.ser
	n := s.len()
	if n == 0 || n > fracRivalMax || r.best == nil || w <= 0 {
		return n > 0
	}
	margin := max(3, 2*tolerance(r.n, r.refused), int(math.Ceil(math.Sqrt(float64(r.refused)))))
	for _, wl := range []float64{w, w * (1 - eps), w * (1 + eps)} {
		cuts := make([]float64, 0, 2*n+1)
		for i, t := range s.t {
			cuts = append(cuts, math.Mod(t, wl), math.Mod(t+s.window(i), wl))
		}
		cuts = append(cuts, wl)
		slices.Sort(cuts)
		prev := 0.0
		for _, c := range cuts {
			if c-prev > 1e-9 {
				phi := (prev + c) / 2
				for _, cr := range []bool{false, true} {
					if swMismatch(s, q, wl, phi, cr, roundFractional) < r.best.m+margin {
						return true
					}
				}
			}
			prev = c
		}
	}
	return false
}

// pinnedWords says why the interval is the limit header's: the headers agree with the attempts.
func pinnedWords(r *dimResult) string {
	s := "The headers agree with every refusal and reopening (refused only when they left at most one, the budget whole again by their reset), so "
	if fractionalPlausible(r) {
		return s + fmt.Sprintf("the enforced rate is the advertised %s/min, or a quota less one per window if a counter keeps its share fractional (the attempts cannot tell): the interval holds both and the figure is the behaviour's.",
			fmtNum(r.agree0.rate*60))
	}
	return s + fmt.Sprintf("the advertised %s/min is taken as the enforced rate, to the limit header's precision.", fmtNum(r.agree0.rate*60))
}
