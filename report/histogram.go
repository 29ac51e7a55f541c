package report

import (
	"math"
	"math/bits"
)

// Histogram records non-negative durations in seconds with bounded memory, HDR-style: values are
// counted in microseconds, exactly below 128 µs, and above that in logarithmic buckets of 128
// sub-buckets per power of two. A bucket [lo, lo+w) has w/lo ≤ 1/128, and a quantile is reported
// as its bucket's midpoint, clamped to the exact minimum and maximum, so a reported quantile is
// within 1/256 (0.39%) of the true sample value (or 0.5 µs, whichever is larger). At most about
// 7,300 counters exist whatever the number of samples.
type Histogram struct {
	counts   []uint64
	n        uint64
	min, max float64
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits // sub-buckets per power of two
)

// histIndex maps a value in microseconds to its bucket.
//
//	u < 128:  index u (exact)
//	u ≥ 128:  e = ⌊log2 u⌋, shift = e−7, index = 128 + (e−7)·128 + (u>>shift − 128)
func histIndex(u uint64) int {
	if u < histSub {
		return int(u)
	}
	e := bits.Len64(u) - 1
	shift := e - histSubBits
	return histSub + shift*histSub + int(u>>uint(shift)) - histSub
}

// histBounds returns bucket i's lower bound and width in microseconds.
func histBounds(i int) (lo, width float64) {
	if i < histSub {
		return float64(i), 1
	}
	shift := (i - histSub) / histSub
	sub := (i - histSub) % histSub
	w := math.Ldexp(1, shift)
	return float64(histSub+sub) * w, w
}

// Record adds one duration in seconds; negative values count as 0.
func (h *Histogram) Record(sec float64) {
	if !(sec > 0) {
		sec = 0
	}
	us := math.Min(math.Round(sec*1e6), 1<<62) // 1<<62 µs is 146,000 years: corrupt input, not a latency
	u := uint64(us)
	i := histIndex(u)
	if i >= len(h.counts) {
		n := make([]uint64, i+1, max(i+1, 2*len(h.counts)))
		copy(n, h.counts)
		h.counts = n
	}
	h.counts[i]++
	if h.n == 0 || sec < h.min {
		h.min = sec
	}
	if h.n == 0 || sec > h.max {
		h.max = sec
	}
	h.n++
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest recorded value exactly (0 when empty).
func (h *Histogram) Max() float64 { return h.max }

// Quantile returns the nearest-rank q-quantile (0 < q ≤ 1): the smallest recorded value v such
// that at least ⌈q·n⌉ values are ≤ v, to the precision stated on Histogram. It returns 0 when the
// histogram is empty.
func (h *Histogram) Quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum >= rank {
			lo, w := histBounds(i)
			v := lo / 1e6
			if w > 1 {
				v = (lo + w/2) / 1e6
			}
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// CDFPoint is one step of an empirical distribution: the fraction of values ≤ Seconds.
type CDFPoint struct {
	Seconds  float64
	Fraction float64
}

// CDF returns one point per non-empty bucket, at the bucket's upper edge (clamped to the exact
// maximum), with the cumulative fraction of values in it and below.
func (h *Histogram) CDF() []CDFPoint {
	var pts []CDFPoint
	var cum uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		cum += c
		lo, w := histBounds(i)
		x := min((lo+w)/1e6, h.max)
		if i < histSub {
			x = lo / 1e6
		}
		pts = append(pts, CDFPoint{Seconds: max(x, h.min), Fraction: float64(cum) / float64(h.n)})
	}
	return pts
}
