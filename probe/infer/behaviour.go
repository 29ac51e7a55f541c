package infer

import (
	"math"
	"slices"

	"github.com/ratelab/ratelab/probe/ratelimit"
)

// costs are what a timeline's attempts cost in token units, for attributing refusals and for
// building token series.
type costs struct {
	meanIn float64 // input tokens of an admitted attempt, on average (a refused one reports none)
	usage  bool    // admitted attempts reported usage
	prompt float64 // the workload's prompt tokens (run.json), 0 when unknown
}

func costsOf(tl *timeline, prompt float64) costs {
	var sum float64
	var n int
	for i := range tl.events {
		e := &tl.events[i]
		if e.out == outOK && (e.in > 0 || e.gen > 0) {
			sum += float64(e.in)
			n++
		}
	}
	c := costs{prompt: prompt}
	if n > 0 {
		c.meanIn, c.usage = sum/float64(n), true
	} else {
		c.meanIn = prompt
	}
	return c
}

// attribute returns, for each event, the dimensions whose headers show them exhausted when it
// was refused (a bit per dimension); a refusal no header explains is put on requests, and so is
// every refusal without headers (the refusing dimension cannot be named then).
func attribute(tl *timeline, c costs) []uint8 {
	out := make([]uint8, len(tl.events))
	for i := range tl.events {
		e := &tl.events[i]
		if e.out != outLimit {
			continue
		}
		var mask uint8
		for d := range ratelimit.NumDimensions {
			h := &e.hdr[d]
			if h.flags&ratelimit.HasRemaining == 0 {
				continue
			}
			var need float64
			slack := 0.0
			switch d {
			case ratelimit.Requests:
				need = 1
			case ratelimit.InputTokens:
				need, slack = c.meanIn, 500
			case ratelimit.OutputTokens:
				need, slack = 0, 500
			case ratelimit.Tokens:
				need, slack = c.meanIn, 500
			}
			if h.rem == 0 || float64(h.rem) < need-slack+eps {
				mask |= 1 << d
			}
		}
		if mask == 0 || mask&(1<<ratelimit.Requests) != 0 {
			mask = 1 << ratelimit.Requests
		}
		out[i] = mask
	}
	return out
}

// seriesFor builds dimension d's series from a timeline: admitted attempts and the refusals
// attributed to d. For token dimensions, pre says whether output is charged at max_tokens when
// admitted (else the actual output is charged after admission, which needs the budget out of
// debt only).
func seriesFor(tl *timeline, d ratelimit.Dimension, attr []uint8, c costs, pre bool) series {
	var s series
	unit := d == ratelimit.Requests
	s.rejChg = 1
	if !unit {
		s.rejChg = 0
	}
	for i := range tl.events {
		e := &tl.events[i]
		switch {
		case e.out == outOK:
		case e.out == outLimit && attr[i]&(1<<d) != 0:
		default:
			continue
		}
		s.t = append(s.t, e.t)
		s.acc = append(s.acc, e.out == outOK)
		s.lat = append(s.lat, e.lat)
		if unit {
			continue
		}
		in := float64(e.in)
		if e.out != outOK {
			in = c.meanIn
		}
		out, maxTok := float64(e.gen), float64(e.maxTok)
		var adm, chg float64
		switch d {
		case ratelimit.InputTokens:
			adm, chg = in, in
		case ratelimit.OutputTokens:
			if pre {
				adm, chg = maxTok, maxTok
			} else {
				adm, chg = 0, out
			}
		case ratelimit.Tokens:
			if pre {
				adm, chg = in+maxTok, in+maxTok
			} else {
				adm, chg = in, in+out
			}
		}
		s.adm = append(s.adm, adm)
		s.chg = append(s.chg, chg)
	}
	settleOrder(&s)
	s.win = decisionWindows(&s)
	return s
}

// decisionWindows caps each attempt's latency at three times the median latency of the
// refusals (at least 2 ms): the span in which the server decided it.
func decisionWindows(s *series) []float64 {
	var rej []float64
	for i, a := range s.acc {
		if !a {
			rej = append(rej, s.lat[i])
		}
	}
	limit := 0.002
	if len(rej) > 0 {
		slices.Sort(rej)
		limit = math.Max(limit, 3*rej[len(rej)/2])
	}
	out := make([]float64, s.len())
	for i, l := range s.lat {
		out[i] = math.Min(l, limit)
	}
	return out
}

// simultaneous is how close in time attempts are taken to reach the server in an order of its
// own: a client sending several at once cannot say which the server saw first.
const simultaneous = 0.001

// settleOrder reorders each group of attempts sent within simultaneous of the group's first so
// that its admissions come first (keeping the group's send times in order): the server took
// them first, or it would not have admitted them ahead of the ones it refused.
func settleOrder(s *series) {
	for i := 0; i < s.len(); {
		j := i + 1
		for j < s.len() && s.t[j]-s.t[i] <= simultaneous {
			j++
		}
		if j-i > 1 {
			idx := make([]int, 0, j-i)
			for k := i; k < j; k++ {
				if s.acc[k] {
					idx = append(idx, k)
				}
			}
			for k := i; k < j; k++ {
				if !s.acc[k] {
					idx = append(idx, k)
				}
			}
			permute(s, i, idx)
		}
		i = j
	}
}

// permute rearranges s[i:i+len(idx)] as s[idx[0]], s[idx[1]], … keeping the times in place.
func permute(s *series, i int, idx []int) {
	acc := make([]bool, len(idx))
	lat := make([]float64, len(idx))
	var adm, chg []float64
	if s.adm != nil {
		adm, chg = make([]float64, len(idx)), make([]float64, len(idx))
	}
	for n, k := range idx {
		acc[n], lat[n] = s.acc[k], s.lat[k]
		if adm != nil {
			adm[n], chg[n] = s.adm[k], s.chg[k]
		}
	}
	copy(s.acc[i:], acc)
	copy(s.lat[i:], lat)
	if adm != nil {
		copy(s.adm[i:], adm)
		copy(s.chg[i:], chg)
	}
}

// fitOrder ranks models for ties: the simpler explanation first.
var fitOrder = map[string]int{"tb": 0, "fw": 1, "fr": 2, "sl": 3, "sw": 4}

func better(a, b *fit) bool {
	if a.m != b.m {
		return a.m < b.m
	}
	if fitOrder[a.model] != fitOrder[b.model] {
		return fitOrder[a.model] < fitOrder[b.model]
	}
	if a.cr != b.cr {
		return !a.cr
	}
	return a.rd < b.rd
}

// firstBurst is how many units were admitted before the first refusal.
func firstBurst(s *series) float64 {
	n := 0.0
	for i := range s.t {
		if !s.acc[i] {
			break
		}
		n += s.chgCost(i)
	}
	return n
}

// alwaysCounter is the longest series the counter is always fitted to.
const alwaysCounter = 600

// zoomSize is the longest series fitted from scratch. A longer one is fitted on a prefix a
// quarter as long first (recursively), and each model refined on the whole around the
// prefix's fit: the models' good parameters narrow as the data grow, and a grid fine enough to
// land in them over the whole range would cost too much.
const zoomSize = 1500

// prefix returns the first n attempts of s.
func (s *series) prefix(n int) series {
	p := series{t: s.t[:n], acc: s.acc[:n], rejChg: s.rejChg, lat: s.lat[:n]}
	if s.win != nil {
		p.win = s.win[:n]
	}
	if s.adm != nil {
		p.adm, p.chg = s.adm[:n], s.chg[:n]
	}
	return p
}

// fitAll fits every model that applies to s and returns the fits, best first.
func fitAll(s *series) []fit {
	if n := max(zoomSize, s.len()/4); s.len() > zoomSize {
		pre := s.prefix(n)
		if st := statsOf(&pre); st.rejections >= 2 {
			var fits []fit
			coarse := fitAll(&pre)
			for _, f0 := range coarse {
				// Window models far behind on the prefix are not worth refining (the costly
				// part of a long fit); buckets and logs always are.
				if (f0.model == "fw" || f0.model == "fr" || f0.model == "sw") && f0.m > coarse[0].m+max(5, pre.len()/50) {
					continue
				}
				// The counter, the costliest to refine, only when it was about as good.
				if f0.model == "sw" && f0.m > coarse[0].m+max(3, 2*seriesTolerance(&pre)) {
					continue
				}
				var f fit
				switch f0.model {
				case "tb":
					f = refineTB(s, f0)
				case "fw":
					f = refineFW(s, f0)
				case "fr":
					f = fitFR(s)
				case "sl":
					f = fitSL(s, f0.q, f0.cr)
				case "sw":
					f = refineSW(s, f0)
				}
				if f.n > 0 && f.m != math.MaxInt && (f.rate > 0 || f.model == "tb") {
					fits = append(fits, f)
				}
			}
			sortFits(fits)
			return fits
		}
	}
	unit := s.adm == nil && s.chg == nil
	var fits []fit
	add := func(f fit) {
		if f.n > 0 && f.m != math.MaxInt && (f.rate > 0 || f.model == "tb") {
			fits = append(fits, f)
		}
	}
	tb := fitTB(s, false)
	add(tb)
	if unit {
		add(fitTB(s, true))
	}
	add(fitFW(s))
	if unit {
		add(fitFR(s))
	}
	q0 := firstBurst(s)
	if unit {
		add(fitSL(s, q0, false))
		add(fitSL(s, q0, true))
	}
	sortFits(fits)
	// The counter is costly to fit: on short series always (a bucket can mimic a counter over
	// a few windows, at another rate: 140/min for 120), on longer ones only when nothing
	// simpler explains the data, or when what explains it best is a window. A window fit is no proof against the counter: a sliding
	// log of the same quota over a shorter or longer window can mimic a counter's refusals
	// (the counter's estimate weighs the previous window by its overlap, so where it reopens
	// depends on how the previous window's admissions were spread, which a log of the wrong
	// length imitates over a few windows), and then the log's rate, q/w at its own w, is off.
	// Only the counter's own fit can say which explains the attempts better.
	if unit && (s.len() <= alwaysCounter || len(fits) == 0 || fits[0].m > max(seriesTolerance(s), 2) || classOf(fits[0].model) != AlgoTokenBucket) {
		for _, f := range fitSW(s, q0) {
			add(f)
		}
		sortFits(fits)
	}
	return fits
}

func sortFits(fits []fit) {
	slices.SortStableFunc(fits, func(a, b fit) int {
		switch {
		case better(&a, &b):
			return -1
		case better(&b, &a):
			return 1
		}
		return 0
	})
}

// classOf maps a model to its summary.json algorithm class.
func classOf(model string) string {
	switch model {
	case "tb":
		return AlgoTokenBucket
	case "fw", "fr":
		return AlgoFixedWindow
	case "sl", "sw":
		return AlgoSlidingWindow
	}
	return AlgoUnknown
}

// equivalent reports whether two fits describe the same limiter: a bucket of one refilling
// every 1/r seconds is a sliding log of one per 1/r, and a fixed window of one per 1/r opened
// by the first request.
func equivalent(a, b *fit) bool {
	if classOf(a.model) == classOf(b.model) {
		return true
	}
	tbOne := func(x, y *fit) bool {
		return x.model == "tb" && (y.model == "sl" || y.model == "fr") && x.burst == 1 && y.q == 1
	}
	return tbOne(a, b) || tbOne(b, a)
}

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

// shaperRate measures a shaper's drain rate from its answers: a leaky bucket that delays serves
// queued requests one every 1/r, so while its queue is busy the admitted attempts' completion
// times (sent + latency) are evenly spaced by 1/r. Completions of queued attempts (latency well
// above the unqueued service time) are grouped into busy periods and one slope is fitted by
// least squares over all of them; the interval is three standard errors.
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
	var sxy, sxx, syy float64
	var n, runs int
	var xs, ys []float64
	flush := func() {
		if len(xs) >= 3 {
			var mx, my float64
			for i := range xs {
				mx += xs[i]
				my += ys[i]
			}
			mx /= float64(len(xs))
			my /= float64(len(xs))
			for i := range xs {
				dx, dy := xs[i]-mx, ys[i]-my
				sxy += dx * dy
				sxx += dx * dx
				syy += dy * dy
			}
			n += len(xs)
			runs++
		}
		xs, ys = xs[:0], ys[:0]
	}
	for i, c := range done {
		if i > 0 && gaps[i-1] > 1.5*med {
			flush()
		}
		xs = append(xs, float64(len(xs)))
		ys = append(ys, c)
	}
	flush()
	if n < 4 || sxx <= 0 {
		return 0, 0, 0, false
	}
	slope := sxy / sxx
	dof := float64(n - runs - 1)
	if slope <= 0 || dof < 1 {
		return 0, 0, 0, false
	}
	se := math.Sqrt(math.Max(syy-slope*sxy, 0)/dof) / math.Sqrt(sxx)
	half := math.Max(3*se, 1e-4*slope)
	if half >= slope {
		return 0, 0, 0, false
	}
	return 1 / slope, 1 / (slope + half), 1 / (slope - half), true
}
