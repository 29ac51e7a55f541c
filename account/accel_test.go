package account

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestAcceleration: under the model a key that ramps by less than the factor per window is
// never refused, one that jumps is, below its per-minute limits.
func TestAcceleration(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		perMin  []int // requests sent in each successive minute, evenly
		refused int   // in the last minute
	}{
		{"steady", []int{60, 60, 60}, 0},
		{"gradual ramp, x1.5 a minute", []int{60, 90, 135, 200}, 0},
		{"sharp jump", []int{60, 300}, 300 - 120},
		{"from rest", []int{0, 0, 100}, 100 - 60},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Limits = Limits{Requests: Limit{PerMinute: 10_000}}
			cfg.Acceleration = &Acceleration{Factor: 2}
			l, err := New(cfg, 1)
			assert.NoError(t, err)
			refused := 0
			for m, n := range c.perMin {
				for i := range n {
					at := t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Minute/time.Duration(n))
					r := l.Handle(at, Call{Key: "k", Endpoint: EndpointMessages, InputTokens: 1, MaxTokens: 1})
					if r.Status == 429 {
						assert.Equal(t, CauseRateLimit, r.Cause)
						assert.False(t, r.Terminal)
						assert.Greater(t, r.Limits.RetryAfter, time.Duration(0))
						if m == len(c.perMin)-1 {
							refused++
						}
					}
				}
			}
			assert.Equal(t, c.refused, refused)
		})
	}
}
