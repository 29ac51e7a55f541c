package infer

import (
	"math"
	"slices"
)

// The sliding window counter restarted by the first request after an idle window.
//
// HAProxy's stick-table rates (freq_ctr: src/freq_ctr.c update_freq_ctr_period_slow and
// _freq_ctr_total_from_values) keep the counter's windows end to end from the first request,
// but once a whole window has passed without a request the next one opens at that request,
// with nothing carried over: the phase moves with every gap of the client's traffic, which no
// clock-aligned counter (fitSW) can follow. The estimate is the current count plus the previous
// window's count weighted by what is left of the current window, rounded down (integer
// division), and the request itself is counted before the check, refused or not.

// srMismatch replays a counter of quota q per w seconds that restarts at the first attempt
// after an idle window, its previous window's share rounded as rd says, counting refused
// attempts when cr. An admission decided a latency after it was sent may have passed later.
//
//go:norace
//go:nocheckptr
func srMismatch(s *series, q, w float64, cr bool, rd uint8) int {
	start, prev, curr, m := math.Inf(-1), 0.0, 0.0, 0
	for i, t := range s.t {
		if t >= start+w {
			if t < start+2*w {
				prev, start = curr, start+w
			} else {
				prev, start = 0, t
			}
			curr = 0
		}
		pass := swShare(prev, w, t-start, rd)+curr+s.admCost(i) <= q+eps
		if s.acc[i] {
			if !pass && !swPassesLater(prev, curr, q, s.admCost(i), w, t-start+s.window(i), rd) {
				m++
			}
			curr += s.chgCost(i)
			continue
		}
		if pass {
			m++
		}
		if cr {
			curr += s.rejChg
		}
	}
	return m
}

// fitSR fits the restarted counter for each rounding, counting refusals or not: the quota from
// the first burst and the typical run between refusals (and their neighbours), the length by a
// scan 1% apart from 50 ms to the span of the data, then finer around the best; the interval
// is where the mispredictions stay within the best, and within the tolerance (widen). Under
// saturation it admits what the clock-aligned counter does per window (swQuota).
func fitSR(s *series) []fit {
	if s.len() < 2 || s.adm != nil || s.chg != nil {
		return nil
	}
	span := s.t[s.len()-1] - s.t[0]
	var qs []float64
	for _, q0 := range []float64{firstBurst(s), float64(typicalRun(s))} {
		for _, q := range []float64{q0, q0 - 1, q0 + 1} {
			if q >= 2 && !slices.Contains(qs, q) {
				qs = append(qs, q)
			}
		}
	}
	lo, hi, step := 0.05, math.Max(span, 0.1), 1.01
	var out []fit
	for rd := range numRoundings {
		for _, cr := range []bool{false, true} {
			if f := srSearch(s, qs, lo, hi, step, cr, rd); f.m != math.MaxInt {
				out = append(out, f)
			}
		}
	}
	return out
}

// refineSR fits the restarted counter of f0's rounding and accounting, made on a prefix of s,
// on the whole of s: quotas next to f0's, lengths within ±3% of its window.
func refineSR(s *series, f0 fit) fit {
	if f0.window <= 0 {
		return fit{model: "sr", m: math.MaxInt}
	}
	var qs []float64
	for _, q := range []float64{f0.q, f0.q - 1, f0.q + 1} {
		if q >= 2 {
			qs = append(qs, q)
		}
	}
	return srSearch(s, qs, f0.window*0.97, f0.window*1.03, 1.002, f0.cr, f0.rd)
}

// srSearch is fitSR for one rounding and accounting.
func srSearch(s *series, qs []float64, wlo, whi, step float64, cr bool, rd uint8) fit {
	f := fit{model: "sr", cr: cr, rd: rd, n: s.len(), m: math.MaxInt}
	bq, bw, bm := 0.0, 0.0, math.MaxInt
	for _, q := range qs {
		for w := wlo; w <= whi; w *= step {
			if m := srMismatch(s, q, w, cr, rd); m < bm {
				bq, bw, bm = q, w, m
			}
		}
	}
	if bm == math.MaxInt {
		return f
	}
	w0 := bw
	for k := -50; k <= 50; k++ {
		w := w0 * (1 + (step-1)/50*float64(k))
		if m := srMismatch(s, bq, w, cr, rd); m < bm {
			bw, bm = w, m
		}
	}
	within := func(limit int) func(float64) bool {
		return func(w float64) bool { return srMismatch(s, bq, w, cr, rd) <= limit }
	}
	f.m, f.q, f.burst = bm, bq, bq
	swlo, swhi := widen(bw, within(bm))
	f.window = midRate(bw, swlo, swhi)
	q := swQuota(bq, rd)
	f.rate = q / f.window
	wlo, whi = widen(bw, within(bm+seriesTolerance(s)))
	f.lo, f.hi = rateRange(q, wlo, whi)
	f.ok = len(reopenings(s)) >= 2 && f.lo > 0 && !math.IsInf(f.hi, 1)
	return f
}
