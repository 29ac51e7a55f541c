package report

import (
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"

	"github.com/ratelab/ratelab/summary"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart size: 900 × 525 points at 96 dpi is a 1200 × 700 pixel PNG.
const (
	chartWidth  = vg.Length(900)
	chartHeight = vg.Length(525)
	chartDPI    = 96
)

// Chart is one PNG of the report: its file name, its title, and either a way to draw it or the
// reason it was left out (no data).
type Chart struct {
	File    string // e.g. "timeline.png"
	Title   string
	Omitted string // why the chart was left out, "" when it is drawn
	// Note says what the drawn chart leaves out and why (report.md prints it under the image).
	Note string
	draw func(dc draw.Canvas) error
}

// WritePNG renders the chart as a 1200 × 700 PNG.
func (c *Chart) WritePNG(w io.Writer) error {
	if c.draw == nil {
		return fmt.Errorf("chart %s: no data (%s)", c.File, c.Omitted)
	}
	cv := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(cv)
	if err := c.draw(dc); err != nil {
		return fmt.Errorf("chart %s: %w", c.File, err)
	}
	// BestSpeed: the default level spends most of a chart's time compressing for a few KB.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, cv.Image())
}

// Charts returns the report's charts in order; those without data carry the reason in Omitted.
func (b *Builder) Charts(s *summary.Summary) []Chart {
	pal := newPalette(s)
	lay := b.layout()
	charts := []Chart{
		b.timelineChart(s, lay, pal),
		b.headersChart(s, lay, pal),
		b.strategiesChart(s, pal),
		b.latencyChart(s, pal),
		rankingChart(s, pal),
		sweepChart(s, pal),
	}
	charts = append(charts, b.streamCharts(s, pal)...)
	if len(s.Plan) > 0 {
		charts = append(charts, PlanCharts(s)...)
	}
	return charts
}

// Fixed colours of the timeline and headers charts.
var (
	colSent      = color.RGBA{0x55, 0x55, 0x55, 0xFF}
	colAccepted  = color.RGBA{0x1B, 0x9E, 0x3E, 0xFF}
	colRejected  = color.RGBA{0xD6, 0x27, 0x28, 0xFF}
	colFailed    = color.RGBA{0x94, 0x67, 0xBD, 0xFF}
	colScheduled = color.RGBA{0x00, 0x00, 0x00, 0xFF}
	colBound     = color.RGBA{0x00, 0x00, 0x00, 0xFF}
	colRemaining = color.RGBA{0x00, 0x72, 0xB2, 0xFF}
	colEffective = color.RGBA{0xE6, 0x9F, 0x00, 0xFF}
	colText      = color.RGBA{0x33, 0x33, 0x33, 0xFF}
)

// newPlot returns a plot with a title, axis labels, a light grid and readable ticks.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(24)
	return p
}

// drawTitle writes a chart's title at the top of dc and returns the canvas below it.
func drawTitle(dc draw.Canvas, title string) draw.Canvas {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(14)
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YTop
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(6)}, title)
	return draw.Crop(dc, 0, 0, 0, -vg.Points(28))
}

// legendColumn is a legend drawn beside the plots instead of over their data.
type legendColumn struct {
	l     plot.Legend
	names []string
	notes []string // lines of text under the entries
}

func newLegendColumn() *legendColumn {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(22)
	l.TextStyle.Font.Size = vg.Points(10)
	return &legendColumn{l: l}
}

// add adds an entry, unless one of that name is there already (panels share the legend).
func (lc *legendColumn) add(name string, thumbs ...plot.Thumbnailer) {
	if slices.Contains(lc.names, name) {
		return
	}
	lc.l.Add(name, thumbs...)
	lc.names = append(lc.names, name)
}

// note adds lines of text under the entries, wrapped to the column, once.
func (lc *legendColumn) note(text string) {
	lines := wrapLines(text, 36)
	if len(lc.notes) >= len(lines) && slices.Equal(lc.notes[len(lc.notes)-len(lines):], lines) {
		return
	}
	if len(lc.notes) > 0 {
		lc.notes = append(lc.notes, "")
	}
	lc.notes = append(lc.notes, lines...)
}

// width is the column's width: its longest text, thumbnail and padding (at most a third of
// the chart).
func (lc *legendColumn) width() vg.Length {
	w := vg.Length(0)
	for _, n := range append(append([]string{}, lc.names...), lc.notes...) {
		w = max(w, lc.l.TextStyle.Width(n))
	}
	return min(w+lc.l.ThumbnailWidth+vg.Points(16), chartWidth/3)
}

// split draws the legend in a column at the right of dc and returns the canvas left for plots.
func (lc *legendColumn) split(dc draw.Canvas) draw.Canvas {
	if len(lc.names) == 0 && len(lc.notes) == 0 {
		return dc
	}
	w := lc.width()
	col := draw.Crop(dc, dc.Max.X-dc.Min.X-w, -vg.Points(4), 0, -vg.Points(4))
	lc.l.Draw(col)
	sty := lc.l.TextStyle
	sty.Font.Size = vg.Points(9)
	sty.Color = colText
	sty.YAlign = draw.YTop
	y := col.Max.Y - vg.Length(len(lc.names))*(lc.l.TextStyle.Height("Xg")+vg.Points(1.5)) - vg.Points(14)
	for _, n := range lc.notes {
		col.FillText(sty, vg.Point{X: col.Min.X + vg.Points(2), Y: y}, n)
		y -= sty.Height(n) + vg.Points(2)
	}
	return draw.Crop(dc, 0, -w-vg.Points(6), 0, 0)
}

// niceTicks marks a linear axis at 1, 2 or 5 × 10ᵏ steps, about n labels (5 when n is 0),
// written as the report writes numbers (thousands separators, no trailing zeros: "0", "25",
// "1,500", "0.5").
type niceTicks struct{ n int }

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: human(lo)}}
	}
	n := t.n
	if n == 0 {
		n = 5
	}
	step := niceStep((hi - lo) / float64(n))
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		v = roundSig(v, 12)
		ticks = append(ticks, plot.Tick{Value: v, Label: human(v)})
	}
	for v := math.Ceil(lo/(step/2)) * step / 2; v <= hi; v += step {
		if m := roundSig(v, 12); math.Mod(math.Round(m/step*2), 2) == 1 {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	return ticks
}

// niceStep is the smallest 1, 2 or 5 × 10ᵏ at least ¾ of x (so a range of 1.02 in five steps
// is ticked every 0.2, not every 0.5).
func niceStep(x float64) float64 {
	x *= 0.75
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// logTicks marks a logarithmic axis at 1, 2 and 5 × 10ᵏ (1 and 3 × 10ᵏ when the axis spans more
// than four decades), labelled as the report writes numbers, so that a tail between two powers
// of ten still has a tick under it.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return niceTicks{}.Ticks(lo, hi)
	}
	mults := []float64{1, 2, 5}
	if hi/lo > 1e4 {
		mults = []float64{1, 3}
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1.0; m < 10; m++ {
			v := roundSig(m*math.Pow(10, e), 12)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			for _, k := range mults {
				if m == k {
					t.Label = human(v)
				}
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// valueTicks marks exactly the given values (a sweep's client counts).
type valueTicks []float64

// Ticks implements plot.Ticker.
func (v valueTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, x := range v {
		if x >= lo && x <= hi {
			ticks = append(ticks, plot.Tick{Value: x, Label: human(x)})
		}
	}
	return ticks
}

// useLogScale puts an axis on a logarithmic scale with 1-2-5 ticks when its positive values span
// more than 10× (lo and hi being the smallest and largest), and reports whether it did. Keep a
// log axis's label short: gonum places it as if the axis were linear and pads the plot for it.
func useLogScale(ax *plot.Axis, lo, hi float64) bool {
	if !(lo > 0) || hi/lo <= 10 {
		return false
	}
	ax.Scale = plot.LogScale{}
	ax.Tick.Marker = logTicks{}
	ax.Min, ax.Max = lo/1.25, hi*1.25
	return true
}

// margin leaves a small border around a single plot so its title and labels do not touch the edge.
func margin(dc draw.Canvas) draw.Canvas {
	return draw.Crop(dc, vg.Points(6), -vg.Points(10), vg.Points(4), -vg.Points(8))
}

func valueOr(p *float64, d float64) float64 {
	if p == nil {
		return d
	}
	return *p
}

// drawGrid lays out plots in a grid of cols columns on dc and draws them.
func drawGrid(dc draw.Canvas, plots []*plot.Plot, cols int) error {
	canvases := gridCanvases(dc, plots, cols)
	for i, p := range plots {
		p.Draw(canvases[i])
	}
	return nil
}

// gridCanvases lays out plots in a grid of cols columns, their axes aligned, and returns the
// canvas of each plot in order.
func gridCanvases(dc draw.Canvas, plots []*plot.Plot, cols int) []draw.Canvas {
	rows := (len(plots) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range plots {
		grid[i/cols][i%cols] = p
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(10),
		PadTop: vg.Points(2), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	aligned := plot.Align(grid, tiles, dc)
	out := make([]draw.Canvas, len(plots))
	for i := range plots {
		out[i] = aligned[i/cols][i%cols]
	}
	return out
}

// lineOf returns a line through pts with the given colour, width and dashes.
func lineOf(pts plotter.XYs, c color.Color, width float64, dashes []vg.Length) (*plotter.Line, error) {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.LineStyle.Color = c
	l.LineStyle.Width = vg.Points(width)
	l.LineStyle.Dashes = dashes
	return l, nil
}

// cdfLine draws a CDF as steps: from (its first value, 0) up through each point at height
// fraction·share, every X at least floor (the left edge of a log axis; -Inf for none).
func cdfLine(cdf []CDFPoint, share, floor float64, c color.Color, dashes []vg.Length) (*plotter.Line, error) {
	pts := make(plotter.XYs, 0, len(cdf)+1)
	pts = append(pts, plotter.XY{X: math.Max(cdf[0].Seconds, floor), Y: 0})
	for _, q := range cdf {
		pts = append(pts, plotter.XY{X: math.Max(q.Seconds, floor), Y: q.Fraction * share})
	}
	l, err := lineOf(pts, c, 2, dashes)
	if err != nil {
		return nil, err
	}
	l.StepStyle = plotter.PreStep
	return l, nil
}

// maxY is the largest Y of pts (0 when empty).
func maxY(pts plotter.XYs) float64 {
	m := 0.0
	for _, p := range pts {
		m = math.Max(m, p.Y)
	}
	return m
}
