package report

import (
	"fmt"
	"image/color"
	"image/png"
	"io"
	"slices"

	"gonum.org/v1/plot"
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
	draw    func(dc draw.Canvas) error
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
func (b *Builder) Charts(s *Summary) []Chart {
	pal := newPalette(s)
	return []Chart{
		b.timelineChart(),
		b.headersChart(s),
		b.strategiesChart(s, pal),
		b.latencyChart(s, pal),
		rankingChart(s, pal),
		sweepChart(s, pal),
	}
}

// strategyPalette gives each strategy name one colour, the same in every chart: names sorted,
// colours taken in order from a fixed list (Okabe–Ito and Tableau hues, all far from the
// background, the black axes and the grey grid).
var strategyPalette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0x94, 0x67, 0xBD, 0xFF}, // purple
	{0x8C, 0x56, 0x4B, 0xFF}, // brown
	{0xBC, 0xBD, 0x22, 0xFF}, // olive
	{0x17, 0xBE, 0xCF, 0xFF}, // cyan
	{0xD6, 0x27, 0x28, 0xFF}, // red
	{0x1F, 0x3A, 0x93, 0xFF}, // navy
}

// dashPatterns tell apart entries of one strategy at different modes or client counts.
var dashPatterns = [][]vg.Length{
	nil,
	{vg.Points(8), vg.Points(4)},
	{vg.Points(2), vg.Points(3)},
	{vg.Points(10), vg.Points(3), vg.Points(2), vg.Points(3)},
}

// palette maps strategy names to colours and groups to dash patterns.
type palette struct {
	names  []string
	groups []strategyGroup
}

func newPalette(s *Summary) palette {
	var p palette
	for _, st := range s.Strategies {
		if !slices.Contains(p.names, st.Name) {
			p.names = append(p.names, st.Name)
		}
	}
	slices.Sort(p.names)
	p.groups = groups(s)
	return p
}

// Color returns the strategy's colour.
func (p palette) color(name string) color.RGBA {
	i := slices.Index(p.names, name)
	if i < 0 {
		i = 0
	}
	return strategyPalette[i%len(strategyPalette)]
}

// dashes returns the dash pattern of the entry's group (mode and client count).
func (p palette) dashes(st *Strategy) []vg.Length {
	i := slices.IndexFunc(p.groups, func(g strategyGroup) bool { return g.mode == st.Mode && g.clients == st.Clients })
	if i < 0 {
		i = 0
	}
	return dashPatterns[i%len(dashPatterns)]
}

// Fixed colours of the timeline and headers charts.
var (
	colSent      = color.RGBA{0x55, 0x55, 0x55, 0xFF}
	colAccepted  = color.RGBA{0x1B, 0x9E, 0x3E, 0xFF}
	colRejected  = color.RGBA{0xD6, 0x27, 0x28, 0xFF}
	colFailed    = color.RGBA{0x94, 0x67, 0xBD, 0xFF}
	colScheduled = color.RGBA{0x00, 0x00, 0x00, 0xFF}
	colBound     = color.RGBA{0x00, 0x00, 0x00, 0xFF}
)

// newPlot returns a plot with a title, axis labels and a light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(24)
	return p
}

// drawTiles lays out plots in a grid of cols columns under a common title and draws them.
func drawTiles(dc draw.Canvas, title string, plots []*plot.Plot, cols int) error {
	rows := (len(plots) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range plots {
		grid[i/cols][i%cols] = p
	}
	tp := plot.New()
	sty := tp.Title.TextStyle
	sty.Font.Size = vg.Points(14)
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YTop
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(6)}, title)
	body := draw.Crop(dc, 0, 0, 0, -vg.Points(28))
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(8),
		PadTop: vg.Points(2), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(grid, tiles, body)
	for r := range grid {
		for c, p := range grid[r] {
			if p != nil {
				p.Draw(canvases[r][c])
			}
		}
	}
	return nil
}
