package account

import (
	"sync"
	"time"

	"github.com/ratelab/ratelab/limiter"
)

// dailyBudget is one key's daily and terminal state in one pool.
type dailyBudget struct {
	mu               sync.Mutex
	requests, tokens dailyLimiter // nil when the limit is off
	admitted         int64        // requests admitted, for TerminalAfter
	accel            accelCounter
}

// dailyLimiter is what a daily limit needs of a limiter.
type dailyLimiter interface {
	Charge(now time.Time, n int64)
	Peek(now time.Time) limiter.Decision
}

// calendarDay counts a daily quota that resets at a calendar instant (Gemini's midnight
// Pacific): next returns the first reset after an instant.
type calendarDay struct {
	limit, used int64
	until       time.Time // the next reset; zero before the first use
	next        func(time.Time) time.Time
}

func (c *calendarDay) roll(now time.Time) {
	if c.until.IsZero() || !now.Before(c.until) {
		c.used, c.until = 0, c.next(now)
	}
}

// Charge counts n units at now.
func (c *calendarDay) Charge(now time.Time, n int64) {
	c.roll(now)
	c.used += n
}

// Peek returns the quota left at now and the time until the reset.
func (c *calendarDay) Peek(now time.Time) limiter.Decision {
	c.roll(now)
	wait := c.until.Sub(now)
	return limiter.Decision{Allowed: c.used < c.limit, Limit: c.limit, Remaining: max(c.limit-c.used, 0), Reset: wait, RetryAfter: wait}
}

func newDaily(c *Class) (*dailyBudget, error) {
	d := &dailyBudget{}
	alg := c.DailyAlgorithm
	if alg == "" {
		alg = limiter.FixedWindow
	}
	for _, x := range []struct {
		n   int64
		dst *dailyLimiter
	}{{c.RequestsPerDay, &d.requests}, {c.TokensPerDay, &d.tokens}} {
		if x.n <= 0 {
			continue
		}
		if c.DailyReset != nil && alg == limiter.FixedWindow {
			*x.dst = &calendarDay{limit: x.n, next: c.DailyReset}
			continue
		}
		l, err := limiter.New(limiter.Config{Algorithm: alg, Limit: x.n, Window: 24 * time.Hour, Burst: x.n})
		if err != nil {
			return nil, err
		}
		*x.dst = l
	}
	return d, nil
}

// dailyCheck returns the cause of a terminal refusal ("" when none): the terminal quota after
// TerminalAfter requests, else an exhausted daily limit, with the limit's dimension name, its
// value and the time until it admits again.
func (p *providerState) dailyCheck(now time.Time, d *dailyBudget, cl *Class, call *Call) (cause, dim string, limit int64, retry time.Duration) {
	if n := p.cfg.TerminalAfter; n > 0 && d.admitted >= n {
		cause := p.cfg.TerminalCause
		if cause == "" {
			cause = CauseSpendCap
		}
		if cause != CauseDailyQuota {
			return cause, "", n, 0
		}
		return cause, "rpd", n, 24 * time.Hour
	}
	if d.requests != nil {
		if dec := d.requests.Peek(now); dec.Remaining < 1 {
			return CauseDailyQuota, "rpd", cl.RequestsPerDay, max(dec.Reset, dec.RetryAfter)
		}
	}
	if d.tokens != nil {
		if dec := d.tokens.Peek(now); dec.Remaining < call.InputTokens+call.MaxTokens {
			return CauseDailyQuota, "tpd", cl.TokensPerDay, max(dec.Reset, dec.RetryAfter)
		}
	}
	return "", "", 0, 0
}
