package infer

import "math"

// pooledSlope is a least-squares slope pooled over separate runs of points: each run of three
// points or more is centred on its own means, so each has an intercept of its own and only the
// slope is shared (a refill line read between refusals, a shaper's completions between pauses).
type pooledSlope struct {
	sxy, sxx, syy float64 // sums of the centred products
	sdx           float64 // Σ|x − mean| over the runs
	n, runs       int     // points and runs counted
	span          float64 // Σ of each run's x extent
	xs, ys        []float64
}

// add appends a point to the current run.
func (p *pooledSlope) add(x, y float64) {
	p.xs = append(p.xs, x)
	p.ys = append(p.ys, y)
}

// endRun closes the current run, counting it when it has three points or more.
func (p *pooledSlope) endRun() {
	xs, ys := p.xs, p.ys
	p.xs, p.ys = xs[:0], ys[:0]
	if len(xs) < 3 {
		return
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(xs))
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		p.sxy += dx * dy
		p.sxx += dx * dx
		p.syy += dy * dy
		p.sdx += math.Abs(dx)
	}
	p.n += len(xs)
	p.runs++
	p.span += xs[len(xs)-1] - xs[0]
}

// slope is Σdx·dy / Σdx², with the residual sum of squares and the degrees of freedom left
// (one intercept per run, one slope).
func (p *pooledSlope) slope() (slope, rss, dof float64) {
	slope = p.sxy / p.sxx
	return slope, math.Max(p.syy-slope*p.sxy, 0), float64(p.n - p.runs - 1)
}

// bisectEdge narrows the boundary between good (where ok holds) and bad (where it does not)
// by halving, at most n times or until they are within tol, and returns the good end.
func bisectEdge(good, bad float64, ok func(float64) bool, n int, tol float64) float64 {
	for range n {
		mid := (good + bad) / 2
		if ok(mid) {
			good = mid
		} else {
			bad = mid
		}
		if math.Abs(bad-good) <= tol {
			break
		}
	}
	return good
}

// studentT returns the two-sided quantile t of Student's t distribution with dof degrees of
// freedom (rounded down, at least one) for coverage conf: P(|T| ≤ t) = conf. With few points
// the residuals understate the noise, and a normal quantile claims more than they show.
func studentT(conf, dof float64) float64 {
	nu := min(max(int(dof), 1), 5000) // beyond, the normal's to a part in a thousand
	lo, hi := 0.0, 1.0
	for tCoverage(hi, nu) < conf {
		lo, hi = hi, 2*hi
	}
	for range 60 {
		mid := (lo + hi) / 2
		if tCoverage(mid, nu) < conf {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// tCoverage is P(|T| ≤ t) for Student's t with nu degrees of freedom, from the finite series
// for whole nu (Abramowitz and Stegun 26.7.3 and 26.7.4), with θ = atan(t/√nu).
func tCoverage(t float64, nu int) float64 {
	th := math.Atan(t / math.Sqrt(float64(nu)))
	s, c := math.Sin(th), math.Cos(th)
	if nu%2 == 0 {
		sum, term := 1.0, 1.0
		for k := 2; k <= nu-2; k += 2 {
			term *= float64(k-1) / float64(k) * c * c
			sum += term
		}
		return s * sum
	}
	if nu == 1 {
		return 2 * th / math.Pi
	}
	sum, term := c, c
	for k := 3; k <= nu-2; k += 2 {
		term *= float64(k-1) / float64(k) * c * c
		sum += term
	}
	return 2 / math.Pi * (th + s*sum)
}
