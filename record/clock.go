package record

import (
	"math"
	"slices"
	"time"
)

// ClockOffset is how far a server's clock was ahead of the clock that timed a run (server −
// local), estimated from the Date headers of its attempts.
type ClockOffset struct {
	Offset time.Duration
	// Error bounds the estimate: the true offset lies within Offset ± Error when the headers
	// agree (Consistent).
	Error time.Duration
	// Dates is the number of attempts with a Date header.
	Dates int
	// Consistent reports whether every header fits one constant offset; when not (a server
	// clock stepped, or several servers disagree), Offset is the median of each attempt's own
	// estimate.
	Consistent bool
}

// EstimateClockOffset estimates the offset of the server clock behind attempts from their Date
// headers, started being when the run's second 0 was on the local clock. A Date header holds
// the server's time truncated to the second, read somewhere between the attempt's send and the
// end of its response, so each attempt bounds the offset to
// [Date − end, Date + 1 s − sent]; the bounds of all attempts intersect to a window usually far
// narrower than a second. ok is false without a Date header.
func EstimateClockOffset(started time.Time, attempts []Attempt) (c ClockOffset, ok bool) {
	base := float64(started.UnixNano()) / 1e9
	lo, hi := math.Inf(-1), math.Inf(1)
	var mids []float64
	for i := range attempts {
		a := &attempts[i]
		if !a.HasServerDate || a.ClientRejected {
			continue
		}
		sent, end := base+a.SentS, base+a.EndS()
		l, h := a.ServerDateS-end, a.ServerDateS+1-sent
		lo, hi = max(lo, l), min(hi, h)
		mids = append(mids, (l+h)/2)
	}
	if len(mids) == 0 {
		return c, false
	}
	c.Dates = len(mids)
	if lo <= hi {
		c.Offset, c.Error, c.Consistent = seconds((lo+hi)/2), seconds((hi-lo)/2), true
		return c, true
	}
	slices.Sort(mids)
	c.Offset, c.Error = seconds(mids[len(mids)/2]), seconds(lo-hi)
	return c, true
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
