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
	lo, hi := time.Duration(math.MinInt64), time.Duration(math.MaxInt64)
	var mids []time.Duration
	for i := range attempts {
		a := &attempts[i]
		if !a.HasServerDate || a.ClientRejected {
			continue
		}
		date := a.ServerDate.Sub(started)
		l, h := date-a.End(), date+time.Second-a.Sent
		lo, hi = max(lo, l), min(hi, h)
		mids = append(mids, l+(h-l)/2)
	}
	if len(mids) == 0 {
		return c, false
	}
	c.Dates = len(mids)
	if lo <= hi {
		c.Offset, c.Error, c.Consistent = lo+(hi-lo)/2, (hi-lo)/2, true
		return c, true
	}
	slices.Sort(mids)
	c.Offset, c.Error = mids[len(mids)/2], lo-hi
	return c, true
}
