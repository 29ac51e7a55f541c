package redislimit

import (
	"time"

	"github.com/ratelab/ratelab/internal/exact"
	"github.com/ratelab/ratelab/limiter"
)

// The script decides and returns each limiter's state in microseconds; the header values are
// computed here, in nanoseconds, by package limiter itself (limiter.Restore builds the limiter
// in that state), so that a decision through Redis equals the in-process limiter's at the same
// instant. The sliding log, whose entries stay in Redis, is the exception: its decision is
// recomputed from the window's sum and the entries the script names.

// state is one limiter's state at the instant of a decision.
type state interface {
	// decide answers a request of cost >= 0 as the in-process limiter's Allow would, and
	// returns the state after it (the cost taken when admitted).
	decide(cost int64) (limiter.Decision, state)
}

// record is one slot of the script's reply (see lua/3_main.lua).
type record struct {
	t, n        int64 // instant (µs) and the slot's write count
	fits, taken bool
	a, b, c, x  int64
}

// stateOf builds l's state from r, in nanoseconds; retry is the sliding log's retry entry
// (r.c for the op's cost, r.x for a zero cost after the op).
func (l *Limiter) stateOf(r record, retry int64) state {
	c, t := l.cfg, r.t*usec
	var s limiter.State
	switch l.code {
	case codeTokenBucket, codeLeakyBucket:
		s.Whole, s.Frac = r.a, r.b*usec
	case codeGCRA:
		s.TAT = limiter.Unset
		if r.a >= 0 {
			// tat + tnum/L µs = 1000·tat + 1000·tnum/L ns.
			num := r.b * usec
			s.TAT, s.TATNum = r.a*usec+num/c.Limit, num%c.Limit
		}
	case codeFixedWindow:
		s.Start, s.Count = r.a*usec, r.b
	case codeSlidingWindow:
		s.Start, s.Prev, s.Curr = r.a*usec, r.b, r.c
	default: // codeSlidingLog
		ls := logState{limit: c.Limit, window: int64(c.Window), cfgWindow: c.Window, t: t, sum: r.a, newest: exact.Unset, retry: exact.Unset}
		if r.b >= 0 {
			ls.newest = r.b * usec
		}
		if retry >= 0 {
			ls.retry = retry * usec
		}
		return ls
	}
	in, err := limiter.Restore(c, time.Unix(0, t), s)
	if err != nil {
		panic(err) // c was validated by limiter.New when l was made
	}
	return restored{in, time.Unix(0, t)}
}

// usec is nanoseconds per microsecond, Redis's clock resolution.
const usec = int64(time.Microsecond)

// restored is a limiter of package limiter restored to the script's state at its instant.
type restored struct {
	in limiter.Limiter
	at time.Time
}

func (r restored) decide(cost int64) (limiter.Decision, state) {
	return r.in.Allow(r.at, cost), r
}

// logState is what a decision of package limiter's sliding log needs: the window's sum, the
// newest entry's instant, and the instant of the entry whose expiry lets the request fit
// (found by the script, which holds the log).
type logState struct {
	limit, window int64
	cfgWindow     time.Duration
	t, sum        int64
	newest, retry int64 // exact.Unset when none
}

func (l logState) decide(cost int64) (limiter.Decision, state) {
	if cost <= l.limit-l.sum {
		if cost > 0 {
			l.sum = exact.AddSat(l.sum, cost)
			l.newest = l.t
		}
		d := l.state()
		d.Allowed = true
		return d, l
	}
	d := l.state()
	switch {
	case cost > l.limit:
		d.RetryAfter = limiter.NeverRetryAfter(d.Reset, l.cfgWindow)
	case l.retry != exact.Unset:
		d.RetryAfter = time.Duration(l.retry + l.window - l.t)
	}
	return d, l
}

func (l logState) state() limiter.Decision {
	d := limiter.Decision{Limit: l.limit, Remaining: max(l.limit-l.sum, 0)}
	if l.newest != exact.Unset {
		d.Reset = time.Duration(l.newest + l.window - l.t)
	}
	return d
}
