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
	// origin is the time of bin 0 (0 unless set by newSeriesFrom); earlier times fall into bin 0.
	origin float64
}

type aggKind uint8

const (
	aggSum aggKind = iota
	aggMin
	aggMax
)

func newSeries(agg aggKind) *Series { return &Series{Width: 1, agg: agg} }

// newSeriesAt returns a series of one-second bins starting at origin (earlier times fall into
// bin 0).
func newSeriesAt(origin float64, agg aggKind) *Series {
	return &Series{Width: 1, agg: agg, origin: max(0, origin)}
}

// Origin is the time of bin 0's start.
func (s *Series) Origin() float64 { return s.origin }

// newSeriesFrom returns a sum series of bins width seconds wide starting at origin, for a fine
// series that should not spend bins on the part of the run before origin.
func newSeriesFrom(origin, width float64) *Series {
	return &Series{Width: width, agg: aggSum, origin: max(0, origin)}
}

// bin returns the bin index of time t (seconds since run start), growing or coarsening the series.
func (s *Series) bin(t float64) int {
	t -= s.origin
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

// maxPlotBins is the most bins a chart line draws: about one per two pixels of a 1200-pixel
// chart. More would not show, and the rasterizer's cost grows with the segments of a line.
const maxPlotBins = 600

// rebin returns a copy of s with bins width seconds wide (width a multiple of s.Width): sums add
// up, minima and maxima fold. A sum bin divided by its width is then the mean rate over the bin.
func (s *Series) rebin(width float64) *Series {
	k := int(math.Round(width / s.Width))
	if k <= 1 {
		return s
	}
	out := &Series{Width: s.Width * float64(k), agg: s.agg, origin: s.origin}
	for i := 0; i < len(s.Bins); i += k {
		v, set := 0.0, false
		for j := i; j < min(i+k, len(s.Bins)); j++ {
			v, set = out.merge(v, set, s.Bins[j], s.Set[j]), set || s.Set[j]
		}
		out.Bins = append(out.Bins, v)
		out.Set = append(out.Set, set)
	}
	return out
}
