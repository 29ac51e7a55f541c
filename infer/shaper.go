package infer

import (
	"math"
	"slices"
)

// shaperDelay tests the bucket fit for a leaky bucket that delays instead of refusing: such a
// server holds each admitted attempt for (capacity − tokens)/r, so latency rises with the
// bucket's backlog. It compares the latency of admitted attempts with a long predicted delay
// against those with almost none, and reports whether the difference matches the prediction
// (at least half of it, and at least 20 ms).
func shaperDelay(s *series, f *fit) bool {
	if f.model != "tb" || f.rate <= 0 {
		return false
	}
	tok := tbTokens(s, f.rate, f.burst, f.cr, nil)
	maxDelay := 0.0
	for i := range tok {
		if s.acc[i] {
			maxDelay = math.Max(maxDelay, (f.burst-tok[i])/f.rate)
		}
	}
	if maxDelay < 0.02 {
		return false
	}
	var lowLat, lowPred, highLat, highPred float64
	var nLow, nHigh int
	for i := range tok {
		if !s.acc[i] {
			continue
		}
		pred := math.Max((f.burst-tok[i])/f.rate, 0)
		switch {
		case pred < 0.1*maxDelay:
			lowLat += s.lat[i]
			lowPred += pred
			nLow++
		case pred > 0.5*maxDelay:
			highLat += s.lat[i]
			highPred += pred
			nHigh++
		}
	}
	if nLow >= 2 && nHigh >= 2 {
		dLat := highLat/float64(nHigh) - lowLat/float64(nLow)
		dPred := highPred/float64(nHigh) - lowPred/float64(nLow)
		return dLat >= 0.02 && dLat >= 0.5*dPred
	}
	// Traffic that never lets the bucket fill (a steady pace after a first burst) leaves no
	// undelayed attempts to compare with; then latency must follow the predicted delay
	// closely: a slope near one, a correlation near one.
	var sp, sl, spp, sll, spl float64
	n := 0.0
	for i := range tok {
		if !s.acc[i] {
			continue
		}
		p := math.Max((f.burst-tok[i])/f.rate, 0)
		sp += p
		sl += s.lat[i]
		spp += p * p
		sll += s.lat[i] * s.lat[i]
		spl += p * s.lat[i]
		n++
	}
	if n < 4 {
		return false
	}
	vp, vl, cov := spp-sp*sp/n, sll-sl*sl/n, spl-sp*sl/n
	if vp <= 0 || vl <= 0 || vp/n < 0.01*0.01 {
		return false // the predicted delays hardly vary: nothing to follow
	}
	slope, corr := cov/vp, cov/math.Sqrt(vp*vl)
	return slope >= 0.5 && slope <= 2 && corr >= 0.9
}

// threeSigma is the coverage of three normal standard errors either side.
const threeSigma = 0.9973

// shaperTick is the resolution of a shaper's delays as the client reads them, seconds.
const shaperTick = 0.001

// shaperRate measures a shaper's drain rate from its answers: a leaky bucket that delays serves
// queued requests one every 1/r, so while its queue is busy the admitted attempts' completion
// times (sent + latency) are evenly spaced by 1/r. Completions of queued attempts (latency well
// above the unqueued service time) are grouped into busy periods and one slope is fitted by
// least squares over all of them. The interval is the slope's standard error times Student's t
// quantile for the residuals' degrees of freedom at the coverage of three normal standard
// errors (over 6 answers, 6.6 standard errors rather than 3: three held the truth in one live
// nginx run of four, 119.85 (119.71–119.99)/min for 120), and no narrower than a millisecond's
// error on every answer allows (a shaper's timers and the answers' reading are no finer).
func shaperRate(s *series) (rate, lo, hi float64, ok bool) {
	var lats []float64
	for i := range s.t {
		if s.acc[i] {
			lats = append(lats, s.lat[i])
		}
	}
	if len(lats) < 4 {
		return 0, 0, 0, false
	}
	slices.Sort(lats)
	base := lats[len(lats)/10]
	var done []float64
	for i := range s.t {
		if s.acc[i] && s.lat[i] > base+0.005 {
			done = append(done, s.t[i]+s.lat[i])
		}
	}
	if len(done) < 4 {
		return 0, 0, 0, false
	}
	slices.Sort(done)
	gaps := make([]float64, 0, len(done))
	for i := 1; i < len(done); i++ {
		gaps = append(gaps, done[i]-done[i-1])
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	if med <= 0 {
		return 0, 0, 0, false
	}
	var fit pooledSlope
	for i, c := range done {
		if i > 0 && gaps[i-1] > 1.5*med {
			fit.endRun()
		}
		fit.add(float64(len(fit.xs)), c)
	}
	fit.endRun()
	if fit.n < 4 || fit.sxx <= 0 {
		return 0, 0, 0, false
	}
	slope, rss, dof := fit.slope()
	if slope <= 0 || dof < 1 {
		return 0, 0, 0, false
	}
	se := math.Sqrt(rss/dof) / math.Sqrt(fit.sxx)
	half := max(studentT(threeSigma, dof)*se, shaperTick*fit.sdx/fit.sxx, 1e-4*slope)
	if half >= slope {
		return 0, 0, 0, false
	}
	return 1 / slope, 1 / (slope + half), 1 / (slope - half), true
}
