package infer

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSharedFirstWindow: express-rate-limit's window of 20 per 10 s, opened by another client's
// request 2 s before the first attempt (so the first answer says remaining 18) and reopened by
// the first request after each one ends. Replayed from the first attempt the first window ends
// 2 s late and the model mispredicts the next burst; from its real start, held one request,
// it explains every attempt, and the fit finds 20 per 10 s.
func TestSharedFirstWindow(t *testing.T) {
	s := &series{rejChg: 1, pre: 1, hdrQ: 20}
	add := func(at float64, ok bool) {
		s.t, s.acc, s.lat = append(s.t, at), append(s.acc, ok), append(s.lat, 0.001)
	}
	start, count := -2.0, 1.0 // the true limiter
	burst := func(at float64, n int) {
		for i := range n {
			tt := at + 0.01*float64(i)
			if tt >= start+10 {
				start, count = tt, 0
			}
			ok := count < 20
			if ok {
				count++
			}
			add(tt, ok)
		}
	}
	burst(0, 25)
	burst(7.9, 1)
	burst(8.1, 25)
	burst(17.5, 1)
	burst(18.3, 25)
	burst(27.0, 2)
	burst(28.5, 25)
	assert.Positive(t, frMismatchFrom(s, 20, 10, math.Inf(-1)), "from the first attempt")
	assert.Zero(t, frMismatch(s, 20, 10))
	f := fitFR(s)
	assert.Zero(t, f.m)
	assert.Equal(t, 20.0, f.q)
	assert.True(t, f.lo <= 2 && 2 <= f.hi, "interval %.3f–%.3f/s", f.lo, f.hi)
}
