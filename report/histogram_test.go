package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramQuantilesWithinPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		draw func() float64
		n    int
	}{
		{"uniform 0-2s", func() float64 { return 2 * rng.Float64() }, 10000},
		{"exponential mean 0.3s", func() float64 { return 0.3 * rng.ExpFloat64() }, 10000},
		{"lognormal heavy tail", func() float64 { return math.Exp(rng.NormFloat64()*2 - 1) }, 20000},
		{"sub-millisecond", func() float64 { return 0.0005 * rng.Float64() }, 5000},
		{"few values", func() float64 { return float64(rng.IntN(3)) }, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			vals := make([]float64, tt.n)
			for i := range vals {
				// Values as the log carries them: microsecond resolution.
				vals[i] = math.Round(tt.draw()*1e6) / 1e6
				h.Record(vals[i])
			}
			slices.Sort(vals)
			require.EqualValues(t, tt.n, h.Count())
			for _, q := range []float64{0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
				// Nearest rank: the ⌈q·n⌉-th smallest value.
				want := vals[max(0, int(math.Ceil(q*float64(tt.n)))-1)]
				got := h.Quantile(q)
				tol := math.Max(want/256, 0.5e-6)
				assert.InDelta(t, want, got, tol*1.0001, "q=%v", q)
			}
			assert.Equal(t, vals[len(vals)-1], h.Max())
		})
	}
}

func TestHistogramEdges(t *testing.T) {
	var h Histogram
	assert.Zero(t, h.Quantile(0.5), "empty")
	assert.Empty(t, h.CDF())
	h.Record(-1) // negative counts as 0
	h.Record(3.25)
	assert.Equal(t, 0.0, h.Quantile(0.5))
	assert.Equal(t, 3.25, h.Quantile(1))
	cdf := h.CDF()
	require.Len(t, cdf, 2)
	assert.Equal(t, 1.0, cdf[1].Fraction)
	assert.Equal(t, 3.25, cdf[1].Seconds, "the last point is clamped to the exact maximum")
}

func TestHistogramBucketsTile(t *testing.T) {
	// Consecutive buckets are contiguous, and every value falls in its own bucket.
	for i := 1; i < 4000; i++ {
		lo, w := histBounds(i)
		plo, pw := histBounds(i - 1)
		require.Equal(t, plo+pw, lo, "bucket %d", i)
		if i >= histSub { // below 128 µs every bucket holds one exact microsecond value
			assert.LessOrEqual(t, w/lo, 1.0/histSub+1e-12, "bucket %d too wide", i)
		}
		assert.Equal(t, i, histIndex(uint64(lo)))
		assert.Equal(t, i, histIndex(uint64(lo+w-1)))
	}
}

func TestHistogramCDFMonotone(t *testing.T) {
	var h Histogram
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		h.Record(rng.ExpFloat64())
	}
	cdf := h.CDF()
	for i := 1; i < len(cdf); i++ {
		assert.GreaterOrEqual(t, cdf[i].Seconds, cdf[i-1].Seconds)
		assert.Greater(t, cdf[i].Fraction, cdf[i-1].Fraction)
	}
	assert.Equal(t, 1.0, cdf[len(cdf)-1].Fraction)
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	x := 0.0
	for b.Loop() {
		x += 0.000137
		if x > 30 {
			x = 0
		}
		h.Record(x)
	}
}
