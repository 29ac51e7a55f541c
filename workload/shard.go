package workload

import (
	"fmt"
	"math"
	"time"
)

// Shard is host i's share (0 ≤ i < n) of pacer p's arrivals when n hosts run p together from
// one start: every n-th hit, starting with hit i. The n shards' hits together are exactly p's,
// at p's instants, so merged shard runs have the schedule of the run on one host.
func Shard(p Pacer, i, n int) Pacer {
	if n <= 1 {
		return p
	}
	return shard{p: p, i: uint64(i), n: uint64(n)}
}

type shard struct {
	p    Pacer
	i, n uint64
}

func (s shard) Due(hits uint64) (time.Duration, bool) {
	if hits > (math.MaxUint64-s.i)/s.n {
		return 0, false
	}
	return s.p.Due(hits*s.n + s.i)
}

func (s shard) Rate(elapsed time.Duration) float64 { return s.p.Rate(elapsed) / float64(s.n) }

func (s shard) String() string { return fmt.Sprintf("Shard{%d/%d of %s}", s.i, s.n, s.p) }
