package limiter

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is a fixed instant on a whole minute (1_700_000_040 = 60 × 28_333_334), so epoch-aligned
// windows of 1 s … 1 min start at t0.
var t0 = time.Unix(1_700_000_040, 0)

// op is what a step does to the limiter.
type op int

const (
	allow op = iota
	charge
	peek
)

// step is one call at t0+at; want is checked for allow and peek.
type step struct {
	name string
	at   time.Duration
	op   op
	cost int64
	want Decision
}

// runSteps runs the steps in order on one fresh limiter; each is a named subtest.
func runSteps(t *testing.T, c Config, steps []step) {
	t.Helper()
	l, err := New(c)
	require.NoError(t, err)
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			now := t0.Add(s.at)
			switch s.op {
			case allow:
				assert.Equal(t, s.want, l.Allow(now, s.cost))
			case peek:
				assert.Equal(t, s.want, l.Peek(now))
			case charge:
				l.Charge(now, s.cost)
			}
		})
	}
}

// stepCase is a named sequence of steps on one fresh limiter; the algorithm is given per run.
type stepCase struct {
	name  string
	cfg   Config
	steps []step
}

// runCases runs each case as a named subtest on a fresh limiter of algorithm a.
func runCases(t *testing.T, a Algorithm, cases []stepCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.Algorithm = a
			runSteps(t, c, tc.steps)
		})
	}
}

// ok and no build the expected decisions compactly.
func ok(limit, remaining int64, reset time.Duration) Decision {
	return Decision{Allowed: true, Limit: limit, Remaining: remaining, Reset: reset}
}

func no(limit, remaining int64, reset, retryAfter time.Duration) Decision {
	return Decision{Limit: limit, Remaining: remaining, Reset: reset, RetryAfter: retryAfter}
}

// delayed is an admitted leaky-bucket decision held for delay.
func delayed(limit, remaining int64, reset, delay time.Duration) Decision {
	d := ok(limit, remaining, reset)
	d.Delay = delay
	return d
}
