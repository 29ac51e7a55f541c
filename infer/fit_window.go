package infer

import (
	"cmp"
	"math"
	"slices"
)

// reopening is an interval (lo, hi] that must hold a window boundary.
type reopening struct{ lo, hi float64 }

// reopenings returns the admitted attempts right after a refused one: a window boundary (or
// an expiry) lies between the refusal and the admission.
func reopenings(s *series) []reopening {
	var out []reopening
	for i := 1; i < s.len(); i++ {
		if s.acc[i] && !s.acc[i-1] {
			out = append(out, reopening{s.t[i-1], s.t[i]})
		}
	}
	return out
}

// fwIntervals returns the intervals that must hold a boundary of a fixed window of q units:
// the reopenings, and for each refusal right after an admission (the window just filled), the
// gap between the (q+1)-th and the q-th most recent admissions before it, since the window
// holds exactly the last q. The second kind is narrow wherever attempts came steadily, so it
// places boundaries even when the reopenings were found by sparse probes. Unit costs only.
func fwIntervals(s *series, q int) []reopening {
	out := reopenings(s)
	if s.adm != nil || s.chg != nil || q < 1 {
		return out
	}
	var admitted []float64
	for i := range s.t {
		if s.acc[i] {
			admitted = append(admitted, s.t[i])
			continue
		}
		if i == 0 || !s.acc[i-1] {
			continue
		}
		if n := len(admitted); n > q {
			out = append(out, reopening{admitted[n-q-1], admitted[n-q]})
		}
	}
	return out
}

// quietIntervals returns the gaps between two refusals in a row: a fixed window cannot have a
// boundary there (the attempt right after a boundary finds an empty window).
func quietIntervals(s *series) []reopening {
	var out []reopening
	for i := 1; i < s.len(); i++ {
		if !s.acc[i] && !s.acc[i-1] {
			out = append(out, reopening{s.t[i-1], s.t[i]})
		}
	}
	return out
}

// narrowest keeps the n narrowest intervals (in time order): they place boundaries best, and
// the phase search sorts them for every window length tried.
func narrowest(ro []reopening, n int) []reopening {
	if len(ro) <= n {
		return ro
	}
	idx := make([]int, len(ro))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ro[a].hi-ro[a].lo, ro[b].hi-ro[b].lo) })
	idx = idx[:n]
	slices.Sort(idx)
	out := make([]reopening, n)
	for i, j := range idx {
		out[i] = ro[j]
	}
	return out
}

// windowCandidates proposes window lengths for a fixed window: a coarse scan of lengths from
// 50 ms to the span of the data, 1% apart, each scored (cheaply, without replay) by how many
// boundary intervals ro the best phase leaves empty plus how many quiet intervals it puts a
// boundary in (short windows cover any interval and are caught by the second count); the
// best few distinct lengths by replay are returned for refinement.
func windowCandidates(s *series, ro []reopening) []float64 {
	if len(ro) == 0 || s.len() < 2 {
		return nil
	}
	quiet := narrowest(quietIntervals(s), 300)
	ro = narrowest(ro, 100)
	span := s.t[s.len()-1] - s.t[0]
	type scored struct {
		w      float64
		missed int
	}
	var all []scored
	for w := 0.05; w <= math.Max(span, 0.1); w *= 1.01 {
		a, b := phaseRange(ro, w)
		phi := (a + b) / 2
		all = append(all, scored{w, len(ro) - coverage(ro, w, phi) + coverage(quiet, w, phi)})
	}
	// Fewest missed first; the best 40 distinct lengths are then replayed (at the middle
	// phase and the full windows' quota) and the best six by mismatches returned.
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(a.missed, b.missed) })
	type replayed struct {
		w float64
		m int
	}
	var top []replayed
	for _, c := range all {
		if len(top) == 40 {
			break
		}
		near := false
		for _, t := range top {
			if math.Abs(c.w-t.w) < 0.02*t.w {
				near = true
			}
		}
		if near {
			continue
		}
		phi := phaseFor(ro, c.w)
		q := quotaFor(s, c.w, phi)
		top = append(top, replayed{c.w, fwMismatch(s, q, c.w, phi)})
	}
	slices.SortStableFunc(top, func(a, b replayed) int { return cmp.Compare(a.m, b.m) })
	var out []float64
	for _, t := range top[:min(6, len(top))] {
		out = append(out, t.w)
	}
	return out
}

// coverage counts the intervals that hold a boundary φ + k·w.
func coverage(ro []reopening, w, phi float64) int {
	n := 0
	for _, r := range ro {
		k := math.Ceil((r.lo - phi) / w)
		if b := phi + k*w; b > r.lo && b <= r.hi {
			n++
		} else if b := phi + (k+1)*w; b > r.lo && b <= r.hi {
			n++
		}
	}
	return n
}

// phaseFor returns the middle of phaseRange.
func phaseFor(ro []reopening, w float64) float64 {
	a, b := phaseRange(ro, w)
	return (a + b) / 2
}

// phases returns n phases spread over phaseRange.
func phases(ro []reopening, w float64, n int) []float64 {
	a, b := phaseRange(ro, w)
	return spread(a, b, n)
}

// spread returns n points spread evenly over [a, b].
func spread(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = a + (b-a)*(float64(k)+0.5)/float64(n)
	}
	return out
}

// phaseRange returns the stretch of window phases in [0, w) covered by the most reopening
// intervals (each must hold a boundary φ + k·w).
func phaseRange(ro []reopening, w float64) (float64, float64) {
	type edge struct {
		x     float64
		delta int
	}
	var edges []edge
	base := 0
	for _, r := range ro {
		if r.hi-r.lo >= w {
			base++
			continue
		}
		a, b := mod(r.lo, w), mod(r.hi, w)
		if a < b {
			edges = append(edges, edge{a, 1}, edge{b, -1})
		} else { // wraps around
			base++
			edges = append(edges, edge{b, -1}, edge{a, 1})
		}
	}
	slices.SortFunc(edges, func(x, y edge) int { return cmp.Or(cmp.Compare(x.x, y.x), cmp.Compare(x.delta, y.delta)) })
	best, bestStart, bestEnd := base, 0.0, w
	cov, prev := base, 0.0
	for _, e := range edges {
		if cov > best {
			best, bestStart, bestEnd = cov, prev, e.x
		}
		cov += e.delta
		prev = e.x
	}
	if cov > best {
		bestStart, bestEnd = prev, w
	}
	return bestStart, bestEnd
}

func mod(x, w float64) float64 {
	m := math.Mod(x, w)
	if m < 0 {
		m += w
	}
	return m
}

// quotaFor estimates the quota per window of a fixed window at (w, φ): the most frequent
// admitted count among windows that refused something (a full window), else the largest count.
func quotaFor(s *series, w, phi float64) float64 {
	counts := map[float64]float64{}
	full := map[float64]bool{}
	var keys []float64
	for i, t := range s.t {
		k := math.Floor((t - phi) / w)
		if _, ok := counts[k]; !ok {
			keys = append(keys, k)
			counts[k] = 0
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
// kept.
func fwSearch(s *series, cands []float64, width, fine float64) fit {
	q0 := int(firstBurst(s))
	f := fwSearchQ(s, cands, width, fine, q0)
	if q1 := typicalRun(s); q1 > 0 && q1 != q0 {
		if g := fwSearchQ(s, cands, width, fine, q1); better(&g, &f) {
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
		for _, phi := range spread(a, b, 5) {
			for _, qq := range []float64{q, q - 1, q + 1} {
				if qq < 1 {
					continue
				}
				if m := fwMismatch(s, qq, w, phi); m < best {
					best, bp = m, par{w, phi, qq}
				}
			}
		}
		return best, bp
	}
	bestM, best := math.MaxInt, par{}
	for _, c := range cands {
		for k := -width; k <= width+eps; k += width / 15 {
			if m, p := eval(c * (1 + k)); m < bestM {
				bestM, best = m, p
			}
		}
	}
	w0 := best.w
	for k := -fine; k <= fine+eps; k += fine / 40 {
		if m, p := eval(w0 * (1 + k)); m < bestM {
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
