package infer

import (
	"math"
)

// fit is a limiter model fitted to a series: its parameters, how many attempts it mispredicts,
// and the interval of sustained rates that mispredict no more than the best plus a tolerance.
type fit struct {
	model  string // tb, fw, fr, sl, sw, sr
	cr     bool   // refused attempts consume quota
	m      int    // mismatches at the best parameters
	n      int    // attempts scored
	ok     bool   // the data determine the rate (a finite, positive interval)
	rate   float64
	lo, hi float64 // sustained rate interval, per second
	burst  float64 // admitted at once from rest (bucket capacity, or the window's quota)
	window float64 // window length (window models), seconds
	phi    float64 // window phase (fixed window, counter), seconds
	q      float64 // quota per window (window models)
	rd     uint8   // the counter's rounding of the previous window's share (sw)
}

// tolerance is how many mispredictions an interval may add to the best fit's: none for small
// series, a few per thousand attempts for larger ones (servers see near-simultaneous attempts
// in a slightly different order than they were sent). Only attempts near refusals can be
// mispredicted that way, so the count is capped at ten per refusal.
func tolerance(n, refused int) int { return int(0.003 * float64(min(n, 10*refused))) }

// seriesTolerance is tolerance for a series.
func seriesTolerance(s *series) int {
	refused := 0
	for _, a := range s.acc {
		if !a {
			refused++
		}
	}
	return tolerance(s.attempts(), refused)
}

// seriesStats are the figures every fit starts from.
type seriesStats struct {
	t0, span   float64
	charged    float64 // units taken by admitted attempts
	firstRej   int     // index of the first refusal, −1 when none
	chargedPre float64 // units taken before the first refusal
	rejections int
	maxAdm     float64
}

func statsOf(s *series) seriesStats {
	st := seriesStats{firstRej: -1}
	if s.len() == 0 {
		return st
	}
	st.t0 = s.t[0]
	st.span = s.t[s.len()-1] - s.t[0]
	for i := range s.t {
		st.maxAdm = math.Max(st.maxAdm, s.admCost(i))
		if s.acc[i] {
			st.charged += s.chgCost(i)
			if st.firstRej < 0 {
				st.chargedPre += s.chgCost(i)
			}
			continue
		}
		st.rejections++
		if st.firstRej < 0 {
			st.firstRej = i
		}
	}
	return st
}

// tbSearch fits a token bucket (rate r, capacity b) by replay. From rest the bucket holds b at
// the first attempt, so at the first refusal (time t₁, after C₁ units were taken):
//
//	0 ≤ b + r·(t₁ − t₀) − C₁ < a₁  ⇒  b ∈ [C₁ − r·(t₁−t₀), C₁ − r·(t₁−t₀) + a₁)
//
// (a₁ the refused attempt's admission cost), which ties b to r unless the bucket overflowed
// before t₁.
type tbSearch struct {
	s      *series
	cr     bool
	unit   bool
	st     seriesStats
	t1, a1 float64
	minB   float64
	// overflow: the bucket, full at the first attempt, overflows wherever units are taken
	// slower than it refills before the first refusal (a warm-up or rest before the first
	// burst, output charged as generated); the bracket then follows the overflow (see spill).
	overflow bool
}

func newTBSearch(s *series, cr bool) (*tbSearch, bool) {
	st := statsOf(s)
	if st.firstRej < 0 || st.span <= 0 {
		return nil, false
	}
	return &tbSearch{s: s, cr: cr, unit: s.adm == nil && s.chg == nil, st: st,
		t1: s.t[st.firstRej], a1: s.admCost(st.firstRej), minB: math.Max(st.maxAdm, 1), overflow: true}, true
}

func (q *tbSearch) eval(r, b float64) int { return tbMismatch(q.s, r, b, q.cr) }

// spill is what a full bucket refilling at r lost to overflow before entry n (≤ 0, 0 unless
// q.overflow): with D(t) the units taken before t less r·(t − t₀), the bucket holds
// b − (D(t) − min D) (a deficit reflected at full), and min D, reached just before a charge, is
// what spilled.
func (q *tbSearch) spill(r float64, n int) float64 {
	if !q.overflow {
		return 0
	}
	low, taken := 0.0, 0.0
	for j := 0; j < n; j++ {
		low = math.Min(low, taken-r*(q.s.t[j]-q.st.t0))
		taken += q.s.chgCost(j)
	}
	return low
}

// bFor is the capacity the first refusal allows at rate r (whole units), or its middle.
func (q *tbSearch) bFor(r float64) float64 {
	b := q.st.chargedPre - r*(q.t1-q.st.t0) - q.spill(r, q.st.firstRej)
	if q.unit {
		b = math.Ceil(b - eps)
	} else {
		b += q.a1 / 2
	}
	return math.Max(b, q.minB)
}

// bSpread lists capacities to try at rate r: for whole units the one the first refusal
// allows and its neighbours; otherwise points across the bracket the admissions before the
// first refusal leave, b ≥ Cⱼ + aⱼ − r·(tⱼ − t₀) for each of them (it found its admission
// cost), b < C₁ + a₁ − r·(t₁ − t₀): with output charged after admission (a = 0) it is as wide
// as one request's output.
func (q *tbSearch) bSpread(r float64) []float64 {
	return q.bSpreadN(r, 5)
}

// bSpreadN is bSpread with n capacities across the bracket (its ends included when n > 5).
func (q *tbSearch) bSpreadN(r float64, n int) []float64 {
	if q.unit {
		return bNear(q.bFor(r), q.bFor(r), q.unit, q.minB)
	}
	hi := q.st.chargedPre + q.a1 - r*(q.t1-q.st.t0) - q.spill(r, q.st.firstRej)
	lo, taken, low := q.minB, 0.0, 0.0
	for j := 0; j < q.st.firstRej; j++ {
		if q.overflow {
			low = math.Min(low, taken-r*(q.s.t[j]-q.st.t0))
		}
		// Found its admission cost when decided, up to its decision window after sending.
		lo = math.Max(lo, taken+q.s.admCost(j)-r*(q.s.t[j]+q.s.window(j)-q.st.t0)-low)
		taken += q.s.chgCost(j)
	}
	if hi <= lo {
		return []float64{math.Max(lo, q.minB)}
	}
	out := make([]float64, 0, n)
	if n <= 5 {
		for _, u := range []float64{0.1, 0.3, 0.5, 0.7, 0.9} {
			out = append(out, lo+u*(hi-lo))
		}
		return out
	}
	for k := range n {
		out = append(out, lo+(hi-lo)*float64(k)/float64(n-1)*(1-1e-9))
	}
	return out
}

// fitTB fits a token bucket from scratch: a coarse grid of r, 0.5% apart over a wide range
// around two references, the mean admitted throughput and the throughput after the first
// refusal (the first is dominated by the burst when the bucket is large, the second by rests
// when discovery paused), scored by mismatches, ties broken by the size of the violations
// (smooth in r), then the local search of finish.
func fitTB(s *series, cr bool) fit {
	q, ok := newTBSearch(s, cr)
	if !ok {
		return fit{model: "tb", cr: cr, n: s.len()}
	}
	st := q.st
	ref1 := math.Max(st.charged, 1) / st.span
	ref2 := ref1
	if after := st.span - (q.t1 - st.t0); after > 0 {
		ref2 = math.Max(st.charged-st.chargedPre, 1) / after
	}
	rLo, rHi := 0.05*math.Min(ref1, ref2), 50*math.Max(ref1, ref2)
	bestR, bestB, bestM := ref1, q.bFor(ref1), math.MaxInt
	bestV := math.Inf(1)
	for r := rLo; r <= rHi; r *= 1.005 {
		for _, b := range q.bSpread(r) {
			if m, v := tbViolation(s, r, b, cr); m < bestM || (m == bestM && v < bestV) {
				bestR, bestB, bestM, bestV = r, b, m, v
			}
		}
	}
	return q.finish(bestR, bestB, 0.03, true)
}

// refineTB fits a token bucket near a fit f0 made on a prefix of s: a grid over f0's rate
// interval (widened a little), then the local search of finish.
func refineTB(s *series, f0 fit) fit {
	q, ok := newTBSearch(s, f0.cr)
	if !ok || f0.rate <= 0 {
		return fitTB(s, f0.cr)
	}
	lo, hi := f0.lo*0.995, f0.hi*1.005
	if !f0.ok || lo <= 0 || math.IsInf(hi, 1) || hi > 1.1*f0.rate || lo < 0.9*f0.rate {
		lo, hi = 0.95*f0.rate, 1.05*f0.rate
	}
	bestR, bestB, bestM := f0.rate, f0.burst, math.MaxInt
	for i := 0; i <= 200; i++ {
		r := lo + (hi-lo)*float64(i)/200
		for _, b := range append(q.bSpread(r), f0.burst) {
			if m := q.eval(r, b); m < bestM {
				bestR, bestB, bestM = r, b, m
			}
		}
	}
	return q.finish(bestR, bestB, math.Max((hi-lo)/(2*f0.rate), 0.001), false)
}

// finish refines a starting point: r within ±width with every capacity bSpread suggests,
// then (from scratch only) a scan of the capacity at the best rate (an overflow before the
// first refusal hides a larger b), r again, both together for fractional capacities, and
// finally the interval of rates that mispredict no more than the best (its middle is the
// rate) and no more than the best plus the tolerance (the reported interval).
func (q *tbSearch) finish(bestR, bestB float64, width float64, scanB bool) fit {
	s, unit, minB := q.s, q.unit, q.minB
	bestM := q.eval(bestR, bestB)
	r0 := bestR
	for k := -width; k <= width+eps; k += width / 60 {
		r := r0 * (1 + k)
		for _, b := range append(q.bSpread(r), bestB) {
			if m := q.eval(r, b); m < bestM || (m == bestM && math.Abs(r-r0) < math.Abs(bestR-r0)) {
				bestR, bestB, bestM = r, b, m
			}
		}
	}
	if scanB {
		for _, b := range bScan(q.st.chargedPre, unit, minB) {
			if m := q.eval(bestR, b); m < bestM {
				bestB, bestM = b, m
			}
		}
	}
	refineFixed := func(width, step float64) {
		r0 := bestR
		for k := -width; k <= width+eps; k += step {
			r := r0 * (1 + k)
			if m := q.eval(r, bestB); m < bestM {
				bestR, bestM = r, m
			}
		}
	}
	refineFixed(width, width/60)
	if !unit {
		// Capacities are not whole: refine both together (the good pairs lie on a slant).
		r0, b0 := bestR, bestB
		for i := -20; i <= 20; i++ {
			for j := -20; j <= 20; j++ {
				r, b := r0*(1+0.0002*float64(i)), b0*(1+0.0005*float64(j))
				if b < minB {
					continue
				}
				if m := q.eval(r, b); m < bestM {
					bestR, bestB, bestM = r, b, m
				}
			}
		}
	}
	refineFixed(width/30, width/1500)
	// Long series pin r down to parts per million: keep zooming while it helps.
	for step := width / 15000; step > 1e-9 && bestM > 0; step /= 10 {
		refineFixed(10*step, step)
	}

	f := fit{model: "tb", cr: q.cr, n: s.len(), m: bestM, burst: bestB}
	// The rate is the middle of the interval of best fits at this capacity; the reported
	// interval also admits the neighbouring capacities and the tolerance.
	slo, shi := widen(bestR, func(r float64) bool { return q.eval(r, bestB) <= bestM })
	f.rate = midRate(bestR, slo, shi)
	limit := bestM + seriesTolerance(s)
	lo, hi := slo, shi
	for _, b := range bNear(bestB, bestB, unit, minB) {
		if m := q.eval(bestR, b); m > limit {
			continue
		}
		l, h := widen(bestR, func(r float64) bool { return q.eval(r, b) <= limit })
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	// A bucket a little larger refilling a little slower explains the same attempts: at each
	// rate, 41 capacities across those the first refusal allows are tried too (a bucket of
	// 20,881 tokens at 1,974/s fitted one of 20,000 at 2,000/s, and the interval at its own
	// capacity missed it; the good ones can be a twentieth of the bracket).
	l, h := widen(bestR, func(r float64) bool {
		for _, b := range q.bSpreadN(r, 41) {
			if q.eval(r, b) <= limit {
				return true
			}
		}
		return false
	})
	lo, hi = math.Min(lo, l), math.Max(hi, h)
	f.lo, f.hi = lo, hi
	f.ok = lo > 0 && !math.IsInf(hi, 1)
	f.window = bestB / f.rate
	return f
}

// midRate is the middle of [lo, hi], or best when the interval is unbounded.
func midRate(best, lo, hi float64) float64 {
	if lo <= 0 || math.IsInf(hi, 1) {
		return best
	}
	return (lo + hi) / 2
}

// bNear returns capacities to try around a: b itself and its neighbours (whole units), or ±1%.
func bNear(a, best float64, unit bool, minB float64) []float64 {
	var out []float64
	add := func(b float64) {
		if b >= minB {
			out = append(out, b)
		}
	}
	if unit {
		add(a - 1)
		add(a)
		add(a + 1)
		if best != a && math.Abs(best-a) > 1 {
			add(best)
		}
		return out
	}
	add(a * 0.99)
	add(a)
	add(a * 1.01)
	return out
}

// bScan lists capacities from minB to a little above c: every whole unit up to 3,000 values,
// else a logarithmic grid 0.5% apart.
func bScan(c float64, unit bool, minB float64) []float64 {
	top := c + 2
	var out []float64
	if unit && top-minB <= 3000 {
		for b := minB; b <= top; b++ {
			out = append(out, b)
		}
		return out
	}
	for b := minB; b <= top; b *= 1.005 {
		if unit {
			b = math.Ceil(b)
		}
		out = append(out, b)
	}
	return out
}

// widen finds the interval of values around r0 for which good holds: it steps outwards by 0.2%
// (up to a factor of 3 either way), bridging gaps of up to ten steps (the set need not be
// convex when other parameters are projected out), then bisects each edge to a relative 1e-5.
// It returns 0 or +Inf as an edge when good still holds three times below or above r0.
func widen(r0 float64, good func(float64) bool) (lo, hi float64) {
	const step = 0.002
	edge := func(dir float64) float64 {
		lastGood, misses := r0, 0
		for k := 1; ; k++ {
			r := r0 * math.Pow(1+step, dir*float64(k))
			if r > 3*r0 {
				return math.Inf(1)
			}
			if r < r0/3 {
				return 0
			}
			if good(r) {
				lastGood, misses = r, 0
				continue
			}
			misses++
			if misses >= 10 {
				break
			}
		}
		// Bisect between lastGood and the next step out.
		return bisectEdge(lastGood, lastGood*math.Pow(1+step, dir), good, 20, 1e-5*r0)
	}
	return edge(-1), edge(1)
}
