package record

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// reference is what AppendRounded replaces.
func reference(f float64, prec int) string {
	p := math.Pow10(prec)
	return strconv.FormatFloat(math.Round(f*p)/p, 'f', -1, 64)
}

func TestAppendRoundedMatchesStrconv(t *testing.T) {
	cases := []struct {
		name string
		f    float64
	}{
		{"zero", 0}, {"negative zero", math.Copysign(0, -1)}, {"rounds to negative zero", -0.0001},
		{"half up", 0.0005}, {"half down negative", -0.0005}, {"tenth", 0.1}, {"third", 1.0 / 3},
		{"large", 123456789.123456789}, {"at the 15-digit bound", 999999999999.9995},
		{"beyond the bound", 1e15 + 0.5}, {"huge", 1e300}, {"tiny", 1e-300}, {"epoch seconds", 1767225600.25},
		{"float noise", 0.1 + 0.2}, {"negative", -3558.7249999},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for prec := 0; prec <= 17; prec++ {
				require.Equal(t, reference(c.f, prec), string(AppendRounded(nil, c.f, prec)), "prec %d", prec)
			}
		})
	}
}

// TestAppendRoundedRandom compares a million random values of the magnitudes a record holds
// (seconds, milliseconds, token counts, epoch dates) at the precisions the formats use.
func TestAppendRoundedRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 1_000_000 {
		f := math.Pow(10, rng.Float64()*24-6) * float64(1-2*rng.IntN(2))
		if i%4 == 0 {
			f = math.Round(f*1000) / 1000 // already on the grid, as most values are
		}
		for _, prec := range []int{3, 6} {
			if got, want := string(AppendRounded(nil, f, prec)), reference(f, prec); got != want {
				t.Fatalf("AppendRounded(%v, %d) = %s, want %s", f, prec, got, want)
			}
		}
	}
}

func BenchmarkAppendRounded(b *testing.B) {
	vals := []float64{0, 1.5, 3558.724, 0.000123, 1767225600, 12.345678}
	buf := make([]byte, 0, 64)
	b.Run("AppendRounded", func(b *testing.B) {
		for i := range b.N {
			buf = AppendRounded(buf[:0], vals[i%len(vals)], 3)
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for i := range b.N {
			p := math.Pow10(3)
			buf = strconv.AppendFloat(buf[:0], math.Round(vals[i%len(vals)]*p)/p, 'f', -1, 64)
		}
	})
}
