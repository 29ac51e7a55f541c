package infer

import (
	"math"
	"slices"
)

// frMismatch replays a fixed window opened by the first request after the previous window
// ended (limiter.StartFirstRequest): a window of w seconds opens at the first attempt at or
// after the previous one's end, and an attempt passes iff the window's count + its cost ≤ q.
// An admission decided a latency after it was sent, past the window's end, passed in a new
// window. When others had taken from the window in progress at the first attempt (s.pre), that
// window opened at their first request, up to a window earlier, and ended at or before one of
// the attempts of the first w seconds: the best of those ends is taken (at most frEnds of
// them, spread over the attempts).
func frMismatch(s *series, q, w float64) int {
	if s.pre <= 0 || s.len() == 0 {
		return frMismatchFrom(s, q, w, math.Inf(-1))
	}
	n := 1
	for n < s.len() && s.t[n] <= s.t[0]+w {
		n++
	}
	best := frMismatchFrom(s, q, w, s.t[0])
	step := max(1, n/frEnds)
	for j := 1; j < n; j += step {
		best = min(best, frMismatchFrom(s, q, w, s.t[j]-w))
	}
	return best
}

// frEnds bounds how many ends of a shared first window frMismatch tries.
const frEnds = 64

// frMismatchFrom is frMismatch with the first window opened at start0 (−Inf: at the first
// attempt), holding s.pre.
//
//go:norace
//go:nocheckptr
func frMismatchFrom(s *series, q, w, start0 float64) int {
	start, count, m := start0, s.pre, 0
	if math.IsInf(start0, -1) {
		count = 0
	}
	for i, t := range s.t {
		if t >= start+w {
			start, count = t, 0
			if i == 0 {
				count = s.pre
			}
		}
		pass := count+s.admCost(i) <= q+eps
		if s.acc[i] {
			switch {
			case pass:
			case t+s.window(i) >= start+w:
				start, count = max(t, start+w), 0 // decided once the window had ended: it opened the next
			default:
				m++
			}
			count += s.chgCost(i)
		} else if pass {
			m++
		}
	}
	return m
}

// fitFR fits a fixed window opened by the first request: no phase, only the quota (from the
// first burst and the typical run between refusals, and their neighbours) and the length (a
// scan 0.5% apart from 50 ms to the span of the data, then the interval where the
// mispredictions stay within the best, and within the tolerance, by widen). Under saturation
// the windows follow each other, so its sustained rate is q/w.
func fitFR(s *series) fit {
	f := fit{model: "fr", n: s.len()}
	if s.len() < 2 || len(reopenings(s)) == 0 {
		return f
	}
	span := s.t[s.len()-1] - s.t[0]
	qs := []float64{firstBurst(s) + s.pre}
	if q1 := float64(typicalRun(s)); q1 > 0 && q1 != qs[0] {
		qs = append(qs, q1)
	}
	if s.hdrQ > 0 && !slices.Contains(qs, s.hdrQ) {
		qs = append(qs, s.hdrQ)
	}
	best := struct {
		q, w float64
		m    int
	}{m: math.MaxInt}
	for _, q0 := range qs {
		for _, q := range []float64{q0, q0 - 1, q0 + 1} {
			if q < 1 {
				continue
			}
			for w := 0.05; w <= math.Max(span, 0.1); w *= 1.005 {
				if m := frMismatch(s, q, w); m < best.m || (m == best.m && q == s.hdrQ && best.q != s.hdrQ) {
					best.q, best.w, best.m = q, w, m
				}
			}
		}
	}
	if best.m == math.MaxInt {
		return f
	}
	// The scan's step is coarser than the data may pin the length: look finer around it.
	w0 := best.w
	for k := -50; k <= 50; k++ {
		if w := w0 * (1 + 0.0001*float64(k)); frMismatch(s, best.q, w) < best.m {
			best.w, best.m = w, frMismatch(s, best.q, w)
		}
	}
	within := func(limit int) func(float64) bool {
		return func(w float64) bool { return frMismatch(s, best.q, w) <= limit }
	}
	f.m, f.q, f.burst = best.m, best.q, best.q
	swlo, swhi := widen(best.w, within(best.m))
	f.window = midRate(best.w, swlo, swhi)
	f.rate = best.q / f.window
	wlo, whi := widen(best.w, within(best.m+seriesTolerance(s)))
	f.lo, f.hi = rateRange(best.q, wlo, whi)
	f.ok = len(reopenings(s)) >= 2 && f.lo > 0 && !math.IsInf(f.hi, 1)
	return f
}
