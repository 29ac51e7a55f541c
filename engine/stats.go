package engine

import (
	"time"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// Stats is a snapshot of a run's totals, for progress lines, end-of-run tables and adaptive
// callers.
type Stats struct {
	Elapsed         time.Duration
	Attempts        int64 // HTTP attempts finished (local rejections excluded)
	OK              int64 // 2xx
	RateLimited     int64 // 429
	Overloaded      int64 // 529
	ServerErrors    int64 // every 5xx, 529 included
	Other           int64 // statuses other than 2xx, 429 and 529
	TransportErrors int64 // no HTTP status: refused, reset, timed out
	Rejected        int64 // refused locally by the policy, never sent
	Inflight        int64
	Dropped         int64 // open-model hits never sent: the generator was behind when its phase ended
	Late            int64 // attempts sent more than record.LateThreshold after they were due
	InputTokens     int64
	OutputTokens    int64
	// Limits holds the last-seen state of each dimension (Present() false when never seen).
	Limits  [ratelimit.NumDimensions]ratelimit.State
	Dialect ratelimit.Dialect
}

// Class is what one attempt counts as in the totals.
type Class uint8

// The classes of attempt.
const (
	ClassRejected    Class = iota // refused locally by the policy, never sent
	ClassTransport                // no HTTP status
	ClassOK                       // 2xx
	ClassRateLimited              // 429
	ClassOverloaded               // 529 (a server error too)
	ClassServerError              // another 5xx (counted as other too)
	ClassOther                    // any other status
)

// Classify says what a counts as.
func Classify(a *record.Attempt) Class {
	switch s := a.Status; {
	case a.ClientRejected:
		return ClassRejected
	case s == 0:
		return ClassTransport
	case s >= 200 && s < 300:
		return ClassOK
	case s == 429:
		return ClassRateLimited
	case s == 529:
		return ClassOverloaded
	case s >= 500:
		return ClassServerError
	}
	return ClassOther
}

// Count adds one finished attempt to the totals, and its rate-limit state to the last seen.
func (s *Stats) Count(a *record.Attempt) {
	switch Classify(a) {
	case ClassRejected:
		s.Rejected++
		return
	case ClassTransport:
		s.TransportErrors++
	case ClassOK:
		s.OK++
	case ClassRateLimited:
		s.RateLimited++
	case ClassOverloaded:
		s.Overloaded++
		s.ServerErrors++
	case ClassServerError:
		s.Other++
		s.ServerErrors++
	case ClassOther:
		s.Other++
	}
	s.Attempts++
	if a.Dialect != ratelimit.DialectNone {
		for d := range a.Limits {
			if a.Limits[d].Present() {
				s.Limits[d] = a.Limits[d]
			}
		}
		s.Dialect = a.Dialect
	}
}

// Add adds the counts of another engine's totals; the last-seen limits are o's when it saw any.
func (s *Stats) Add(o Stats) {
	s.Attempts += o.Attempts
	s.OK += o.OK
	s.RateLimited += o.RateLimited
	s.Overloaded += o.Overloaded
	s.ServerErrors += o.ServerErrors
	s.Other += o.Other
	s.TransportErrors += o.TransportErrors
	s.Rejected += o.Rejected
	s.Dropped += o.Dropped
	s.Late += o.Late
	s.InputTokens += o.InputTokens
	s.OutputTokens += o.OutputTokens
	for d := range o.Limits {
		if o.Limits[d].Present() {
			s.Limits, s.Dialect = o.Limits, o.Dialect
			break
		}
	}
}
