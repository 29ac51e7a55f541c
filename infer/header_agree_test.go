package infer

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/ratelimit"
)

// TestHeaderAgreement: Anthropic-style headers of a fixed window of 20 per 10 s (three windows,
// 21 requests 0.1 s apart in each) agree with the refusals when their limit says 120/min; they
// do not when the limit says 100/min (the reset instants step 10 s apart, which 20 at 100/min
// would take 12 s to fill), when a refusal comes while remaining says 5, or when the budget
// is not whole again after the reset.
func TestHeaderAgreement(t *testing.T) {
	build := func(limit int64, refuseEarly, shortAfterReset bool) *timeline {
		tl := &timeline{name: "probe"}
		for w := range 3 {
			for i := range 21 {
				ts := 10*float64(w) + 0.5 + 0.1*float64(i)
				e := event{t: ts, date: math.NaN(), out: outOK, dialect: ratelimit.DialectAnthropic}
				rem := int64(19 - i)
				switch {
				case i == 20 || (refuseEarly && w == 1 && i == 14):
					e.out, rem = outLimit, max(rem, 0)
				case shortAfterReset && w == 2 && i == 0:
					rem = 10
				}
				e.hdr[ratelimit.Requests] = hdrObs{limit: limit, rem: rem, resetS: float32(10*float64(w+1) - ts),
					flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
				tl.events = append(tl.events, e)
			}
		}
		return tl
	}
	for _, tc := range []struct {
		name                   string
		limit                  int64
		refuseEarly, shortBack bool
		want                   bool
	}{
		{"the headers tell the enforced window", 120, false, false, true},
		{"the limit header says another rate", 100, false, false, false},
		{"refused with requests left", 120, true, false, false},
		{"not whole again after the reset", 120, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := build(tc.limit, tc.refuseEarly, tc.shortBack)
			r := dimResult{d: ratelimit.Requests, tl: tl, hs: headerStats(tl, ratelimit.Requests)}
			a := headerAgreement(&r)
			assert.Equal(t, tc.want, a.ok)
			if tc.want {
				assert.InDelta(t, 2.0, a.rate, 1e-9)
				assert.InDelta(t, 20.0, a.quota, 1e-9)
			}
		})
	}
}
