package account

import "time"

// Acceleration is ratelab's model of acceleration limits: Anthropic documents 429s "if your
// organization has a sharp increase in usage", even below the published limits, without
// figures. This model is ratelab's, not the provider's: a key (in one pool) may send at most
// Factor times as many requests in a window as in the window before, and always at least
// Floor; more is refused with an ordinary rate-limit 429 until the window ends. Ramping up by
// less than Factor per Window never trips it.
type Acceleration struct {
	// Factor is the largest growth from one window to the next (2: doubling); 0 turns the
	// model off.
	Factor float64 `yaml:"factor"`
	// Window is the period compared (default 1m).
	Window time.Duration `yaml:"window,omitempty"`
	// Floor is the requests a window may always hold, however quiet the one before (default 60).
	Floor int64 `yaml:"floor,omitempty"`
}

// DefaultAccelerationFloor is the requests per window the acceleration model always allows.
const DefaultAccelerationFloor = 60

func (a *Acceleration) on() bool { return a != nil && a.Factor > 0 }

// accelCounter counts one key's requests in the current and the previous window.
type accelCounter struct {
	start     time.Time // the current window's start; zero before the first request
	cur, prev int64
}

// check reports whether one more request fits at now under model a, and the wait until the
// window ends when it does not; admitted requests are counted with count.
func (c *accelCounter) check(a *Acceleration, now time.Time) (bool, time.Duration) {
	w := a.Window
	if w <= 0 {
		w = time.Minute
	}
	switch {
	case c.start.IsZero():
		c.start = now
	case now.Sub(c.start) >= 2*w:
		c.start, c.cur, c.prev = now, 0, 0
	case now.Sub(c.start) >= w:
		c.start, c.prev, c.cur = c.start.Add(w), c.cur, 0
	}
	floor := a.Floor
	if floor <= 0 {
		floor = DefaultAccelerationFloor
	}
	allowed := max(floor, int64(a.Factor*float64(c.prev)))
	if c.cur+1 > allowed {
		return false, c.start.Add(w).Sub(now)
	}
	return true, 0
}

func (c *accelCounter) count() { c.cur++ }
