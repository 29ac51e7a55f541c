package infer

import (
	"math"
	"slices"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/summary"
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
	step := remainingSteps(tl)
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
		if mask == 0 {
			// Nothing exhausted to the letter: a remaining rounded to thousands within a step
			// of what the request needs may hide the one that was (input tokens "2000" for a
			// 2,000-token prompt), rather than requests with most of their budget left.
			for d := range ratelimit.NumDimensions {
				h := &e.hdr[d]
				if step[d] > 0 && h.flags&ratelimit.HasRemaining != 0 && float64(h.rem) < tokenNeed(d, c)+step[d] {
					mask |= 1 << d
				}
			}
		}
		if mask == 0 || mask&(1<<ratelimit.Requests) != 0 {
			mask = 1 << ratelimit.Requests
		}
		out[i] = mask
	}
	return out
}

// tokenNeed is what one request needs of token dimension d's remaining to be admitted, as
// attribute reckons it (output tokens are charged after admission: none).
func tokenNeed(d ratelimit.Dimension, c costs) float64 {
	if d == ratelimit.InputTokens || d == ratelimit.Tokens {
		return c.meanIn
	}
	return 0
}

// remainingSteps returns, per dimension, the rounding step of its remaining values: 1000 for a
// token dimension whose every remaining is a multiple of a thousand (Anthropic's tokens
// headers), 0 otherwise.
func remainingSteps(tl *timeline) [ratelimit.NumDimensions]float64 {
	var step [ratelimit.NumDimensions]float64
	for d := range ratelimit.NumDimensions {
		if d == ratelimit.Requests {
			continue
		}
		seen, rounded := false, true
		for i := range tl.events {
			h := &tl.events[i].hdr[d]
			if h.flags&ratelimit.HasRemaining == 0 {
				continue
			}
			seen = true
			if h.rem%1000 != 0 {
				rounded = false
				break
			}
		}
		if seen && rounded {
			step[d] = 1000
		}
	}
	return step
}

// seriesFor builds dimension d's series from a timeline: admitted attempts and the refusals
// attributed to d. For token dimensions, pre says whether output is charged at max_tokens when
// admitted (else the actual output is charged after admission, which needs the budget out of
// debt only). A step above 0 charges that output as it was generated, in pieces of about step
// seconds (see generated), instead of at admission.
func seriesFor(tl *timeline, d ratelimit.Dimension, attr []uint8, c costs, pre bool, step float64) series {
	var s series
	var later []piece
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
		if step > 0 && !pre && d != ratelimit.InputTokens && e.out == outOK {
			later = generated(later, e, out, step)
			chg -= out
		}
		s.adm = append(s.adm, adm)
		s.chg = append(s.chg, chg)
	}
	settleOrder(&s)
	s.win = decisionWindows(&s)
	mergeCharges(&s, later, step)
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
var fitOrder = map[string]int{"tb": 0, "fw": 1, "fr": 2, "sl": 3, "sw": 4, "sr": 5}

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

// prefixAttempts returns s up to its n-th attempt (charges of generated output included).
func (s *series) prefixAttempts(n int) series {
	if s.charges == 0 {
		return s.prefix(n)
	}
	k := 0
	for i := range s.len() {
		if !s.isCharge(i) {
			if k++; k > n {
				return s.prefix(i)
			}
		}
	}
	return *s
}

// prefix returns the first n entries of s.
func (s *series) prefix(n int) series {
	p := series{t: s.t[:n], acc: s.acc[:n], rejChg: s.rejChg, lat: s.lat[:n]}
	if s.win != nil {
		p.win = s.win[:n]
	}
	if s.adm != nil {
		p.adm, p.chg = s.adm[:n], s.chg[:n]
	}
	if s.charges > 0 {
		for i := range n {
			if p.isCharge(i) {
				p.charges++
			}
		}
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
				if (f0.model == "fw" || f0.model == "fr" || f0.model == "sw" || f0.model == "sr") && f0.m > coarse[0].m+max(5, pre.len()/50) {
					continue
				}
				// The counter, the costliest to refine, only when it was about as good.
				if (f0.model == "sw" || f0.model == "sr") && f0.m > coarse[0].m+max(3, 2*seriesTolerance(&pre)) {
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
				case "sr":
					f = refineSR(s, f0)
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
	if unit && (s.len() <= alwaysCounter || len(fits) == 0 || fits[0].m > max(seriesTolerance(s), 2) || classOf(fits[0].model) != summary.AlgoTokenBucket) {
		for _, f := range fitSW(s, q0) {
			add(f)
		}
		sortFits(fits)
	}
	// The counter restarted by the first request after an idle window (HAProxy) only when
	// nothing aligned to a clock explains every attempt: over discovery's pauses it mimics a
	// fixed window opened by the first request, and as a rival it would keep discovery going
	// after a window the attempts already pin.
	if unit && (len(fits) == 0 || fits[0].m > 0) {
		for _, f := range fitSR(s) {
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
		return summary.AlgoTokenBucket
	case "fw", "fr":
		return summary.AlgoFixedWindow
	case "sl", "sw", "sr":
		return summary.AlgoSlidingWindow
	}
	return summary.AlgoUnknown
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
