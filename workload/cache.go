package workload

import (
	"encoding/binary"
	"math/rand/v2"
)

// CachePrefix is the prompt-cache prefix a workload's requests open with (api anthropic): a
// block of Tokens marked cache_control, the same in the requests that hit and one of their own
// in the share Miss of requests, drawn per request with Seed. The zero value is no prefix.
type CachePrefix struct {
	Tokens int64
	Miss   float64
	Seed   uint64
}

// Hits reports whether logical request id sends the shared prefix; a rerun with the same seed
// draws alike.
func (c CachePrefix) Hits(id int64) bool {
	if c.Miss == 0 {
		return true
	}
	var pcg rand.PCG
	pcg.Seed(c.Seed, uint64(id))
	return float64(pcg.Uint64()>>11)/(1<<53) >= c.Miss
}

// Key identifies the prefix request id sends, as the mock's cache tells prefixes apart: one
// key for every hit, one per request for a miss.
func (c CachePrefix) Key(id int64) [32]byte {
	var k [32]byte
	binary.LittleEndian.PutUint64(k[:8], c.Seed)
	binary.LittleEndian.PutUint64(k[8:16], uint64(c.Tokens))
	if !c.Hits(id) {
		k[16] = 1
		binary.LittleEndian.PutUint64(k[17:25], uint64(id))
	}
	return k
}
