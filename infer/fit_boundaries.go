package infer

// Where a fixed window's boundaries can lie: the intervals the attempts pin them to, and the
// window lengths and phases those intervals allow.

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
	prev := -1 // the previous attempt (charges of generated output are no decision)
	for i := range s.len() {
		if s.isCharge(i) {
			continue
		}
		if prev >= 0 && s.acc[i] && !s.acc[prev] {
			out = append(out, reopening{s.t[prev], s.t[i]})
		}
		prev = i
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
	prev := -1
	for i := range s.len() {
		if s.isCharge(i) {
			continue
		}
		if prev >= 0 && !s.acc[i] && !s.acc[prev] {
			out = append(out, reopening{s.t[prev], s.t[i]})
		}
		prev = i
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
