package infer

import (
	"cmp"
	"math"
	"slices"
)

// quotaFor estimates the quota per window of a fixed window at (w, φ): the most frequent
// admitted count among windows that refused something (a full window), else the largest count;
// the first window counts what others took from it before the first attempt (s.pre).
func quotaFor(s *series, w, phi float64) float64 {
	counts := map[float64]float64{}
	full := map[float64]bool{}
	var keys []float64
	for i, t := range s.t {
		k := math.Floor((t - phi) / w)
		if _, ok := counts[k]; !ok {
			keys = append(keys, k)
			counts[k] = 0
			if i == 0 {
				counts[k] = s.pre
			}
		}
		if s.acc[i] {
			counts[k] += s.chgCost(i)
		} else {
			full[k] = true
		}
	}
	freq := map[float64]int{}
	bestQ, bestN, maxQ := 0.0, 0, 0.0
	for _, k := range keys {
		c := counts[k]
		maxQ = math.Max(maxQ, c)
		if !full[k] {
			continue
		}
		freq[c]++
		if n := freq[c]; n > bestN || (n == bestN && c > bestQ) {
			bestQ, bestN = c, n
		}
	}
	if bestN == 0 {
		return maxQ
	}
	return bestQ
}

// fitFW fits a fixed window (quota q per window w, boundaries at φ + k·w) by replay over window
// lengths near the candidates, the phase taken from the reopenings and the quota from the full
// windows; the interval of rates q/w is where the mismatches stay within the tolerance.
func fitFW(s *series) fit {
	return fwSearch(s, nil, 0.015, 0.002)
}

// refineFW fits a fixed window near a fit f0 made on a prefix of s: window lengths across f0's
// interval (widened a little) instead of the coarse scan.
func refineFW(s *series, f0 fit) fit {
	if f0.window <= 0 || f0.q < 1 {
		return fitFW(s)
	}
	width := 0.01
	if f0.ok && f0.lo > 0 {
		width = math.Max(math.Min(f0.hi/f0.lo-1, 0.02), 0.0005)
	}
	f := fwSearch(s, []float64{f0.window}, width, width/10)
	if !f0.ok || f0.lo <= 0 || f0.hi/f0.lo-1 > 0.02 {
		// The prefix left the window loose: its rates span more than the ±2% searched above
		// (two windows' reopenings fit many lengths, e.g. 60 s and 86 s alike), so the
		// length the whole series needs may lie outside it. Scan the whole afresh too and
		// keep the better fit.
		if g := fitFW(s); better(&g, &f) {
			f = g
		}
	}
	return f
}

// fwSearch scores window lengths within ±width of each candidate (the coarse scan's when
// cands is nil), then within ±fine of the best, and widens the interval from it. The boundary
// intervals depend on the quota (fwIntervals), read from the first burst; but a burst from
// rest that straddles a boundary takes up to two windows' quota (77 for 50 per 5 s), so the
// typical run of admissions between refusals is tried as the quota too, and the better fit
// kept. A quota the headers state is tried too, and kept when it explains the attempts as
// well: a window another client shares admits fewer than its quota.
func fwSearch(s *series, cands []float64, width, fine float64) fit {
	q0 := int(firstBurst(s) + s.pre)
	f := fwSearchQ(s, cands, width, fine, q0)
	if q1 := typicalRun(s); q1 > 0 && q1 != q0 {
		if g := fwSearchQ(s, cands, width, fine, q1); better(&g, &f) {
			f = g
		}
	}
	if hq := int(s.hdrQ); hq > 0 && f.q != s.hdrQ && hq != q0 {
		if g := fwSearchQ(s, cands, width, fine, hq); g.q == s.hdrQ && g.m <= f.m {
			f = g
		}
	}
	return f
}

// typicalRun is the median number of units admitted in a row between two refusals (0 when no
// run is bounded by refusals on both sides): a fixed window's quota when attempts come faster
// than it admits.
func typicalRun(s *series) int {
	var runs []float64
	n, open := 0.0, false
	for i := range s.t {
		switch {
		case s.acc[i]:
			n += s.chgCost(i)
		case open && n > 0:
			runs = append(runs, n)
			n = 0
		default:
			open, n = true, 0
		}
	}
	if len(runs) == 0 {
		return 0
	}
	slices.Sort(runs)
	return int(runs[len(runs)/2])
}

// fwSearchQ is fwSearch with the boundary intervals of a quota of q0.
func fwSearchQ(s *series, cands []float64, width, fine float64, q0 int) fit {
	f := fit{model: "fw", n: s.len()}
	if len(reopenings(s)) == 0 {
		return f
	}
	ro := narrowest(fwIntervals(s, q0), 300)
	if cands == nil {
		cands = windowCandidates(s, ro)
	}
	if len(cands) == 0 {
		return f
	}
	type par struct{ w, phi, q float64 }
	// A window length is scored at the best of a few phases inside the stretch the reopenings
	// allow, and of the quotas around what the full windows held.
	eval := func(w float64) (int, par) {
		a, b := phaseRange(ro, w)
		q := quotaFor(s, w, (a+b)/2)
		best, bp := math.MaxInt, par{w, (a + b) / 2, q}
		qs := []float64{q, q - 1, q + 1}
		if s.hdrQ > 0 && !slices.Contains(qs, s.hdrQ) {
			qs = append(qs, s.hdrQ)
		}
		for _, phi := range spread(a, b, 5) {
			for _, qq := range qs {
				if qq < 1 {
					continue
				}
				if m := fwMismatch(s, qq, w, phi); m < best || (m == best && qq == s.hdrQ && bp.q != s.hdrQ) {
					best, bp = m, par{w, phi, qq}
				}
			}
		}
		return best, bp
	}
	bestM, best := math.MaxInt, par{}
	for _, c := range cands {
		for k := -width; k <= width+eps; k += width / 15 {
			if m, p := eval(c * (1 + k)); m < bestM || (m == bestM && p.q == s.hdrQ && best.q != s.hdrQ) {
				bestM, best = m, p
			}
		}
	}
	w0 := best.w
	for k := -fine; k <= fine+eps; k += fine / 40 {
		if m, p := eval(w0 * (1 + k)); m < bestM || (m == bestM && p.q == s.hdrQ && best.q != s.hdrQ) {
			bestM, best = m, p
		}
	}
	f.m, f.phi, f.q, f.burst = bestM, best.phi, best.q, best.q
	within := func(limit int) func(float64) bool {
		return func(w float64) bool {
			for _, phi := range phases(ro, w, 5) {
				if fwMismatch(s, best.q, w, phi) <= limit {
					return true
				}
			}
			return false
		}
	}
	swlo, swhi := widen(best.w, within(bestM))
	f.window = midRate(best.w, swlo, swhi)
	f.rate = best.q / f.window
	wlo, whi := widen(best.w, within(bestM+seriesTolerance(s)))
	f.lo, f.hi = rateRange(best.q, wlo, whi)
	f.ok = len(reopenings(s)) >= 2 && f.lo > 0 && !math.IsInf(f.hi, 1)
	return f
}

// rateRange turns a window interval into a rate interval q/w.
func rateRange(q, wlo, whi float64) (lo, hi float64) {
	lo = 0
	if !math.IsInf(whi, 1) {
		lo = q / whi
	}
	hi = math.Inf(1)
	if wlo > 0 {
		hi = q / wlo
	}
	return lo, hi
}

// fitSL fits a sliding log (q units in any window of w seconds) exactly: for each candidate q
// near q0, every attempt's gap g (see slGaps) must satisfy g ≥ w if it was admitted and g < w
// if it was refused, so the mismatches are a step function of w and one sweep over the sorted
// gaps finds the best w and the interval where the mismatches stay within the tolerance.
func fitSL(s *series, q0 float64, cr bool) fit {
	f := fit{model: "sl", cr: cr, n: s.len()}
	if s.adm != nil || s.chg != nil || s.len() == 0 || q0 < 1 {
		return f
	}
	tol := seriesTolerance(s)
	var gaps []float64
	type mark struct {
		g   float64
		acc bool
	}
	marks := make([]mark, 0, s.len())
	bestM := math.MaxInt
	for dq := -2; dq <= 2; dq++ {
		q := int(q0) + dq
		if q < 1 {
			continue
		}
		gaps = slGaps(s, q, cr, gaps)
		marks = marks[:0]
		always := 0 // refusals with fewer than q units before them: no w explains them
		rejFinite := 0
		for i, g := range gaps {
			if s.acc[i] {
				g += s.window(i) // decided at most a latency after it was sent
			}
			switch {
			case math.IsInf(g, 1) && !s.acc[i]:
				always++
			case math.IsInf(g, 1):
			default:
				marks = append(marks, mark{g, s.acc[i]})
				if !s.acc[i] {
					rejFinite++
				}
			}
		}
		if len(marks) == 0 {
			continue
		}
		slices.SortFunc(marks, func(a, b mark) int { return cmp.Compare(a.g, b.g) })
		// For w in (g_k, g_{k+1}]: refusals with g ≥ w mispredicted (those at index > k, as g
		// ties are handled by grouping), admissions with g < w mispredicted (index ≤ k).
		type span struct {
			lo, hi float64
			m      int
		}
		var spans []span
		accBelow, rejAbove := 0, rejFinite
		prev := 0.0
		for k := 0; k <= len(marks); {
			var next float64
			if k < len(marks) {
				next = marks[k].g
			} else {
				next = math.Inf(1)
			}
			if next > prev {
				spans = append(spans, span{prev, next, always + accBelow + rejAbove})
			}
			if k == len(marks) {
				break
			}
			// Move every mark at g = next below w.
			for k < len(marks) && marks[k].g == next {
				if marks[k].acc {
					accBelow++
				} else {
					rejAbove--
				}
				k++
			}
			prev = next
		}
		m := math.MaxInt
		for _, sp := range spans {
			m = min(m, sp.m)
		}
		if m > bestM || (m == bestM && math.Abs(float64(q)-q0) >= math.Abs(f.q-q0)) {
			continue
		}
		bestM = m
		// The best span, widened over its neighbours while they stay within the tolerance.
		bi := 0
		for i, sp := range spans {
			if sp.m == m {
				bi = i
				break
			}
		}
		bs := spans[bi]
		wlo, whi := bs.lo, bs.hi
		for i := bi - 1; i >= 0 && spans[i].m <= m+tol; i-- {
			wlo = spans[i].lo
		}
		for i := bi + 1; i < len(spans) && spans[i].m <= m+tol; i++ {
			whi = spans[i].hi
		}
		w := bs.hi
		if !math.IsInf(bs.hi, 1) && bs.lo > 0 {
			// The middle of the best span, in rate: q/w between q/hi and q/lo.
			w = 2 / (1/bs.lo + 1/bs.hi)
		}
		f.m, f.q, f.burst, f.window = m, float64(q), float64(q), w
		f.rate = float64(q) / w
		f.lo, f.hi = rateRange(float64(q), wlo, whi)
		f.ok = f.lo > 0 && !math.IsInf(f.hi, 1) && !math.IsInf(w, 1)
	}
	return f
}
