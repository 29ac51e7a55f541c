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

// TestFracRivalFits: the counter the headers describe (2 per 1 s, its share kept fractional)
// explains attempts it would have made, two at the start of every other window admitted and the
// pairs between refused, and not those of a fixed window of 2 per 1 s admitting every pair.
func TestFracRivalFits(t *testing.T) {
	build := func(fixed bool) *dimResult {
		r := &dimResult{d: ratelimit.Requests, best: &fit{model: "fw", ok: true}}
		for k := range 10 {
			for _, dt := range []float64{0.1, 0.2} {
				acc := fixed || k%2 == 0
				r.ser.t = append(r.ser.t, float64(k)+dt)
				r.ser.acc = append(r.ser.acc, acc)
				r.n++
				if !acc {
					r.refused++
				}
			}
		}
		return r
	}
	assert.True(t, fracRivalFits(build(false), 2, 1, 0.5/120), "the counter's own attempts")
	assert.False(t, fracRivalFits(build(true), 2, 1, 0.5/120), "a fixed window's")
}

// TestRateContradicts: under headers of 120/min that agree with the attempts (a quota of 2), a
// counter of 2 per 0.5 s keeping its share fractional admits 120/min but would advertise 240:
// the headers contradict it; kept fractional over 1 s it admits 60/min and advertises 120, which
// they do not; a window of 3 per second contradicts them, one of 2 does not.
func TestRateContradicts(t *testing.T) {
	r := &dimResult{d: ratelimit.Requests, agree0: hdrAgreement{rate: 2, eps: 0.5 / 120, quota: 2, ok: true},
		best: &fit{model: "tb", ok: true, rate: 2, lo: 1.99, hi: 2.01}}
	for _, tc := range []struct {
		name string
		f    fit
		want bool
	}{
		{"fractional, 2 per 0.5 s", fit{model: "sw", rd: roundFractional, q: 2, window: 0.5, ok: true, lo: 1.99, hi: 2.0}, true},
		{"fractional, 2 per 1 s", fit{model: "sw", rd: roundFractional, q: 2, window: 1, ok: true, lo: 0.99, hi: 1.0}, false},
		{"fixed window, 2 per 1 s", fit{model: "fw", q: 2, window: 1, ok: true, lo: 1.99, hi: 2.0}, false},
		{"fixed window, 3 per 1 s", fit{model: "fw", q: 3, window: 1, ok: true, lo: 2.99, hi: 3.0}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, rateContradicts(r, &tc.f))
		})
	}
}
