package probe

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// counters are the run's live totals, updated by every attempt.
type counters struct {
	attempts    atomic.Int64
	ok          atomic.Int64 // 2xx
	rateLimited atomic.Int64 // 429
	overloaded  atomic.Int64 // 529
	serverError atomic.Int64 // every 5xx, 529 included
	other       atomic.Int64 // any status not 2xx, 429 or 529
	transport   atomic.Int64 // status 0
	rejected    atomic.Int64 // refused locally by the policy
	inflight    atomic.Int64
	dropped     atomic.Int64
	late        atomic.Int64

	inputTokens  atomic.Int64
	outputTokens atomic.Int64

	mu      sync.Mutex
	limits  [ratelimit.NumDimensions]ratelimit.State
	seen    [ratelimit.NumDimensions]time.Duration // when each dimension was last seen (run time)
	dialect ratelimit.Dialect
}

// count adds one finished attempt.
func (c *counters) count(a *record.Attempt, at time.Duration) {
	if a.ClientRejected {
		c.rejected.Add(1)
		return
	}
	c.attempts.Add(1)
	switch engine.Classify(a) {
	case engine.ClassTransport:
		c.transport.Add(1)
	case engine.ClassOK:
		c.ok.Add(1)
	case engine.ClassRateLimited:
		c.rateLimited.Add(1)
	case engine.ClassOverloaded:
		c.overloaded.Add(1)
		c.serverError.Add(1)
	case engine.ClassServerError:
		c.other.Add(1)
		c.serverError.Add(1)
	default:
		c.other.Add(1)
	}
	if a.Dialect == ratelimit.DialectNone {
		return
	}
	c.mu.Lock()
	for d := range a.Limits {
		if a.Limits[d].Present() && at >= c.seen[d] {
			c.limits[d], c.seen[d] = a.Limits[d], at
		}
	}
	c.dialect = a.Dialect
	c.mu.Unlock()
}

// Stats returns the run's totals so far. It is safe to call while phases run.
func (e *Engine) Stats() engine.Stats {
	c := &e.stats
	s := engine.Stats{
		Elapsed:         e.Elapsed(),
		Attempts:        c.attempts.Load(),
		OK:              c.ok.Load(),
		RateLimited:     c.rateLimited.Load(),
		Overloaded:      c.overloaded.Load(),
		ServerErrors:    c.serverError.Load(),
		Other:           c.other.Load(),
		TransportErrors: c.transport.Load(),
		Rejected:        c.rejected.Load(),
		Inflight:        c.inflight.Load(),
		Dropped:         c.dropped.Load(),
		Late:            c.late.Load(),
		InputTokens:     c.inputTokens.Load(),
		OutputTokens:    c.outputTokens.Load(),
	}
	c.mu.Lock()
	s.Limits, s.Dialect = c.limits, c.dialect
	c.mu.Unlock()
	return s
}
