package infer

import (
	"cmp"
	"math"
	"slices"
)

// fitSW fits Cloudflare's sliding window counter by replay: a coarse scan of window lengths
// (2% apart, from 50 ms to the span of the data) and boundary positions, then a refinement of
// the best few. A boundary is placed by a reference instant tref near the middle of the data,
// so that changing the length moves the boundaries the data see least. Under saturation the
// counter admits q per window, so its sustained rate is q/w.
func fitSW(s *series, q0 float64, cr bool) fit {
	return swSearch(s, q0, cr, nil)
}

// refineSW fits the counter near a fit f0 made on a prefix of s.
func refineSW(s *series, f0 fit) fit {
	if f0.window <= 0 {
		return fitSW(s, f0.q, f0.cr)
	}
	f := swSearch(s, f0.q, f0.cr, &f0)
	if !f0.ok || f0.lo <= 0 || f0.hi/f0.lo-1 > 0.06 {
		// The prefix left the window loose: its rates span more than the ±3% searched
		// around it, so the whole series may need a length outside that. Scan afresh too.
		if g := fitSW(s, f0.q, f0.cr); better(&g, &f) {
			f = g
		}
	}
	return f
}

// swSearch fits the counter: from a coarse scan, or around hint.
func swSearch(s *series, q0 float64, cr bool, hint *fit) fit {
	f := fit{model: "sw", cr: cr, n: s.len()}
	if s.len() < 2 || q0 < 2 {
		return f
	}
	mid := (s.t[0] + s.t[s.len()-1]) / 2
	span := s.t[s.len()-1] - s.t[0]
	type par struct {
		w, tref, q float64
		m          int
	}
	var coarse []par
	if hint != nil {
		// The hint's boundary nearest the middle of the data.
		k := math.Round((mid - hint.phi) / hint.window)
		coarse = []par{{hint.window, hint.phi + k*hint.window, hint.q, 0}}
	} else {
		// Windows longer than the data are possible: the counter's estimate reaches back a
		// window.
		for w := 0.05; w <= math.Max(4*span, 0.1); w *= 1.02 {
			best := par{m: math.MaxInt}
			for j := range 20 {
				tref := mid + w*float64(j)/20
				if m := swMismatch(s, q0, w, mod(tref, w), cr); m < best.m {
					best = par{w, tref, q0, m}
				}
			}
			coarse = append(coarse, best)
		}
		slices.SortStableFunc(coarse, func(a, b par) int { return cmp.Compare(a.m, b.m) })
	}
	best := par{m: math.MaxInt}
	tried := 0
	for _, c := range coarse {
		if tried == 3 {
			break
		}
		tried++
		for _, q := range []float64{c.q, c.q - 1, c.q + 1} {
			if q < 2 {
				continue
			}
			for k := -0.03; k <= 0.03+eps; k += 0.002 {
				w := c.w * (1 + k)
				for j := -10; j <= 10; j++ {
					tref := c.tref + c.w*float64(j)/200
					if m := swMismatch(s, q, w, mod(tref, w), cr); m < best.m {
						best = par{w, tref, q, m}
					}
				}
			}
		}
	}
	if best.m == math.MaxInt {
		return f
	}
	// Finer: the good (length, position) pairs can be a thinner band than the grid above.
	w0, t0 := best.w, best.tref
	for k := -25; k <= 25; k++ {
		w := w0 * (1 + 0.0002*float64(k))
		for j := -20; j <= 20; j++ {
			tref := t0 + w0*float64(j)/4000
			if m := swMismatch(s, best.q, w, mod(tref, w), cr); m < best.m {
				best = par{w, tref, best.q, m}
			}
		}
	}
	f.m, f.q, f.burst = best.m, best.q, best.q
	// A length is within the interval when some boundary position near the best one fits: the
	// good (length, position) pairs form a thin slanted band, and the interval is its shadow.
	// Positions are tried outwards from the best one, w/4000 apart, up to ±w/50 (the estimate
	// moves with the position continuously, so the band is thin).
	within := func(limit int) func(float64) bool {
		return func(w float64) bool {
			c := mod(best.tref, w)
			for j := 0; j <= 160; j++ {
				dj := float64((j+1)/2) * float64(1-2*(j%2)) // 0, 1, −1, 2, −2, …
				if swMismatch(s, best.q, w, mod(c+w*dj/4000, w), cr) <= limit {
					return true
				}
			}
			return false
		}
	}
	swlo, swhi := widen(best.w, within(best.m))
	f.window = midRate(best.w, swlo, swhi)
	f.phi = mod(best.tref, f.window)
	f.rate = best.q / f.window
	wlo, whi := widen(best.w, within(best.m+seriesTolerance(s)))
	f.lo, f.hi = rateRange(best.q, wlo, whi)
	f.ok = f.lo > 0 && !math.IsInf(f.hi, 1)
	return f
}
