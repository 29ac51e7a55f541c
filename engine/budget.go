package engine

import (
	"sync/atomic"
	"time"
)

// Budget bounds a run. Zero fields do not bound it.
type Budget struct {
	MaxRequests int64         // HTTP attempts
	MaxDuration time.Duration // of run time, since the run started
	Tokens      int64         // input plus output tokens consumed, from usage
	// Unconfirmed caps attempts to a non-loopback host the user did not confirm.
	Unconfirmed int64
}

// Remaining is what is left of b after attempts attempts, tokens tokens and elapsed of run
// time, for the next engine; the Stop says which bound is spent (zero while none is). The
// Unconfirmed bound names host.
func (b Budget) Remaining(attempts, tokens int64, elapsed time.Duration, host string) (Budget, Stop) {
	left := b
	if m := b.MaxRequests; m > 0 {
		if left.MaxRequests = m - attempts; left.MaxRequests <= 0 {
			return left, Stop{Kind: StopMaxRequests, Limit: m}
		}
	}
	if t := b.Tokens; t > 0 {
		if left.Tokens = t - tokens; left.Tokens <= 0 {
			return left, Stop{Kind: StopTokens, Limit: t, Consumed: tokens}
		}
	}
	if d := b.MaxDuration; d > 0 && elapsed >= d {
		return left, Stop{Kind: StopMaxDuration, After: d}
	}
	if u := b.Unconfirmed; u > 0 {
		if left.Unconfirmed = u - attempts; left.Unconfirmed <= 0 {
			return left, Stop{Kind: StopUnconfirmed, Limit: u, Host: host}
		}
	}
	return left, Stop{}
}

// Guard enforces a Budget's attempt and token bounds as attempts are made; both engines keep
// one. It is safe for concurrent use. (Run time is the engine's to watch: a timer live, the
// event clock in virtual time.)
type Guard struct {
	budget   Budget
	host     string
	reserved atomic.Int64
	tokens   atomic.Int64
}

// NewGuard returns a guard of b; host is named when the Unconfirmed bound stops a run.
func NewGuard(b Budget, host string) *Guard { return &Guard{budget: b, host: host} }

// Reserve claims the right to send one attempt: the zero Stop to send it, else the bound it
// would cross.
func (g *Guard) Reserve() Stop {
	n := g.reserved.Add(1)
	if m := g.budget.MaxRequests; m > 0 && n > m {
		return Stop{Kind: StopMaxRequests, Limit: m}
	}
	if m := g.budget.Unconfirmed; m > 0 && n > m {
		return Stop{Kind: StopUnconfirmed, Limit: m, Host: g.host}
	}
	return Stop{}
}

// Consume adds the tokens of one response: the zero Stop while the token bound holds, else
// StopTokens with what was consumed.
func (g *Guard) Consume(in, out int64) Stop {
	if in == 0 && out == 0 {
		return Stop{}
	}
	total := g.tokens.Add(in + out)
	if b := g.budget.Tokens; b > 0 && total >= b {
		return Stop{Kind: StopTokens, Limit: b, Consumed: total}
	}
	return Stop{}
}

// Admit claims one attempt: true to send it; when the budget does not allow it, false after
// calling stop with the bound reached.
func (g *Guard) Admit(stop func(Stop)) bool {
	if why := g.Reserve(); why.Stopped() {
		stop(why)
		return false
	}
	return true
}

// Charge adds the tokens of one response and calls stop when the token budget is spent.
func (g *Guard) Charge(in, out int64, stop func(Stop)) {
	if why := g.Consume(in, out); why.Stopped() {
		stop(why)
	}
}
