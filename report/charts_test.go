package report

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngStats decodes a PNG and counts its non-white pixels and the pixels of each wanted colour.
func pngStats(t *testing.T, path string, want []color.RGBA) (image.Rectangle, int, []int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	ink := 0
	hits := make([]int, len(want))
	rgba, ok := img.(*image.RGBA)
	require.True(t, ok, "an opaque chart decodes as *image.RGBA, got %T", img)
	for p := 0; p+3 < len(rgba.Pix); p += 4 {
		c := color.RGBA{rgba.Pix[p], rgba.Pix[p+1], rgba.Pix[p+2], 0xFF}
		if c != (color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}) {
			ink++
		}
		for i, w := range want {
			if c == w {
				hits[i]++
			}
		}
	}
	return b, ink, hits
}

func TestCharts(t *testing.T) {
	tests := []struct {
		fixture string
		drawn   []string
		omitted []string
	}{
		{"compare-sweep", []string{"timeline.png", "headers.png", "strategies.png", "latency.png", "ranking.png", "sweep.png"}, nil},
		{"probe", []string{"timeline.png", "headers.png"}, []string{"strategies.png", "latency.png", "ranking.png", "sweep.png"}},
		{"no-headers", []string{"timeline.png", "strategies.png", "latency.png", "ranking.png"}, []string{"headers.png", "sweep.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fixtures[tt.fixture].write(t, dir)
			// A stale chart of a kind this run has no data for must disappear.
			for _, f := range tt.omitted {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("stale"), 0o644))
			}
			s, err := Generate(dir, Options{})
			require.NoError(t, err)
			pal := newPalette(s)
			for _, f := range tt.omitted {
				assert.NoFileExists(t, filepath.Join(dir, f))
			}
			for _, f := range tt.drawn {
				// Every strategy's colour must appear in every chart drawn per strategy.
				var want []color.RGBA
				switch f {
				case "strategies.png", "latency.png", "ranking.png", "sweep.png":
					for _, n := range pal.names {
						want = append(want, pal.color(n))
					}
				case "timeline.png":
					want = []color.RGBA{colSent, colAccepted, colRejected}
				case "headers.png":
					want = []color.RGBA{colRemaining, colSent}
				}
				bounds, ink, hits := pngStats(t, filepath.Join(dir, f), want)
				assert.Equal(t, 1200, bounds.Dx(), f)
				assert.Equal(t, 700, bounds.Dy(), f)
				assert.Greater(t, ink, 1200*700/50, "%s: under 2%% of its pixels are drawn", f)
				for i, h := range hits {
					assert.Greater(t, h, 20, "%s: series colour %v barely drawn (%d pixels)", f, want[i], h)
				}
			}
			// Re-rendered from run.json and attempts.jsonl alone, the charts come out byte-identical.
			assertRerender(t, dir, Options{SkipCSV: true}, tt.drawn...)
		})
	}
}
