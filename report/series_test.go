package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeries(t *testing.T) {
	tests := []struct {
		name      string
		agg       aggKind
		adds      [][2]float64 // time, value
		wantWidth float64
		wantBins  []float64
		wantPeak  float64
	}{
		{"sum per second", aggSum, [][2]float64{{0.1, 1}, {0.9, 1}, {2.5, 1}}, 1, []float64{2, 0, 1}, 2},
		{"negative and NaN times count at 0", aggSum, [][2]float64{{-3, 1}, {0, 1}}, 1, []float64{2}, 2},
		{"minimum per bin", aggMin, [][2]float64{{0.2, 5}, {0.7, 3}, {1.1, 9}}, 1, []float64{3, 9}, 9},
		{"maximum per bin", aggMax, [][2]float64{{0.2, 5}, {0.7, 3}}, 1, []float64{5}, 5},
		{"coarsens past the bin cap", aggSum, [][2]float64{{0.5, 1}, {1.5, 1}, {maxSeriesBins + 0.5, 1}}, 2, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeries(tt.agg)
			for _, a := range tt.adds {
				s.Add(a[0], a[1])
			}
			assert.Equal(t, tt.wantWidth, s.Width)
			if tt.wantBins != nil {
				assert.Equal(t, tt.wantBins, s.Bins)
			}
			assert.Equal(t, tt.wantPeak, s.PeakRate())
		})
	}
}

func TestSeriesCoarsenKeepsTotalsAndExtremes(t *testing.T) {
	sum, lo := newSeries(aggSum), newSeries(aggMin)
	total := 0.0
	for i := range 3 * maxSeriesBins {
		tm := float64(i) + 0.5
		sum.Add(tm, 1)
		lo.Add(tm, float64(i%1000))
		total++
	}
	require.Equal(t, 4.0, sum.Width, "3×cap seconds need two doublings")
	got := 0.0
	for _, v := range sum.Bins {
		got += v
	}
	assert.Equal(t, total, got)
	assert.LessOrEqual(t, len(sum.Bins), maxSeriesBins)
	assert.Equal(t, 0.0, lo.Bins[0])
	assert.Equal(t, 1.0, sum.PeakRate(), "4 attempts per 4-second bin is 1/s")
}
