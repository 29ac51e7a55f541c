package infer

import (
	"cmp"
	"math"
	"slices"
)

// fitSW fits Cloudflare's sliding window counter by replay, once per rounding of the previous
// window's share (floor, half up, fractional: real counters differ, and the rounding moves where
// the counter reopens), counting refusals or not: a coarse scan of window lengths (2% apart, from
// 50 ms to the span of the data) and boundary positions per rounding, then a refinement of the
// best few, the phase found exactly (swPhase) and the fit polished and bounded on the polygon of
// parameters that predict the same (swPolish, swLengths). Under saturation the counter admits q
// per window (q − 1 when the share is kept fractional), which is its sustained rate.
func fitSW(s *series, q0 float64) []fit {
	var out []fit
	// A burst from rest that straddles a boundary takes more than a window's quota: the
	// typical run of admissions between refusals is tried as the quota too.
	q1 := float64(typicalRun(s))
	for rd := range numRoundings {
		coarse := swCoarse(s, q0, rd)
		if q1 >= 2 && q1 != q0 {
			coarse = append(coarse, swCoarse(s, q1, rd)...)
			slices.SortStableFunc(coarse, func(a, b swPar) int { return cmp.Compare(a.m, b.m) })
		}
		for _, cr := range []bool{false, true} {
			out = append(out, swSearch(s, cr, rd, coarse))
		}
	}
	return out
}

// refineSW fits the counter near a fit f0 made on a prefix of s.
func refineSW(s *series, f0 fit) fit {
	if f0.window <= 0 {
		return swSearch(s, f0.cr, f0.rd, swCoarse(s, f0.q, f0.rd))
	}
	mid := (s.t[0] + s.t[s.len()-1]) / 2
	k := math.Round((mid - f0.phi) / f0.window)
	f := swSearch(s, f0.cr, f0.rd, []swPar{{f0.window, f0.phi + k*f0.window, f0.q, 0}})
	if !f0.ok || f0.lo <= 0 || f0.hi/f0.lo-1 > 0.06 {
		// The prefix left the window loose: its rates span more than the ±3% searched
		// around it, so the whole series may need a length outside that. Scan afresh too.
		if g := swSearch(s, f0.cr, f0.rd, swCoarse(s, f0.q, f0.rd)); better(&g, &f) {
			f = g
		}
	}
	return f
}

// swPar is a counter's parameters: window length, a boundary instant, quota, and the
// mismatches they give.
type swPar struct {
	w, tref, q float64
	m          int
}

// swCoarse scans window lengths 2% apart from 50 ms to four times the data's span (windows
// longer than the data are possible: the counter's estimate reaches back a window), each at
// 20 boundary positions, for a counter of quota q0 rounding as rd says and not counting
// refusals, and returns the lengths best first.
func swCoarse(s *series, q0 float64, rd uint8) []swPar {
	if s.len() < 2 || q0 < 2 {
		return nil
	}
	mid := (s.t[0] + s.t[s.len()-1]) / 2
	span := s.t[s.len()-1] - s.t[0]
	var coarse []swPar
	for w := 0.05; w <= math.Max(4*span, 0.1); w *= 1.02 {
		best := swPar{m: math.MaxInt}
		for j := range 20 {
			tref := mid + w*float64(j)/20
			if m := swMismatch(s, q0, w, mod(tref, w), false, rd); m < best.m {
				best = swPar{w, tref, q0, m}
			}
		}
		for _, p := range refusalPhases(s, q0, w) {
			if m := swMismatch(s, q0, w, p, false, rd); m < best.m {
				best = swPar{w, p, q0, m}
			}
		}
		coarse = append(coarse, best)
	}
	slices.SortStableFunc(coarse, func(a, b swPar) int { return cmp.Compare(a.m, b.m) })
	return coarse
}

// swSearch refines the best four distinct coarse candidates for a counter counting refusals or not
// (cr) and rounding the share as rd says: quotas q−1, q, q+1 and lengths within ±3%, each at
// the best of 21 positions within ±w/20 from which the exact phase search (swPhase) starts;
// then polishes the best (swPolish) and bounds the lengths that fit as well, and within the
// tolerance, on the polygon of parameters that predict the same (swLengths).
func swSearch(s *series, cr bool, rd uint8, coarse []swPar) fit {
	f := fit{model: "sw", cr: cr, rd: rd, n: s.len()}
	if len(coarse) == 0 {
		return f
	}
	var sc swPhaseScratch
	mm := func(q, w, tref float64) int { return swMismatch(s, q, w, mod(tref, w), cr, rd) }
	var grid []swPar
	tried := 0
	for _, c := range coarse {
		if tried == 4 {
			break
		}
		distinct := true
		for _, d := range coarse[:tried] {
			if math.Abs(c.w/d.w-1) < 0.03 && c.q == d.q {
				distinct = false
			}
		}
		if !distinct {
			continue
		}
		coarse[tried] = c
		tried++
		for _, q := range []float64{c.q, c.q - 1, c.q + 1} {
			if q < 2 {
				continue
			}
			for k := -0.03; k <= 0.03+eps; k += 0.002 {
				w := c.w * (1 + k)
				at := swPar{w, c.tref, q, math.MaxInt}
				for j := -10; j <= 10; j++ {
					tref := c.tref + c.w*float64(j)/200
					if m := mm(q, w, tref); m < at.m {
						at = swPar{w, tref, q, m}
					}
				}
				for _, p := range refusalPhases(s, q, w) {
					if m := mm(q, w, p); m < at.m {
						at = swPar{w, p, q, m}
					}
				}
				// The exact phase search around the best position: the good phases may lie
				// between the positions tried.
				at.tref, at.m = sc.swPhase(s, q, w, at.tref, math.Max(w/q, w/200), cr, rd)
				grid = append(grid, at)
			}
		}
	}
	if len(grid) == 0 {
		return f
	}
	// The exact phase search from the best eight points of the grid, then the polish (finer
	// lengths, the reopenings' line, the polygon's middle) of the best three distinct ones: the
	// good bands are narrower than the grid, and thin data can leave several apart.
	slices.SortStableFunc(grid, func(a, b swPar) int { return cmp.Compare(a.m, b.m) })
	for i := range grid[:min(8, len(grid))] {
		at := &grid[i]
		at.tref, at.m = sc.swPhase(s, at.q, at.w, at.tref, swReach(at.q, at.w), cr, rd)
	}
	slices.SortStableFunc(grid, func(a, b swPar) int { return cmp.Compare(a.m, b.m) })
	best := swPar{m: math.MaxInt}
	var phi float64
	var polished []swPar
	for _, at := range grid {
		if len(polished) == 3 {
			break
		}
		near := false
		for _, p := range polished {
			near = near || (p.q == at.q && math.Abs(p.w/at.w-1) < 0.001)
		}
		if near {
			continue
		}
		pw, pphi, pm := sc.swPolish(s, at.q, at.w, at.tref, cr, rd)
		polished = append(polished, swPar{pw, pphi, at.q, pm})
		grid = append(grid, swPar{pw, pphi, at.q, pm})
		if pm < best.m {
			best, phi = swPar{pw, pphi, at.q, pm}, pphi
		}
	}
	w, m := best.w, best.m
	f.m, f.q, f.burst = m, best.q, best.q
	q := swQuota(best.q, rd)
	swlo, swhi := sc.swLengths(s, best.q, w, phi, cr, rd, m)
	f.window = midRate(w, swlo, swhi)
	f.phi = mod(phi, w)
	f.rate = q / f.window
	limit := m + seriesTolerance(s)
	wlo, whi := sc.swLengths(s, best.q, w, phi, cr, rd, limit)
	f.lo, f.hi = rateRange(q, wlo, whi)
	// Thin data can leave several bands apart that fit as well (a counter of 600 per 58.87 s
	// and per 60 s, both without a misprediction): the interval holds every length of the
	// search that does.
	for _, at := range grid {
		if at.m <= limit {
			r := swQuota(at.q, rd) / at.w
			f.lo, f.hi = math.Min(f.lo, r), math.Max(f.hi, r)
		}
	}
	f.ok = f.lo > 0 && !math.IsInf(f.hi, 1)
	return f
}

// refusalPhases proposes window boundaries from the refusals: a counter refuses right after a
// boundary, while the previous window's share of a full window is still whole, so a boundary
// half a unit's time, or two, before a refusal is worth trying (at most 8 refusals, spread
// over the series).
func refusalPhases(s *series, q, w float64) []float64 {
	var rej []int
	for i := range s.t {
		if !s.acc[i] {
			rej = append(rej, i)
		}
	}
	unit := w / math.Max(q, 1)
	var out []float64
	n := min(len(rej), 8)
	for k := range n {
		t := s.t[rej[k*len(rej)/n]]
		out = append(out, t-unit/2, t-2*unit)
	}
	return out
}
