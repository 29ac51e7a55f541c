package infer

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/ratelimit"
)

// TestDerivedTokens: tokens headers that are input plus output (rounded to thousands after the
// sum) or the more restrictive of the two are recognised as restating them; a tokens budget of
// its own, or too few readings, is not.
func TestDerivedTokens(t *testing.T) {
	const both = ratelimit.HasLimit | ratelimit.HasRemaining
	timelineOf := func(tokens func(in, out hdrObs) hdrObs) *timeline {
		tl := &timeline{name: "probe"}
		for i := range 20 {
			e := event{t: float64(i), out: outOK}
			in := hdrObs{limit: 2_000_000, rem: (2_000_000 - int64(i)*1_400) / 1000 * 1000, flags: both}
			out := hdrObs{limit: 400_000, rem: (400_000 - int64(i)*700) / 1000 * 1000, flags: both}
			e.hdr[ratelimit.InputTokens], e.hdr[ratelimit.OutputTokens] = in, out
			e.hdr[ratelimit.Tokens] = tokens(in, out)
			tl.events = append(tl.events, e)
		}
		return tl
	}
	sum := func(in, out hdrObs) hdrObs {
		exact := 2_400_000 - (2_000_000 - in.rem) - (400_000 - out.rem) + 900
		return hdrObs{limit: in.limit + out.limit, rem: exact / 1000 * 1000, flags: both}
	}
	assert.True(t, derivedTokens(timelineOf(sum)), "sum rounded after adding")
	assert.True(t, derivedTokens(timelineOf(func(_, out hdrObs) hdrObs { return out })), "the more restrictive")
	assert.False(t, derivedTokens(timelineOf(func(_, _ hdrObs) hdrObs {
		return hdrObs{limit: 1_000_000, rem: 990_000, flags: both}
	})), "a tokens budget of its own")
	short := timelineOf(sum)
	short.events = short.events[:2]
	assert.False(t, derivedTokens(short), "two readings")
}
