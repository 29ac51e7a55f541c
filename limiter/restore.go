package limiter

import (
	"fmt"
	"time"

	"github.com/ratelab/ratelab/internal/exact"
)

// State is a limiter's state at an instant, in nanoseconds, as a store that decides elsewhere
// keeps it (limiter/redislimit's script): enough for Restore to build the limiter that answers
// as the one that reached it. Which fields count depends on the algorithm:
//
//   - token bucket: Whole + Frac/Window tokens; leaky bucket: a backlog of Whole + Frac/Window;
//   - GCRA: the theoretical arrival time TAT + TATNum/Limit (TAT Unset before the first request);
//   - fixed window: the window opened at Start holding Count;
//   - sliding window counter: the window opened at Start holding Curr, the one before it Prev.
//
// The sliding log keeps every entry, which a State does not hold: Restore refuses it.
type State struct {
	Whole, Frac              int64
	TAT, TATNum              int64
	Start, Count, Prev, Curr int64
}

// Unset is the instant of a State that has not been seen (a GCRA before its first request).
const Unset = exact.Unset

// Restore returns a limiter of config c in state s as of the instant at: from then on it makes
// the decisions, header values included, of the limiter that reached s.
func Restore(c Config, at time.Time, s State) (Limiter, error) {
	l, err := New(c)
	if err != nil {
		return nil, err
	}
	t := at.UnixNano()
	switch x := l.(type) {
	case *tokenBucket:
		x.whole, x.frac, x.last = s.Whole, s.Frac, t
	case *leakyBucket:
		x.whole, x.frac, x.last = s.Whole, s.Frac, t
	case *gcra:
		x.tat, x.last = exact.Stamp{NS: s.TAT, Num: s.TATNum}, t
	case *fixedWindow:
		x.start, x.count, x.last = s.Start, s.Count, t
	case *slidingWindow:
		x.start, x.prev, x.curr, x.last = s.Start, s.Prev, s.Curr, t
	default:
		return nil, fmt.Errorf("limiter: Restore: the %s keeps every entry, which a State does not hold", c.Algorithm)
	}
	return l, nil
}
