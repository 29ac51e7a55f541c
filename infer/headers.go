package infer

import (
	"cmp"
	"math"
	"slices"

	"github.com/ratelab/ratelab/ratelimit"
)

// hdrStats is what a timeline's headers said about one dimension.
type hdrStats struct {
	n        int     // events with any field for the dimension
	limits   []int64 // distinct advertised limits, in order of appearance
	limit    int64   // the most frequent advertised limit
	windowS  float64 // the most frequent stated window (IETF w=), 0 when none
	dialect  ratelimit.Dialect
	rounded  bool    // remaining values are rounded to thousands (Anthropic tokens)
	firstRem int64   // remaining on the first event, −1 when absent
	maxRem   int64   // largest remaining seen
	resetW   float64 // window length from reset instants that stay put then jump, 0 when none
	plateaus int     // how many such stays were seen
}

// headerStats summarizes the timeline's headers for dimension d.
func headerStats(tl *timeline, d ratelimit.Dimension) hdrStats {
	hs := hdrStats{firstRem: -1}
	limitCount := map[int64]int{}
	windowCount := map[float32]int{}
	var resets []resetObs
	roundedAll, anyRem := true, false
	for i := range tl.events {
		e := &tl.events[i]
		h := &e.hdr[d]
		if h.flags == 0 {
			continue
		}
		hs.n++
		if hs.dialect == ratelimit.DialectNone {
			hs.dialect = e.dialect
		}
		if h.flags&ratelimit.HasLimit != 0 {
			if _, ok := limitCount[h.limit]; !ok {
				hs.limits = append(hs.limits, h.limit)
			}
			limitCount[h.limit]++
		}
		if h.flags&ratelimit.HasWindow != 0 && h.windowS > 0 {
			windowCount[h.windowS]++
		}
		if h.flags&ratelimit.HasRemaining != 0 {
			if hs.firstRem < 0 {
				hs.firstRem = h.rem
			}
			hs.maxRem = max(hs.maxRem, h.rem)
			anyRem = true
			if h.rem%1000 != 0 {
				roundedAll = false
			}
		}
		if h.flags&ratelimit.HasReset != 0 {
			base := e.t + e.lat
			if !math.IsNaN(e.date) && isAbsolute(h.kind) {
				base = e.date
			}
			resets = append(resets, resetObs{t: e.t, at: base + float64(h.resetS), rem: h.rem, hasRem: h.flags&ratelimit.HasRemaining != 0})
		}
	}
	best := 0
	for _, l := range hs.limits { // first-seen order breaks ties: deterministic
		if c := limitCount[l]; c > best {
			hs.limit, best = l, c
		}
	}
	bestW := 0
	for w, c := range windowCount {
		if c > bestW || (c == bestW && float64(w) < hs.windowS) {
			hs.windowS, bestW = float64(w), c
		}
	}
	hs.rounded = anyRem && roundedAll && d != ratelimit.Requests && hs.maxRem >= 1000
	hs.resetW, hs.plateaus = resetWindow(resets)
	return hs
}

// isAbsolute reports whether a reset was an instant (then measured against the Date header).
func isAbsolute(k ratelimit.ResetKind) bool {
	switch k {
	case ratelimit.ResetRFC3339, ratelimit.ResetEpochS, ratelimit.ResetEpochMS, ratelimit.ResetHTTPDate:
		return true
	}
	return false
}

type resetObs struct {
	t, at  float64 // when sent; the reset instant (run seconds)
	rem    int64
	hasRem bool
}

// resetWindow looks for the fixed-window pattern in reset instants: the instant stays put while
// remaining falls (a window's end), then jumps ahead. It returns the median jump between
// successive plateaus of at least three events, and how many plateaus there were; a bucket's
// reset instant moves with every admission instead, so it finds none.
func resetWindow(obs []resetObs) (float64, int) {
	slices.SortStableFunc(obs, func(a, b resetObs) int { return cmp.Compare(a.t, b.t) })
	var plateaus []float64
	for i := 0; i < len(obs); {
		j := i
		falling, rising := false, false
		for j+1 < len(obs) && math.Abs(obs[j+1].at-obs[i].at) < 0.0015 {
			if obs[j+1].hasRem && obs[j].hasRem {
				falling = falling || obs[j+1].rem < obs[j].rem
				rising = rising || obs[j+1].rem > obs[j].rem
			}
			j++
		}
		falling = falling && !rising
		// A bucket's reset instant moves on unless remaining rises with the refill; rounded
		// to whole seconds it may still stay put for up to a second, so a window's plateau
		// must last longer than that.
		if j-i+1 >= 3 && falling && obs[j].t-obs[i].t >= 1.5 {
			plateaus = append(plateaus, obs[i].at)
		}
		i = j + 1
	}
	if len(plateaus) < 2 {
		return 0, len(plateaus)
	}
	var jumps []float64
	for i := 1; i < len(plateaus); i++ {
		if d := plateaus[i] - plateaus[i-1]; d > 0 {
			jumps = append(jumps, d)
		}
	}
	if len(jumps) == 0 {
		return 0, len(plateaus)
	}
	slices.Sort(jumps)
	// Successive plateaus are usually one window apart, a skipped window doubles a jump, and a
	// reset rounded to whole seconds moves each by up to a second. So the window is the whole
	// span over the number of windows it holds, each jump counted in units of the lower
	// quartile's (the median of the lower half resists noise): the rounding is spread over all
	// of them instead of deciding one (20 per 10 s with resets in whole seconds read 11 s).
	unit := jumps[(len(jumps)-1)/4]
	var sum, windows float64
	for _, j := range jumps {
		if k := math.Round(j / unit); k >= 1 {
			sum += j
			windows += k
		}
	}
	if windows == 0 {
		return unit, len(plateaus)
	}
	return sum / windows, len(plateaus)
}

// refill is the rate at which a dimension's remaining refills, from the headers: between
// moments when the budget is full, remaining + units taken so far grows as the budget refills,
//
//	remᵢ + Cᵢ = S₀ + r·tᵢ − fracᵢ
//
// (Cᵢ the units taken through attempt i, frac the rounding), so r is the slope of a straight
// line, one intercept per stretch between full moments, fitted by least squares over every
// such stretch together. Points at the top (full, clamped) and at zero (possibly in debt) are
// left out. Readings rounded to thousands that never leave a few thousands below the top say
// nothing about a refill: a budget far larger than what the run takes sits full, and its
// rounded remaining only wanders by a step or two, so the line through it fits the rounding
// (it measured the run's own consumption as a "refill" of a few hundred a minute).
type refill struct {
	rate, lo, hi float64
	sigma        float64 // residual standard deviation, in the dimension's units
	points       int
	span         float64
}

// charge is what an attempt takes when admitted; later, in time order, what is charged after
// admission (output as generated), counted from when it was charged.
func headerRefill(tl *timeline, d ratelimit.Dimension, hs hdrStats, charge func(e *event) float64, later []piece) (refill, bool) {
	margin := int64(1)
	if hs.rounded {
		margin = 1000
	}
	top := hs.maxRem - margin
	var pts []refillPoint
	taken := 0.0
	lowest := top
	next := 0
	fresh := true
	for i := range tl.events {
		e := &tl.events[i]
		taken += charge(e)
		for ; next < len(later) && later[next].t <= e.t; next++ {
			taken += later[next].units
		}
		h := &e.hdr[d]
		if h.flags&ratelimit.HasRemaining == 0 {
			continue
		}
		switch {
		case h.rem >= top:
			fresh = true
		case h.rem <= 0:
		default:
			lowest = min(lowest, h.rem)
			pts = append(pts, refillPoint{t: e.t, y: float64(h.rem) + taken, deficit: float64(hs.maxRem - h.rem), lat: e.lat, newRun: fresh})
			fresh = false
		}
	}
	fit := fitRefill(pts)
	if fit.n < 4 || fit.sxx <= 0 || fit.span <= 0 {
		return refill{}, false
	}
	if hs.rounded && top-lowest < 4*margin {
		return refill{}, false // within a few rounding steps of full: no refill to see
	}
	r, rss, dof := fit.slope()
	if dof < 1 || r <= 0 {
		return refill{}, false
	}
	var lats []float64
	for _, p := range pts {
		lats = append(lats, p.lat)
	}
	raw := math.Sqrt(rss / dof)
	sigma := raw
	// The rounding alone is uniform over a unit (or a thousand): σ at least its 1/√12.
	sigma = math.Max(sigma, float64(margin)/math.Sqrt(12))
	se := sigma / math.Sqrt(fit.sxx)
	// The rounding is no independent noise, though: readings taken in a burst share it, so a
	// few bursts far apart decide the slope, and 3 standard errors can claim a precision the
	// readings do not hold. Whatever the rounding did, each reading is off by less than half a
	// step (a unit, or a thousand) and by what the budget refills while the server may have
	// read it (up to its latency), so the slope is off by at most Σ|dx|·that / Σdx².
	slices.Sort(lats)
	off := float64(margin)/2 + r*lats[len(lats)/2]
	half := math.Max(3*se, off*fit.sdx/fit.sxx)
	return refill{rate: r, lo: math.Max(r-half, 0), hi: r + half, sigma: raw, points: fit.n, span: fit.span}, true
}

// refillPoint is one remaining reading on a refill line: remaining plus all charged before it.
type refillPoint struct {
	t, y    float64
	deficit float64 // how far below the fullest reading
	lat     float64
	newRun  bool // a full or empty reading came before it: its line starts afresh
}

// fitRefill fits the refill slope pooled over the runs of pts. The budget may have been full
// between two readings without either showing it (traffic that keeps it a few percent below its
// top): the refill then thrown away would make remaining plus taken rise at the traffic's rate,
// not the refill's. So a run is cut wherever the fitted rate refills more between two readings
// than the first was below full, and the slope fitted again, until no cut is added.
func fitRefill(pts []refillPoint) pooledSlope {
	cut := make([]bool, len(pts))
	for i, p := range pts {
		cut[i] = p.newRun
	}
	for range 8 {
		var fit pooledSlope
		for i, p := range pts {
			if cut[i] {
				fit.endRun()
			}
			fit.add(p.t, p.y)
		}
		fit.endRun()
		if fit.n < 4 || fit.sxx <= 0 {
			return fit
		}
		r, _, _ := fit.slope()
		added := false
		for i := 1; i < len(pts); i++ {
			if !cut[i] && r*(pts[i].t-pts[i-1].t) > pts[i-1].deficit {
				cut[i], added = true, true
			}
		}
		if !added || r <= 0 {
			return fit
		}
	}
	return pooledSlope{}
}

// resetRate estimates the rate at which a bucket whose capacity is its advertised limit L
// refills, from the reset headers alone: reset says when the budget is full again, so
//
//	L − remaining = r · (reset + c)
//
// and r is the least-squares slope of that line over every reading with 0 < remaining < L. The
// offset c is what the reset's rounding adds, about +½ s for an instant rounded up to the
// second and read against a Date header truncated to it, 0 for one truncated, −½ s for a delay
// rounded up: it is fitted, not assumed, so whatever the server's rounding the slope holds
// (with the offset fixed at −1 s, a truncated reset read 20 per 10 s as 109/min). Through the
// origin when the resets do not spread enough to fit an offset. It is meant for the advertised
// limit's period when the remaining values never trace a refill line (they sit at zero while
// the budget is in debt); when the bucket holds less than L (remaining never comes near it) the
// relation does not hold and ok is false. Only readings at least minResetDeficit below the
// limit count.
// minResetDeficit is the least drawdown, as a share of the limit, a reading needs to time the
// refill from its reset.
const minResetDeficit = 0.1

func resetRate(tl *timeline, d ratelimit.Dimension, hs hdrStats) (float64, bool) {
	if hs.limit <= 0 || float64(hs.maxRem) < 0.8*float64(hs.limit) {
		return 0, false
	}
	var sx, sy, sxy, sxx float64
	n := 0
	for i := range tl.events {
		h := &tl.events[i].hdr[d]
		if !tl.events[i].has(d, ratelimit.HasLimit|ratelimit.HasRemaining|ratelimit.HasReset) {
			continue
		}
		if h.rem <= 0 || h.rem >= h.limit {
			continue
		}
		if float64(h.limit-h.rem) < minResetDeficit*float64(h.limit) {
			// Near full, the deficit is a few rounding steps (token remaining comes in
			// thousands) and the reset a second or less: their ratio says nothing of the
			// rate (a 600,000/min input budget read as 1,000/s, so advertised 60,000/min).
			continue
		}
		x := float64(h.resetS)
		if x <= 0 {
			continue
		}
		y := float64(h.limit - h.rem)
		sx += x
		sy += y
		sxy += x * y
		sxx += x * x
		n++
	}
	if n < 5 || sxx <= 0 {
		return 0, false
	}
	mx := sx / float64(n)
	if vx := sxx/float64(n) - mx*mx; vx > 1 { // resets spread over more than a second or so
		if r := (sxy/float64(n) - mx*sy/float64(n)) / vx; r > 0 {
			return r, true
		}
	}
	return sxy / sxx, true
}
