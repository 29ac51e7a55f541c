package infer

import (
	"cmp"
	"math"
	"slices"
)

// The counter's boundary phase, found exactly for a given window length.
//
// For a window length w and a phase φ (windows [φ + k·w, φ + (k+1)·w)), every attempt falls in
// one window k and meets the counts prev and curr there. While φ moves without carrying a
// boundary across an attempt, those stay the same (the phase's cell), and an attempt at t
// passes iff the previous window's share, prev·(w − e)/w with e = t − φ − k·w, counted as the
// rounding says, is at most T = q − curr − cost: for floor iff prev·(w − e)/w < T + 1, i.e.
//
//	φ < θ = t − k·w − w·(1 − (T + 1)/prev)        (half up: T + ½; fractional: T, and φ ≤ θ)
//
// So within a cell each attempt's prediction flips at one threshold θ, and the mispredictions
// as a function of φ are counted by one sweep over the sorted thresholds. The search moves from
// cell to neighbouring cell while that lowers the count: the good phases of a long series form
// a band far thinner than any grid of positions could be sure to hit.

// swPhaseScratch holds a phase search's buffers.
type swPhaseScratch struct {
	steps []phaseStep
}

// phaseStep is a change of the misprediction count at phase x (d = +1 or −1).
type phaseStep struct {
	x float64
	d int
}

// swCell scores the cell of phase phi for a counter (q, w, cr, rd): the least mispredictions
// over the cell (a, b] and the widest stretch [lo, hi) of phases that reach it.
//
//go:norace
//go:nocheckptr
func (sc *swPhaseScratch) swCell(s *series, q, w, phi float64, cr bool, rd uint8) (m int, lo, hi, a, b float64) {
	// The infinities once: math.Inf is an unsafe conversion that -race checks at every call.
	inf := math.Inf(1)
	a, b = -inf, inf
	sc.steps = sc.steps[:0]
	base := 0 // mispredictions for a phase below every threshold
	prev, curr := 0.0, 0.0
	half := roundingHalf(rd)
	if s.len() == 0 {
		return 0, a, b, a, b
	}
	// The window holding t is [phi + kw, phi + kw + w), followed rather than recomputed.
	kw := math.Floor((s.t[0]-phi)/w) * w
	for i, t := range s.t {
		if t >= phi+kw+w {
			if t < phi+kw+2*w {
				prev, kw = curr, kw+w
			} else {
				prev, kw = 0, math.Floor((t-phi)/w)*w
			}
			curr = 0
		}
		if x := t - kw - w; x > a {
			a = x
		}
		if x := t - kw; x < b {
			b = x
		}
		T := q - curr - s.admCost(i)
		theta := inf // passes for φ < θ
		switch {
		case T < -eps:
			theta = -inf
		case prev > 0:
			theta = t - kw - w*(1-(T+half)/prev)
		}
		if s.acc[i] {
			// Mispredicted for φ ≥ θ (decided up to a latency later, the share is smaller).
			th := theta + s.window(i)
			switch {
			case math.IsInf(th, -1):
				base++
			case !math.IsInf(th, 1):
				sc.steps = append(sc.steps, phaseStep{th, +1})
			}
			curr += s.chgCost(i)
			continue
		}
		// Refused: mispredicted for φ < θ.
		switch {
		case math.IsInf(theta, 1):
			base++
		case !math.IsInf(theta, -1):
			base++
			sc.steps = append(sc.steps, phaseStep{theta, -1})
		}
		if cr {
			curr += s.rejChg
		}
	}
	// Steps at or below a apply throughout the cell; only those inside it (few: cells are
	// narrow) need sorting.
	cnt, in := base, sc.steps[:0]
	for _, st := range sc.steps {
		switch {
		case st.x <= a:
			cnt += st.d
		case st.x <= b:
			in = append(in, st)
		}
	}
	slices.SortFunc(in, func(x, y phaseStep) int { return cmp.Compare(x.x, y.x) })
	m, lo, hi = math.MaxInt, a, b
	start := a
	consider := func(end float64) {
		if end > start && (cnt < m || (cnt == m && end-start > hi-lo)) {
			m, lo, hi = cnt, start, end
		}
	}
	for _, st := range in {
		consider(st.x)
		cnt += st.d
		start = math.Max(start, st.x)
	}
	consider(b)
	if m == math.MaxInt {
		m = cnt
	}
	return m, lo, hi, a, b
}

// swPhase finds the best phase for a counter (q, w, cr, rd) within ±reach of phi: it walks
// every cell there, keeping the middle of the best stretch, so that it finds the good phases
// of a rugged landscape (a thin band of them between cells that mispredict more) that a
// descent would stop short of. It returns the phase and its mispredictions by replay.
func (sc *swPhaseScratch) swPhase(s *series, q, w, phi, reach float64, cr bool, rd uint8) (float64, int) {
	bestP, bestM := phi, swMismatch(s, q, w, phi, cr, rd)
	const step = 1e-9 // past a cell's edge into the next one (seconds)
	for p, cells := phi-reach, 0; p <= phi+reach && cells < 400; cells++ {
		m, lo, hi, _, b := sc.swCell(s, q, w, p, cr, rd)
		if m < bestM {
			c := (lo + hi) / 2
			if got := swMismatch(s, q, w, c, cr, rd); got < bestM {
				bestP, bestM = c, got
			}
		}
		if math.IsInf(b, 1) {
			break
		}
		p = math.Max(b, p) + step
	}
	return bestP, bestM
}

// swReach is how far around a phase swPhase walks for a counter of quota q per w: the time
// the previous window's share of a full window takes to drop by three units.
func swReach(q, w float64) float64 { return 3 * w / math.Max(q, 1) }

// The counter's window length, bounded exactly.
//
// With every attempt's window fixed (the assignment at a fit), each attempt's membership and
// prediction are linear in (φ, w): φ + k·w ≤ t < φ + (k+1)·w, and, with
// g = k + 1 − (T + ½ or 1 or 0)/prev, the attempt passes iff φ + g·w < t (a latency later for an
// admission). The parameters that keep the assignment and predict every attempt the fit predicts
// form a convex polygon, and its shadow on w is an interval: for a given w, φ must lie between
// the largest lower bound and the smallest upper bound, a convex and a concave function of w.

// linCon is the constraint φ + a·w ≥ b (lower) or φ + a·w ≤ b (upper).
type linCon struct {
	a, b  float64
	lower bool
}

// swConstraints returns the constraints that keep the assignment of the fit (q, w, phi, cr, rd)
// and every prediction it gets right, and how many it gets wrong.
func swConstraints(s *series, q, w, phi float64, cr bool, rd uint8, out []linCon) ([]linCon, int) {
	out = out[:0]
	half := roundingHalf(rd)
	win, m := newCounterWalk(w, phi), 0
	for i, t := range s.t {
		k := win.at(t)
		out = append(out, linCon{a: k, b: t}, linCon{a: k + 1, b: t, lower: true})
		T := q - win.curr - s.admCost(i)
		elapsed := t - phi - k*w
		pass := swShare(win.prev, w, elapsed, rd)+win.curr+s.admCost(i) <= q+eps
		depends := T >= -eps && win.prev > 0
		if s.acc[i] {
			if !pass && !swPassesLater(win.prev, win.curr, q, s.admCost(i), w, elapsed+s.window(i), rd) {
				m++
			} else if depends {
				out = append(out, linCon{a: k + 1 - (T+half)/win.prev, b: t + s.window(i)})
			}
			win.curr += s.chgCost(i)
			continue
		}
		if pass {
			m++
		} else if depends {
			out = append(out, linCon{a: k + 1 - (T+half)/win.prev, b: t, lower: true})
		}
		if cr {
			win.curr += s.rejChg
		}
	}
	return out, m
}

// phaseBounds returns the largest lower and the smallest upper bound the constraints put on φ
// at window length w.
//
//go:norace
//go:nocheckptr
func phaseBounds(cons []linCon, w float64) (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	for _, c := range cons {
		v := c.b - c.a*w
		if c.lower {
			lo = math.Max(lo, v)
		} else {
			hi = math.Min(hi, v)
		}
	}
	return lo, hi
}

// lengthRange returns the interval of window lengths around w0 at which the constraints leave
// some phase (w0 itself must), to a relative 1e-7, no further than a factor of 2 either way.
func lengthRange(cons []linCon, w0 float64) (wlo, whi float64) {
	ok := func(w float64) bool {
		lo, hi := phaseBounds(cons, w)
		return lo <= hi+1e-9
	}
	edge := func(dir float64) float64 {
		good, step := w0, 1e-6
		bad := math.NaN()
		for step < 1 {
			w := w0 * (1 + dir*step)
			if !ok(w) {
				bad = w
				break
			}
			good, step = w, step*2
		}
		if math.IsNaN(bad) {
			return good
		}
		return bisectEdge(good, bad, ok, 40, 1e-7*w0)
	}
	return edge(-1), edge(1)
}

// swPolish improves a counter fit (q, w, phi, cr, rd) with the exact phase search and the
// polygon of parameters that predict what it predicts: while the middle of the polygon's
// length interval, at the middle of its phases, mispredicts fewer attempts, move there. It
// returns the fit's length, phase and mispredictions.
func (sc *swPhaseScratch) swPolish(s *series, q, w, phi float64, cr bool, rd uint8) (float64, float64, int) {
	phi, m := sc.swPhase(s, q, w, phi, swReach(q, w), cr, rd)
	// Lengths around, 0.02% apart within ±0.3% (finer than the grid before), each at its best
	// phase near the boundary nearest the middle of the data, which moves least with w.
	mid := (s.t[0] + s.t[s.len()-1]) / 2
	kmid := math.Round((mid - phi) / w)
	w0, tref := w, phi+kmid*w
	for k := -15; k <= 15; k++ {
		wn := w0 * (1 + 0.0002*float64(k))
		if pn, mn := sc.swPhase(s, q, wn, tref-kmid*wn, w/math.Max(q, 1), cr, rd); mn < m {
			w, phi, m = wn, pn, mn
		}
	}
	// The reopenings' line, while it lowers the count.
	for range 4 {
		wn, pn, ok := swReopenFit(s, q, w, phi, cr, rd)
		if !ok {
			break
		}
		pn, mn := sc.swPhase(s, q, wn, pn, swReach(q, wn), cr, rd)
		if mn >= m {
			break
		}
		w, phi, m = wn, pn, mn
	}
	var cons []linCon
	for range 4 {
		cons, _ = swConstraints(s, q, w, phi, cr, rd, cons)
		wlo, whi := lengthRange(cons, w)
		wm := (wlo + whi) / 2
		lo, hi := phaseBounds(cons, wm)
		if lo > hi {
			break
		}
		pm := (lo + hi) / 2
		if mm := swMismatch(s, q, wm, pm, cr, rd); mm <= m && (wm != w || pm != phi) {
			improved := mm < m
			w, phi, m = wm, pm, mm
			if !improved {
				break // centred in the polygon
			}
			continue
		}
		break
	}
	return w, phi, m
}

// swLengths returns the interval of window lengths at which a counter (q, cr, rd) mispredicts
// at most limit attempts, from a fit (w, phi) that does: the polygon of the fit's assignment
// and predictions, then, past each end, the neighbouring assignments while the exact phase
// search finds one within the limit there (at most 6 each way).
func (sc *swPhaseScratch) swLengths(s *series, q, w, phi float64, cr bool, rd uint8, limit int) (wlo, whi float64) {
	cons0, _ := swConstraints(s, q, w, phi, cr, rd, nil)
	wlo, whi = lengthRange(cons0, w)
	var cons []linCon
	for _, dir := range []float64{-1, 1} {
		cons = append(cons[:0], cons0...)
		e := wlo
		if dir > 0 {
			e = whi
		}
		for range 6 {
			// Just past the edge, at the phase the polygon's bounds meet.
			wn := e * (1 + dir*2e-7)
			lo, hi := phaseBounds(cons, e)
			p0 := (lo + hi) / 2
			if math.IsInf(p0, 0) || math.IsNaN(p0) {
				break
			}
			p, m := sc.swPhase(s, q, wn, p0, swReach(q, w), cr, rd)
			if m > limit {
				break
			}
			cons, _ = swConstraints(s, q, wn, p, cr, rd, cons)
			l, h := lengthRange(cons, wn)
			ne := l
			if dir > 0 {
				ne = h
			}
			if dir*(ne-e) <= 0 {
				break
			}
			e = ne
		}
		if dir < 0 {
			wlo = e
		} else {
			whi = e
		}
	}
	return wlo, whi
}

// swReopenFit re-estimates a counter's window length and phase from its reopenings, given an
// approximate fit (q, w, phi, cr, rd): under the fit's assignment, every admission that follows
// a refusal is where the previous window's share dropped below the room left, at
// φ + g·w with g = k + 1 − (T + ½ or 1 or 0)/prev, somewhere between the refusal and the
// admission. A straight line through those intervals against g gives w as its slope and φ as
// its intercept, however far
// apart the windows: no grid to miss a thin band. ok is false with fewer than three
// reopenings or when no line meets nine tenths of them.
func swReopenFit(s *series, q, w, phi float64, cr bool, rd uint8) (float64, float64, bool) {
	half := roundingHalf(rd)
	type obs struct{ g, lo, hi float64 }
	var os []obs
	win := newCounterWalk(w, phi)
	lastRefused := math.NaN()
	for i, t := range s.t {
		k := win.at(t)
		if !s.acc[i] {
			lastRefused = t
			if cr {
				win.curr += s.rejChg
			}
			continue
		}
		T := q - win.curr - s.admCost(i)
		if !math.IsNaN(lastRefused) && win.prev > 0 && T >= -eps && T+half < win.prev {
			os = append(os, obs{k + 1 - (T+half)/win.prev, lastRefused, t + s.window(i)})
		}
		lastRefused = math.NaN()
		win.curr += s.chgCost(i)
	}
	// The lengths and phases that put every reopening's instant inside its interval: at length
	// v the phase must lie between max(lo − g·v) and min(hi − g·v), whose difference D(v) is
	// concave; its peak, found by ternary search, is the most central length. While D stays
	// negative there, the two reopenings that bound it disagree and one of them was assigned a
	// wrong window by the approximate fit: both are dropped (at most a tenth of them).
	if len(os) < 3 {
		return w, phi, false
	}
	keep := make([]bool, len(os))
	for i := range keep {
		keep[i] = true
	}
	bounds := func(v float64) (lo, hi float64, jl, jh int) {
		lo, hi = math.Inf(-1), math.Inf(1)
		for j, o := range os {
			if !keep[j] {
				continue
			}
			if x := o.lo - o.g*v; x > lo {
				lo, jl = x, j
			}
			if x := o.hi - o.g*v; x < hi {
				hi, jh = x, j
			}
		}
		return lo, hi, jl, jh
	}
	slope, icpt := w, phi
	for drops := 0; ; drops += 2 {
		a, b := 0.8*w, 1.2*w
		for range 100 {
			m1, m2 := a+(b-a)/3, b-(b-a)/3
			l1, h1, _, _ := bounds(m1)
			l2, h2, _, _ := bounds(m2)
			if h1-l1 < h2-l2 {
				a = m1
			} else {
				b = m2
			}
		}
		slope = (a + b) / 2
		lo, hi, jl, jh := bounds(slope)
		icpt = (lo + hi) / 2
		if lo <= hi {
			break
		}
		if drops+2 > len(os)/10 {
			return w, phi, false
		}
		keep[jl], keep[jh] = false, false
	}
	if slope <= 0 || math.Abs(slope/w-1) > 0.2 {
		return w, phi, false
	}
	return slope, icpt, true
}
