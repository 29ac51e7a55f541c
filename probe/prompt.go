package probe

import (
	"math"
	"math/rand/v2"
)

// promptSizer picks the prompt size of each logical request: N tokens, or with a relative
// spread s, uniform in [N·(1−s), N·(1+s)] rounded to whole tokens, at least 1, seeded per
// request so a rerun with the same seed sends the same sizes.
type promptSizer struct {
	tokens int64
	spread float64
	seed   uint64
}

// max is the largest size the sizer can return: ⌈N·(1+s)⌉.
func (p promptSizer) max() int64 {
	return int64(math.Ceil(float64(p.tokens) * (1 + p.spread)))
}

// size returns the prompt size in tokens of logical request id.
func (p promptSizer) size(id int64) int64 {
	if p.spread == 0 || p.tokens == 0 {
		return p.tokens
	}
	var pcg rand.PCG
	pcg.Seed(p.seed, uint64(id))
	u := float64(pcg.Uint64()>>11)/(1<<53)*2 - 1 // uniform in [−1, 1)
	n := int64(math.Round(float64(p.tokens) * (1 + p.spread*u)))
	return min(max(n, 1), p.max())
}
