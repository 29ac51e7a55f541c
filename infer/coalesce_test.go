package infer

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCoalesceCharges: the charges of 200 replies generating at once (1,000 tokens each over
// about 17 s, pieces of 0.6 s) become one charge per cell of 0.075 s: the units are all kept,
// the count is bounded by the span, not by the replies, and no token is charged before the
// piece that held it.
func TestCoalesceCharges(t *testing.T) {
	const step, cell = 0.6, 0.6 / 8
	rng := rand.New(rand.NewPCG(1, 2))
	var pieces []piece
	total := 0.0
	for r := range 200 {
		send := float64(r) * 0.05
		e := event{t: send, chg0: 0.8 + rng.Float64()*0.3, chg1: 17 + rng.Float64()*2}
		pieces = generated(pieces, &e, 1000, step)
		total += 1000
	}
	before := append([]piece(nil), pieces...)
	slices.SortStableFunc(before, func(a, b piece) int { return cmp.Compare(a.t, b.t) })
	got := coalesce(pieces, cell)
	require.NotEmpty(t, got)
	sum := 0.0
	for i, p := range got {
		sum += p.units
		if i > 0 {
			assert.Greater(t, p.t, got[i-1].t)
			assert.NotEqual(t, int(got[i-1].t/cell), int(p.t/cell), "two charges in one cell")
		}
	}
	assert.InDelta(t, total, sum, 1e-6)
	span := got[len(got)-1].t - got[0].t
	assert.LessOrEqual(t, float64(len(got)), span/cell+2)
	assert.Less(t, len(got), len(before)/10, "%d charges from %d pieces", len(got), len(before))
	// Charged no earlier than generated: up to any instant, the coalesced charges never
	// exceed the pieces'.
	j, charged := 0, 0.0
	for _, p := range got {
		for j < len(before) && before[j].t <= p.t {
			charged += before[j].units
			j++
		}
		assert.LessOrEqual(t, sumUpTo(got, p.t), charged+1e-6)
	}
}

func sumUpTo(ps []piece, t float64) float64 {
	s := 0.0
	for _, p := range ps {
		if p.t <= t {
			s += p.units
		}
	}
	return s
}
