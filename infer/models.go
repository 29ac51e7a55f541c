package infer

import "math"

// series is one dimension's view of a timeline for replaying limiter models: the admitted (2xx)
// and refused (429) attempts in order of sending, with what each costs in the dimension's units.
// Attempts refused by another dimension and attempts that never reached a limiter are left out.
type series struct {
	t   []float64 // send times, non-decreasing
	acc []bool    // admitted
	// adm is what the limiter must hold for an attempt to pass (nil: 1 each); chg is what an
	// admitted attempt takes (nil: 1 each). They differ for output tokens charged after the
	// fact: such a request passes while the budget is not in debt (adm 0) and takes its output.
	adm, chg []float64
	// rejChg is what a refused attempt takes when refusals consume quota.
	rejChg float64
	lat    []float64 // latency of each attempt, seconds
	// win is how long after sending each attempt the server may have decided it: its latency,
	// but no more than a few times a refusal's (a refusal is answered at once, while a shaper
	// answers an admission only after its queueing delay); nil: at once.
	win []float64
	// charges counts the entries that are charges of generated output, no attempt (isCharge).
	charges int
	// pre is what other clients had taken from the window in progress before the first
	// attempt (the first answer's limit − remaining − its own cost), for the window models;
	// hdrQ is the quota the headers state (their one limit), 0 when they state none. A count
	// seen in a window shared with others is only a lower bound on the quota.
	pre, hdrQ float64
}

func (s *series) len() int { return len(s.t) }

// window is how long after sending attempt i the server may have decided it.
func (s *series) window(i int) float64 {
	if s.win == nil {
		return 0
	}
	return s.win[i]
}

func (s *series) admCost(i int) float64 {
	if s.adm == nil {
		return 1
	}
	return s.adm[i]
}

func (s *series) chgCost(i int) float64 {
	if s.chg == nil {
		return 1
	}
	return s.chg[i]
}

// eps absorbs float rounding in the models' comparisons.
const eps = 1e-9

// Replaying a model: each attempt is scored against what the model predicts (pass or refuse),
// but the model's state always follows what the server did (an admitted attempt is charged even
// where the model would have refused it), so one wrong prediction does not cascade. The count
// of wrong predictions is the model's mismatch; with exact data and the right model and
// parameters it is zero.
//
// The server decided an attempt at some instant between its sending and its answer, which the
// record does not tell; an admission counts as predicted when the model would pass it at the
// end of that span (the limiter only gets more generous as time passes, short of a boundary),
// and a refusal when the model would refuse it when it was sent. Loopback answers come within a
// millisecond, so this costs little precision, and it spares live runs on a busy machine the
// mispredictions of attempts that met the limit exactly.

// tbMismatch replays a token bucket of capacity b refilling at r per second, full at the first
// attempt (a rested state): tokens = min(b, tokens + r·Δt); an attempt passes iff tokens ≥ its
// admission cost. With cr, refused attempts take rejChg too (the bucket may go into debt). A
// GCRA makes the same decisions, and a leaky bucket (nginx limit_req) admits exactly as a token
// bucket of capacity burst+1.
//
//go:norace
//go:nocheckptr
func tbMismatch(s *series, r, b float64, cr bool) int {
	if s.len() == 0 {
		return 0
	}
	tok, last, m := b, s.t[0], 0
	for i, t := range s.t {
		tok = math.Min(b, tok+r*(t-last))
		last = t
		need := s.admCost(i)
		if s.acc[i] {
			if math.Min(b, tok+r*s.window(i)) < need-eps {
				m++
			}
			tok -= s.chgCost(i)
		} else {
			if tok >= need-eps {
				m++
			}
			if cr {
				tok -= s.rejChg
			}
		}
	}
	return m
}

// tbViolation replays like tbMismatch and also sums how far each misprediction was from the
// threshold, in units: a smooth measure of misfit that lets a coarse search find the basin
// where the mismatch count drops to zero (a narrow one when the data are precise).
//
//go:norace
//go:nocheckptr
func tbViolation(s *series, r, b float64, cr bool) (int, float64) {
	if s.len() == 0 {
		return 0, 0
	}
	tok, last, m, v := b, s.t[0], 0, 0.0
	for i, t := range s.t {
		tok = math.Min(b, tok+r*(t-last))
		last = t
		need := s.admCost(i)
		pass := tok >= need-eps
		if s.acc[i] {
			if end := math.Min(b, tok+r*s.window(i)); end < need-eps {
				m++
				v += need - end
			}
			tok -= s.chgCost(i)
		} else {
			if pass {
				m++
				v += tok - need + 1
			}
			if cr {
				tok -= s.rejChg
			}
		}
	}
	return m, v
}

// tbTokens replays the bucket like tbMismatch and returns, for each admitted attempt, the
// tokens it found (for the leaky-bucket delay test: a shaper delays an attempt by (b−tokens)/r).
func tbTokens(s *series, r, b float64, cr bool, out []float64) []float64 {
	out = out[:0]
	if s.len() == 0 {
		return out
	}
	tok, last := b, s.t[0]
	for i, t := range s.t {
		tok = math.Min(b, tok+r*(t-last))
		last = t
		out = append(out, tok)
		if s.acc[i] {
			tok -= s.chgCost(i)
		} else if cr {
			tok -= s.rejChg
		}
	}
	return out
}

// fwMismatch replays a fixed window of q units per window of w seconds, the windows starting
// at phi + k·w: an attempt passes iff the window's count + its cost ≤ q. Refusals that consume
// quota change nothing here (they only happen in a full window), so there is no cr variant.
//
//go:norace
//go:nocheckptr
func fwMismatch(s *series, q, w, phi float64) int {
	cur, count, m := math.Inf(-1), 0.0, 0
	for i, t := range s.t {
		if k := math.Floor((t - phi) / w); k != cur {
			cur, count = k, 0
			if i == 0 {
				count = s.pre
			}
		}
		pass := count+s.admCost(i) <= q+eps
		if s.acc[i] {
			// Or decided after a boundary that came before its answer.
			if !pass && math.Floor((t+s.window(i)-phi)/w) == cur {
				m++
			}
			count += s.chgCost(i)
		} else if pass {
			m++
		}
	}
	return m
}

// Roundings of the counter's previous-window share (limiter.CounterRounding).
const (
	roundFloor      uint8 = iota // floor(share)
	roundHalfUp                  // floor(share + ½)
	roundFractional              // the share as it is
	numRoundings
)

var roundingNames = [numRoundings]string{"rounded down", "rounded half up", "kept fractional"}

// swMismatch replays Cloudflare's sliding window counter as the mock runs it: windows of w
// seconds starting at phi + k·w, estimate = share(prev·(w − elapsed)/w) + curr, the previous
// window's share rounded as rd says; an attempt passes iff estimate + cost ≤ q.
//
//go:norace
//go:nocheckptr
func swMismatch(s *series, q, w, phi float64, cr bool, rd uint8) int {
	if s.adm == nil && s.chg == nil {
		return swMismatchUnit(s, q, w, phi, cr, rd)
	}
	win, m := newCounterWalk(w, phi), 0
	for i, t := range s.t {
		k := win.at(t)
		elapsed := t - (phi + k*w)
		est := swShare(win.prev, w, elapsed, rd) + win.curr
		pass := est+s.admCost(i) <= q+eps
		if s.acc[i] {
			if !pass && !swPassesLater(win.prev, win.curr, q, s.admCost(i), w, elapsed+s.window(i), rd) {
				m++
			}
			win.curr += s.chgCost(i)
		} else {
			if pass {
				m++
			}
			if cr {
				win.curr += s.rejChg
			}
		}
	}
	return m
}

// roundingHalf is the rounding's term h of the admission rule share ≤ T ⇔ prev·(w − e) <
// (T + h)·w: 1 rounding down, ½ half up, 0 fractional (there ≤).
func roundingHalf(rd uint8) float64 {
	switch rd {
	case roundHalfUp:
		return 0.5
	case roundFractional:
		return 0
	}
	return 1
}

// swMismatchUnit is swMismatch for attempts that cost one unit each, the hot loop of fitting
// the counter: the admission rule without a division (prev·(w − e) against (T + h)·w, with
// T = q − curr − 1 the room the share may fill) and the window's end followed instead of
// recomputed.
//
//go:norace
//go:nocheckptr
func swMismatchUnit(s *series, q, w, phi float64, cr bool, rd uint8) int {
	if s.len() == 0 {
		return 0
	}
	h := roundingHalf(rd)
	frac := rd == roundFractional
	// fits reports whether a share of prev with left of the window still to run leaves room.
	fits := func(prev, left, T float64) bool {
		if T < -eps {
			return false
		}
		if frac {
			return prev*left <= T*w+eps*w
		}
		return prev*left < (T+h)*w-eps*w
	}
	end := phi + (math.Floor((s.t[0]-phi)/w)+1)*w
	prev, curr, m := 0.0, 0.0, 0
	for i, t := range s.t {
		if t >= end {
			next := end + w
			if t < next {
				prev = curr
			} else {
				prev = 0
				next = phi + (math.Floor((t-phi)/w)+1)*w
			}
			end, curr = next, 0
		}
		pass := fits(prev, end-t, q-curr-1)
		if s.acc[i] {
			if !pass {
				// Decided up to a latency later: in this window, or in the next.
				d := t + s.window(i)
				switch {
				case d < end:
					pass = fits(prev, end-d, q-curr-1)
				case d < end+w:
					pass = fits(curr, end+w-d, q-1)
				default:
					pass = q >= 1
				}
				if !pass {
					m++
				}
			}
			curr++
		} else {
			if pass {
				m++
			}
			if cr {
				curr += s.rejChg
			}
		}
	}
	return m
}

// swPassesLater reports whether the counter would pass a request of cost c at elapsed e into
// the current window (past its end, the previous count becomes curr and curr starts afresh).
func swPassesLater(prev, curr, q, c, w, e float64, rd uint8) bool {
	switch {
	case e < w:
		return swShare(prev, w, e, rd)+curr+c <= q+eps
	case e < 2*w:
		return swShare(curr, w, e-w, rd)+c <= q+eps
	}
	return c <= q+eps
}

// swShare is the previous window's share of the counter's estimate at elapsed e,
// prev·(w − e)/w, rounded as rd says.
func swShare(prev, w, e float64, rd uint8) float64 {
	x := prev * (w - e) / w
	switch rd {
	case roundHalfUp:
		return math.Floor(x + 0.5 + eps)
	case roundFractional:
		return x
	}
	return math.Floor(x + eps)
}

// swQuota is what a counter of quota q admits per window under saturation: q, or q − 1 when
// the share is kept fractional (it never reaches zero before the window ends; a quota of one
// admits one every other window).
func swQuota(q float64, rd uint8) float64 {
	if rd == roundFractional {
		return math.Max(q-1, 0.5)
	}
	return q
}

// slGaps computes, for the sliding log with q units per window, each attempt's gap g: the time
// since the entry that must leave the window for the attempt to fit, i.e. the q-th most recent
// charged unit before it (+Inf when fewer than q units were charged). The log passes an
// attempt iff g ≥ w (entries at exactly t − w have left), so every w is scored from the gaps
// alone. Only unit costs are supported (the requests dimension).
func slGaps(s *series, q int, cr bool, out []float64) []float64 {
	out = out[:0]
	var log []float64 // charged instants, oldest first
	for i, t := range s.t {
		g := math.Inf(1)
		if n := len(log); n >= q {
			g = t - log[n-q]
		}
		out = append(out, g)
		if s.acc[i] || cr {
			log = append(log, t)
		}
	}
	return out
}

// counterWalk follows a sliding window counter's windows of w seconds from phi + k·w through
// instants in order: the previous window's count and the current one's (the caller adds to curr).
type counterWalk struct {
	w, phi     float64
	k          float64 // current window's index
	prev, curr float64
}

func newCounterWalk(w, phi float64) counterWalk {
	return counterWalk{w: w, phi: phi, k: math.Inf(-1)}
}

// at moves to the window holding t and returns its index: the current count becomes the
// previous one when t is in the next window, and both restart when windows were skipped.
func (c *counterWalk) at(t float64) float64 {
	k := math.Floor((t - c.phi) / c.w)
	if k != c.k {
		if k == c.k+1 {
			c.prev = c.curr
		} else {
			c.prev = 0
		}
		c.k, c.curr = k, 0
	}
	return k
}
