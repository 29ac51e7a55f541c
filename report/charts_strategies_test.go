package report

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/ratelab/ratelab/record"
)

// strokeCounter is a chart canvas that counts the points of every stroked path and keeps the
// box they span.
type strokeCounter struct {
	*vgimg.Canvas
	points     int
	minX, minY vg.Length
	maxX, maxY vg.Length
}

func (c *strokeCounter) Stroke(p vg.Path) {
	for _, pc := range p {
		if pc.Type == vg.MoveComp || pc.Type == vg.LineComp {
			c.points++
			c.minX, c.minY = min(c.minX, pc.Pos.X), min(c.minY, pc.Pos.Y)
			c.maxX, c.maxY = max(c.maxX, pc.Pos.X), max(c.maxY, pc.Pos.Y)
		}
	}
	c.Canvas.Stroke(p)
}

// strategiesRun builds a run of the given strategies in each mode × fleet group, each segment
// segS seconds long on its own stretch of the run's clock, one attempt a second; strategy 0
// storms (20 attempts a second) so the rates span more than 10×.
func strategiesRun(n int, modes []string, fleets []int, segS float64) *Builder {
	run := &record.Run{}
	at := 0.0
	for _, mode := range modes {
		for _, fleet := range fleets {
			for i := range n {
				name := fmt.Sprintf("s%02d", i)
				run.Segments = append(run.Segments, record.Segment{Label: fmt.Sprintf("%s/%s/%d", name, mode, fleet),
					Kind: "compare", Strategy: name, Mode: mode, Clients: fleet, StartS: at, EndS: at + segS})
				at += segS + 1
			}
		}
	}
	b := NewBuilder(run)
	for _, sg := range run.Segments {
		per := 1
		if sg.Strategy == "s00" {
			per = 20
		}
		for k := range int(segS) * per {
			t := sg.StartS + float64(k)/float64(per)
			a := record.Attempt{Run: sg.Label, Mode: sg.Mode, Strategy: sg.Strategy, Fleet: sg.Clients,
				Request: int64(k + 1), Number: 1, Scheduled: secs(t), Sent: secs(t), Status: 200, Final: true}
			b.Add(&a)
		}
	}
	return b
}

// TestStrategiesChartLayout: for 2 to 90 strategy entries, live, simulated and both, the panels
// of strategies.png lie inside the chart, do not overlap, are big enough to read, every line
// drawn stays on the canvas, and the points drawn are bounded however long the run's clock (the
// old layout stacked 90 panels in 3 columns of 3-pixel rows and drew each entry's series over
// the whole run).
func TestStrategiesChartLayout(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		modes   []string
		fleets  []int
		segS    float64
		panels  int
		omitted bool
	}{
		{"2 live", 2, []string{record.ModeLive}, []int{5}, 30, 2, false},
		{"4 sim", 4, []string{record.ModeSim}, []int{5}, 600, 4, false},
		{"15 sim", 15, []string{record.ModeSim}, []int{10}, 1200, 15, false},
		{"4 both", 4, []string{record.ModeLive, record.ModeSim}, []int{5}, 60, 8, false},
		{"15 both", 15, []string{record.ModeLive, record.ModeSim}, []int{5}, 60, 15, true},
		{"18 × 5 fleets, hours of virtual time", 18, []string{record.ModeSim}, []int{10, 25, 50, 100, 200}, 1200, 18, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := strategiesRun(tt.n, tt.modes, tt.fleets, tt.segS)
			s := b.Summary()
			c := b.strategiesChart(s, newPalette(s))
			require.NotNil(t, c.draw, c.Omitted)
			if tt.omitted {
				assert.Contains(t, c.Note, fmt.Sprintf("%d of %d strategy entries", tt.panels, tt.n*len(tt.modes)*len(tt.fleets)))
			} else {
				assert.Empty(t, c.Note)
			}

			cv := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
			entries, _ := pickStrategyPanels(newPalette(s).groups)
			plots, canvases, err := b.strategiesLayout(draw.New(cv), s, entries, newPalette(s), nil)
			require.NoError(t, err)
			require.Len(t, plots, tt.panels)
			for i, a := range canvases {
				r := a.Rectangle
				assert.GreaterOrEqual(t, r.Min.X, vg.Length(0), "panel %d", i)
				assert.GreaterOrEqual(t, r.Min.Y, vg.Length(0), "panel %d", i)
				assert.LessOrEqual(t, r.Max.X, chartWidth, "panel %d", i)
				assert.LessOrEqual(t, r.Max.Y, chartHeight, "panel %d", i)
				// 100 points is 133 pixels: room for a line that can be read.
				assert.Greater(t, r.Size().X, vg.Length(100), "panel %d width", i)
				assert.Greater(t, r.Size().Y, vg.Length(100), "panel %d height", i)
				for j, o := range canvases[:i] {
					q := o.Rectangle
					overlap := r.Min.X < q.Max.X && q.Min.X < r.Max.X && r.Min.Y < q.Max.Y && q.Min.Y < r.Max.Y
					assert.False(t, overlap, "panels %d and %d overlap", j, i)
				}
			}

			sc := &strokeCounter{Canvas: vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI)),
				minX: vg.Length(math.Inf(1)), minY: vg.Length(math.Inf(1))}
			require.NoError(t, c.draw(draw.New(sc)))
			// A step line draws two points a bin, at most maxPlotBins/2 bins a panel; axes, ticks and
			// grid lines add a few hundred.
			assert.LessOrEqual(t, sc.points, tt.panels*(maxPlotBins+400))
			const slack = 2
			assert.GreaterOrEqual(t, sc.minX, vg.Length(-slack))
			assert.GreaterOrEqual(t, sc.minY, vg.Length(-slack))
			assert.LessOrEqual(t, sc.maxX, chartWidth+slack)
			assert.LessOrEqual(t, sc.maxY, chartHeight+slack)
		})
	}
}

// TestPanelCols: grids of about 1.5 columns per row, full where a nearby shape allows.
func TestPanelCols(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 3, 4: 2, 5: 3, 6: 3, 8: 4, 9: 3, 10: 4, 12: 4, 15: 5, 16: 4, 18: 6} {
		assert.Equal(t, want, panelCols(n), "%d panels", n)
	}
}
