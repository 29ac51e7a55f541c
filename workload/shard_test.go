package workload

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShardsPartitionTheArrivals: n shards' hits together are the pacer's, each once, at the
// pacer's instants.
func TestShardsPartitionTheArrivals(t *testing.T) {
	stages, err := ParseStages("2s:50/s,3s:10/s")
	require.NoError(t, err)
	start, err := ParseRate("1/s")
	require.NoError(t, err)
	r, err := ParseRate("7/s")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		p    Pacer
		end  time.Duration
	}{
		{"constant", Constant(r), 3 * time.Second},
		{"stages", Stages(start, stages), 5 * time.Second},
	} {
		for _, n := range []int{1, 2, 3, 8} {
			var all []time.Duration
			for h := uint64(0); ; h++ {
				d, ok := tc.p.Due(h)
				if !ok || d >= tc.end {
					break
				}
				all = append(all, d)
			}
			seen := make([]int, len(all))
			for i := range n {
				sh := Shard(tc.p, i, n)
				for h := uint64(0); ; h++ {
					d, ok := sh.Due(h)
					if !ok || d >= tc.end {
						break
					}
					k := int(h)*n + i
					require.Less(t, k, len(all), "%s n=%d shard %d hit %d", tc.name, n, i, h)
					assert.Equal(t, all[k], d)
					seen[k]++
				}
				assert.InDelta(t, tc.p.Rate(time.Second)/float64(n), sh.Rate(time.Second), 1e-9)
			}
			for k, c := range seen {
				assert.Equal(t, 1, c, "%s n=%d: hit %d sent %d times", tc.name, n, k, c)
			}
		}
	}
}
