package infer

import (
	"math"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/summary"
)

// dimResult is one dimension's inference on one timeline.
type dimResult struct {
	d       ratelimit.Dimension
	tl      *timeline
	hs      hdrStats
	n       int // attempts in the dimension's series
	refused int // refusals attributed to the dimension
	fits    []fit
	best    *fit
	pre     *bool // token dimensions: output charged at max_tokens (nil: undetermined)
	leaky   bool
	// shaper is the drain rate measured from a leaky bucket's delays (when leaky).
	shaper   fit
	shaperOK bool
	ref      refill
	refOK    bool
	sigma    float64 // refill residual, for choosing the accounting
	// derived: the tokens headers only restate input and output tokens (derivedTokens), so
	// their remaining gives no refill rate of its own.
	derived bool
	// genS is the replies' median generation time (sending to the last token) when it is long
	// beside the fitted window and the output was fitted as charged while generated; 0 when the
	// output is charged at admission.
	genS float64
	// agree0 is the advertised rate when the headers agree with the attempts (headerAgreement).
	agree0 hdrAgreement
	// ser is the series the fits were made to.
	ser series
}

// determined reports whether the timeline gives the dimension an effective rate.
func (r *dimResult) determined() bool { return (r.best != nil && r.best.ok) || r.refOK }

// width is the relative width of the rate interval (smaller is better), +Inf when undetermined.
func (r *dimResult) width() float64 {
	lo, hi, rate, ok := r.interval()
	if !ok || rate <= 0 {
		return math.Inf(1)
	}
	return (hi - lo) / rate
}

// interval returns the effective rate (per second) and its interval, from behaviour and headers
// combined: the behaviour figure (what is enforced), narrowed to where the header interval
// overlaps it; the header figure alone when behaviour says nothing.
func (r *dimResult) interval() (lo, hi, rate float64, ok bool) {
	switch {
	case r.shaperOK:
		// A shaper's delays time its drain directly: more precise than its refusals.
		return r.shaper.lo, r.shaper.hi, r.shaper.rate, true
	case r.best != nil && r.best.ok:
		lo, hi, rate = r.best.lo, r.best.hi, r.best.rate
		if !r.leaky {
			// When another limiter explains the attempts about as well or cannot be ruled
			// out (another kind, the
			// same counting refusals or not, a counter rounding its previous window's share
			// another way, a fixed window opened by the first request rather than the clock),
			// the rate is only known to lie within what either says; when some explain them
			// exactly as well, the data cannot choose, and the figure is the middle of theirs.
			tlo, thi, tie := lo, hi, false
			for _, f := range plausibleFits(r, func(*fit) bool { return true }) {
				lo, hi = math.Min(lo, f.lo), math.Max(hi, f.hi)
				if f.m == r.best.m && f.ok {
					tlo, thi, tie = math.Min(tlo, f.lo), math.Max(thi, f.hi), true
				}
			}
			if tie {
				rate = (tlo + thi) / 2
			}
		}
		if r.refOK && r.agree() && classOf(r.best.model) == summary.AlgoTokenBucket {
			if l, h := math.Max(lo, r.ref.lo), math.Min(hi, r.ref.hi); l <= h {
				// The middle of where both allow it, unless the headers' refill line is the
				// narrower measurement (another limiter explains the attempts about as well,
				// leaving the behaviour a wide band): then the line gives the figure.
				point := (l + h) / 2
				if r.ref.hi-r.ref.lo < hi-lo {
					point = r.ref.rate
				}
				lo, hi, rate = l, h, math.Min(math.Max(point, l), h)
			} else {
				// Within 3% of each other but apart: one of them is off, and nothing says
				// which.
				lo, hi = math.Min(lo, r.ref.lo), math.Max(hi, r.ref.hi)
				rate = (lo + hi) / 2
			}
		}
		if plo, phi, prate, ok := r.pinned(lo, hi, rate); ok {
			// The headers agree with every refusal and reopening: the advertised rate is
			// the enforced one, to the limit header's own precision.
			lo, hi, rate = plo, phi, prate
		}
		return lo, hi, rate, true
	case r.refOK:
		return r.ref.lo, r.ref.hi, r.ref.rate, true
	}
	return 0, 0, 0, false
}

// agree reports whether the behaviour and header rates agree: their intervals overlap, or they
// are within 3% of each other.
func (r *dimResult) agree() bool {
	if r.best == nil || !r.best.ok || !r.refOK {
		return false
	}
	b, h := r.best, r.ref
	if b.lo <= h.hi && h.lo <= b.hi {
		return true
	}
	return math.Abs(b.rate-h.rate) <= 0.03*b.rate
}

// compareFitEvents bounds the attempts of a compare timeline that the models are fitted to:
// compare runs may hold a million attempts over dozens of segments, and the first thousands
// of a segment, from a fresh budget, show its limit as well as any.
const compareFitEvents = 5000

// analyzeDim fits dimension d's models to the timeline and reads its headers.
func (a *Analyzer) analyzeDim(tl *timeline, d ratelimit.Dimension, c costs, attr []uint8, cr bool) dimResult {
	r := dimResult{d: d, tl: tl, hs: headerStats(tl, d)}
	r.derived = d == ratelimit.Tokens && derivedTokens(tl)
	tokenDim := d != ratelimit.Requests
	if tokenDim && !c.usage {
		return r // no usage: token units unknown
	}
	variants := []bool{false}
	if d == ratelimit.OutputTokens || d == ratelimit.Tokens {
		variants = append(variants, true)
	}
	type variant struct {
		pre   bool
		s     series
		fits  []fit
		ref   refill
		refOK bool
		genS  float64
	}
	var vs []variant
	for _, pre := range variants {
		v := variant{pre: pre}
		fitVariant := func(step float64) {
			v.s = seriesFor(tl, d, attr, c, pre, step)
			v.s.pre, v.s.hdrQ = sharedWindow(tl, r.hs, d)
			if tl.compare && v.s.attempts() > compareFitEvents {
				v.s = v.s.prefixAttempts(compareFitEvents) // a fresh budget shows its limit early
			}
			refused := 0
			for _, acc := range v.s.acc {
				if !acc {
					refused++
				}
			}
			v.fits = nil
			if refused > 0 && v.s.attempts() >= 3 {
				v.fits = fitAll(&v.s)
			}
			if r.hs.n > 0 && !r.derived {
				var later []piece
				if step > 0 {
					later = generatedCharges(tl, step)
				}
				v.ref, v.refOK = headerRefill(tl, d, r.hs, chargeFunc(d, pre, cr, step > 0), later)
			}
		}
		fitVariant(0)
		// Output charged as generated, over replies long beside the window the fit found (a
		// minute without one): fitted again with each reply's output charged when generated.
		var w float64
		if len(v.fits) > 0 {
			w = fitWindow(&v.fits[0])
		}
		if step, med := generationStep(tl, d, pre, w); step > 0 {
			fitVariant(step)
			v.genS = med
		}
		vs = append(vs, v)
	}
	pick := 0
	if len(vs) == 2 && a.shortOut > 0 {
		// Output accounting: the variant whose model explains the data better, by fits or by
		// how straight the header refill line is.
		p := choosePre(vs[0].fits, vs[1].fits, vs[0].ref, vs[0].refOK, vs[1].ref, vs[1].refOK)
		if p != nil {
			r.pre = p
			if *p {
				pick = 1
			}
		}
	}
	v := vs[pick]
	r.n, r.genS = v.s.attempts(), v.genS
	for _, acc := range v.s.acc {
		if !acc {
			r.refused++
		}
	}
	r.fits = v.fits
	if len(r.fits) > 0 {
		r.best = &r.fits[0]
		if poorFit(r.best, r.n, r.refused) {
			// No model explains the refusals: its rate would be a number made up.
			r.best.ok = false
		}
		if r.best.model == "tb" && v.s.charges == 0 {
			r.leaky = shaperDelay(&v.s, r.best)
			if r.leaky {
				if rate, lo, hi, ok := shaperRate(&v.s); ok {
					r.shaper, r.shaperOK = *r.best, true
					r.shaper.rate, r.shaper.lo, r.shaper.hi = rate, lo, hi
					shaperBurst(&v.s, r.best, rate)
				}
			}
		}
	}
	r.ref, r.refOK, r.sigma = v.ref, v.refOK, v.ref.sigma
	r.ser = v.s
	if r.best != nil && classOf(r.best.model) != summary.AlgoTokenBucket && r.refOK {
		// Remaining under a window is a staircase, not a refill line: the regression says little.
		r.refOK = false
	}
	r.agree0 = headerAgreement(&r)
	return r
}

// shaperBurst sets best's capacity to what the first refusal allows at the drain rate the
// shaper's delays time (more precise than the rate its refusals alone give, which trades
// capacity for rate over a short run), when a bucket of that capacity explains the attempts
// as well.
func shaperBurst(s *series, best *fit, rate float64) {
	q, ok := newTBSearch(s, best.cr)
	if !ok {
		return
	}
	if b := q.bFor(rate); q.eval(rate, b) <= best.m {
		best.burst = b
	}
}

// chargeFunc returns what an attempt takes from dimension d's budget when admitted, for the
// header refill line; with generated, the output is left out (charged as generated).
func chargeFunc(d ratelimit.Dimension, pre, cr, generated bool) func(e *event) float64 {
	return func(e *event) float64 {
		switch {
		case e.out == outLimit && d == ratelimit.Requests && cr:
			return 1
		case e.out != outOK:
			return 0
		}
		switch d {
		case ratelimit.Requests:
			return 1
		case ratelimit.InputTokens:
			return float64(e.in)
		case ratelimit.OutputTokens:
			switch {
			case pre:
				return float64(e.maxTok)
			case generated:
				return 0
			}
			return float64(e.gen)
		default:
			switch {
			case pre:
				return float64(e.in + e.maxTok)
			case generated:
				return float64(e.in)
			}
			return float64(e.in + e.gen)
		}
	}
}

// choosePre decides the output accounting from the two variants' fits (actual output charged
// after admission vs max_tokens up front): the one with clearly fewer mispredictions, else the
// one whose header refill line has clearly smaller residuals; nil when neither is clear.
func choosePre(actual, pre []fit, ra refill, raOK bool, rp refill, rpOK bool) *bool {
	yes, no := true, false
	if len(actual) > 0 && len(pre) > 0 {
		ma, mp := actual[0].m, pre[0].m
		margin := 2
		switch {
		case mp+margin <= ma:
			return &yes
		case ma+margin <= mp:
			return &no
		}
	}
	if raOK && rpOK && ra.sigma > 0 && rp.sigma > 0 {
		switch {
		case rp.sigma < 0.5*ra.sigma:
			return &yes
		case ra.sigma < 0.5*rp.sigma:
			return &no
		}
	}
	return nil
}

// poorFit reports whether a fit mispredicts more than a tenth of the refusals (beyond the
// tolerance for near-simultaneous attempts): then it explains nothing.
func poorFit(f *fit, n, refused int) bool {
	return float64(f.m) > math.Max(float64(2*tolerance(n, refused)), 0.1*float64(refused)+1)
}

// sharedWindow reads from the headers what the window models need beyond the attempts, for
// the requests dimension: the quota the headers state, when they state one limit throughout
// and the window it is counted over (IETF w=; a per-minute limit over a window of 10 s says
// nothing of its quota), and what others had taken from the window in progress before the
// first attempt (its answer's limit − remaining − its own request), which leaves the first
// window short of it.
func sharedWindow(tl *timeline, hs hdrStats, d ratelimit.Dimension) (pre, q float64) {
	if d != ratelimit.Requests || len(hs.limits) != 1 || hs.limit < 1 || hs.windowS <= 0 || perMinute(hs.dialect) || len(tl.events) == 0 {
		return 0, 0
	}
	e := &tl.events[0]
	if h := &e.hdr[d]; e.out == outOK && e.has(d, ratelimit.HasLimit|ratelimit.HasRemaining) && h.limit == hs.limit {
		pre = float64(max(h.limit-h.rem-1, 0))
	}
	return pre, float64(hs.limit)
}
