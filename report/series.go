package report

import "math"

// maxSeriesBins bounds a Series: past it, bins double in width (18 hours at one second per bin).
const maxSeriesBins = 1 << 16

// Series aggregates values into time bins of Width seconds, starting at 0 (run start). It starts
// at one-second bins; when a time beyond maxSeriesBins bins arrives, adjacent bins merge and the
// width doubles, so memory is bounded by the run's length in seconds and never by its number of
// events. A Series either sums (counts per bin) or keeps a bin's minimum or maximum.
type Series struct {
	Width float64
	Bins  []float64
	Set   []bool // whether a bin received a value (for min/max series)
	agg   aggKind
}

type aggKind uint8

const (
	aggSum aggKind = iota
	aggMin
	aggMax
)

func newSeries(agg aggKind) *Series { return &Series{Width: 1, agg: agg} }

// bin returns the bin index of time t (seconds since run start), growing or coarsening the series.
func (s *Series) bin(t float64) int {
	if !(t > 0) || math.IsInf(t, 0) {
		t = 0
	}
	if t > 1e12 {
		t = 1e12 // absurd times (corrupt records) must not coarsen the series into one bin forever
	}
	i := int(t / s.Width)
	for i >= maxSeriesBins {
		s.coarsen()
		i = int(t / s.Width)
	}
	if i >= len(s.Bins) {
		for len(s.Bins) <= i {
			s.Bins = append(s.Bins, 0)
			s.Set = append(s.Set, false)
		}
	}
	return i
}

// coarsen merges bins pairwise and doubles the width.
func (s *Series) coarsen() {
	n := (len(s.Bins) + 1) / 2
	for i := 0; i < n; i++ {
		a, aSet := s.Bins[2*i], s.Set[2*i]
		b, bSet := 0.0, false
		if 2*i+1 < len(s.Bins) {
			b, bSet = s.Bins[2*i+1], s.Set[2*i+1]
		}
		s.Bins[i], s.Set[i] = s.merge(a, aSet, b, bSet), aSet || bSet
	}
	s.Bins, s.Set = s.Bins[:n], s.Set[:n]
	s.Width *= 2
}

func (s *Series) merge(a float64, aSet bool, b float64, bSet bool) float64 {
	switch {
	case s.agg == aggSum:
		return a + b
	case !aSet:
		return b
	case !bSet:
		return a
	case s.agg == aggMin:
		return math.Min(a, b)
	default:
		return math.Max(a, b)
	}
}

// Add adds v at time t (sum series) or folds it into the bin's minimum or maximum.
func (s *Series) Add(t, v float64) {
	i := s.bin(t)
	if s.Set[i] {
		s.Bins[i] = s.merge(s.Bins[i], true, v, true)
	} else {
		s.Bins[i] = v
		s.Set[i] = true
	}
}

// PeakRate returns the largest bin divided by the bin width: for a count series, the peak
// events per second (over one-second bins unless the series was coarsened).
func (s *Series) PeakRate() float64 {
	peak := 0.0
	for _, v := range s.Bins {
		peak = math.Max(peak, v)
	}
	return peak / s.Width
}

// Empty reports whether no value was added.
func (s *Series) Empty() bool { return len(s.Bins) == 0 }
