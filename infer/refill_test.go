package infer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/summary"
)

// TestAttributeRoundedRemaining: a refusal whose input-tokens remaining reads "2000" (rounded
// to thousands) for a 2,000-token prompt is the input budget's, not the requests budget's with
// 317 of 333 left.
func TestAttributeRoundedRemaining(t *testing.T) {
	tl := &timeline{name: "compare"}
	for i, rem := range []int64{5000, 3000, 2000, 2000} {
		e := event{t: float64(i), out: outOK, in: 2000}
		if i >= 2 {
			e.out = outLimit
		}
		e.hdr[ratelimit.Requests] = hdrObs{limit: 4000, rem: 317, flags: ratelimit.HasLimit | ratelimit.HasRemaining}
		e.hdr[ratelimit.InputTokens] = hdrObs{limit: 2_000_000, rem: rem, flags: ratelimit.HasLimit | ratelimit.HasRemaining}
		tl.events = append(tl.events, e)
	}
	attr := attribute(tl, costs{meanIn: 2000, usage: true})
	require.Len(t, attr, 4)
	assert.Equal(t, uint8(1<<ratelimit.InputTokens), attr[2])
	assert.Equal(t, uint8(1<<ratelimit.InputTokens), attr[3])
}

// TestNoGapInsideTheInterval: an effective rate whose interval holds the advertised one shows
// no gap, however far its middle lies ("enforced 2,884/min (0–1,743,858)" against 4,000).
func TestNoGapInsideTheInterval(t *testing.T) {
	r := &dimResult{d: ratelimit.Requests}
	l := summary.Limit{EffectivePerMinute: ptr(2884.0), EffectiveLow: ptr(0.0), EffectiveHigh: ptr(1_743_858.0)}
	assert.Empty(t, gapSentence(4000, 4000, l, r))
	l.EffectiveHigh = ptr(3000.0)
	assert.Contains(t, gapSentence(4000, 4000, l, r), "72% of what the headers say")
}

// TestFmtNumRoundsIntoThousands: a figure that rounds to 1,000 is written with its separator.
func TestFmtNumRoundsIntoThousands(t *testing.T) {
	assert.Equal(t, "1,000", fmtNum(999.993))
	assert.Equal(t, "999.9", fmtNum(999.94))
	assert.Equal(t, "1,234", fmtNum(1234.4))
}
