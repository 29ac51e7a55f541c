package report

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// rankingChart: per group of comparable entries (mode and client count), the makespan of each
// strategy as a bar, best first, against the lower bound the limits allow, with its attempts
// written beside it; an entry that did not complete every request is hatched and says why.
func rankingChart(s *summary.Summary, pal palette) Chart {
	c := Chart{File: "ranking.png", Title: "Makespan per strategy against the lower bound, with attempts"}
	if !slices.ContainsFunc(s.Strategies, func(st summary.Strategy) bool { return st.MakespanSeconds != nil }) {
		c.Omitted = noStrategies
		if len(s.Strategies) > 0 {
			c.Omitted = "no strategy completed a request"
		}
		return c
	}
	gs, perPanel, note := pickRankingPanels(pal.groups)
	c.Note = note
	c.draw = func(dc draw.Canvas) error {
		var plots []*plot.Plot
		workers := false // some bound comes from the workers' reply times
		for _, g := range gs {
			title := capitalize(g.tag())
			shown := g.entries
			if len(shown) > perPanel {
				shown = shown[:perPanel]
				title += fmt.Sprintf(" (best %d of %d)", perPanel, len(g.entries))
			}
			p := newPlot(title, "makespan: "+makespanWords(g.mode), "")
			p.Title.TextStyle.Font.Size = vg.Points(11)
			hb := &hbarPlotter{}
			var names []string
			xMax := 0.0
			// Best (rank 1) at the top: gonum counts rows from the bottom.
			for i := len(shown) - 1; i >= 0; i-- {
				st := shown[i]
				names = append(names, st.Name)
				text := g.attempts(st.Attempts)
				if r := shortReason(st); r != "" {
					text += "; " + r
				}
				bar := hbar{value: valueOr(st.MakespanSeconds, 0), col: pal.color(st.Name), incomplete: !complete(st), text: text, bound: -1}
				if lb := st.MakespanLowerBoundSeconds; lb != nil {
					bar.bound = *lb
					workers = workers || st.LowerBoundDimension == WorkersBound
				}
				hb.bars = append(hb.bars, bar)
				xMax = math.Max(xMax, math.Max(bar.value, bar.bound))
			}
			p.Add(plotter.NewGrid())
			p.Add(hb)
			p.NominalY(names...)
			p.X.Min, p.X.Max = 0, xMax*1.6 // room for the text beside the bars
			p.Y.Min, p.Y.Max = -0.6, float64(len(names))-0.4
			plots = append(plots, p)
		}
		legend := newLegendColumn()
		bound, _ := lineOf(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}}, colBound, 2.5, nil)
		if workers {
			legend.add("lower bound", bound)
			legend.note("Lower bound: from the limits, or from the workers' own reply times where that is longer.")
		} else {
			legend.add("lower bound from the limits", bound)
		}
		legend.note("Best first within each panel.")
		legend.note("Hatched bar: some requests did not succeed (reason beside it); it ranks after those that completed every request.")
		cols := 1
		if len(plots) > 3 {
			cols = 2
		}
		return drawGrid(legend.split(drawTitle(dc, "Makespan per strategy (bars) against the lower bound (black), attempts beside")), plots, cols)
	}
	return c
}

// Ranking chart limits: at most 4 panels (2 × 2), and about 26 bars down the chart's height, so a
// bar and its text keep about 20 pixels.
const (
	maxRankingPanels = 4
	maxRankingBars   = 26
)

// pickRankingPanels chooses the groups ranking.png draws (live before simulated, the most clients
// first, shown in the groups' order) and how many best-ranked bars each panel keeps; note says
// what was left out ("" when nothing was).
func pickRankingPanels(all []strategyGroup) (gs []strategyGroup, perPanel int, note string) {
	gs = all
	var left []string
	if len(all) > maxRankingPanels {
		order := slices.Clone(all)
		slices.SortStableFunc(order, func(a, b strategyGroup) int {
			return cmp.Or(cmp.Compare(modeOrder(b.mode), modeOrder(a.mode)), cmp.Compare(b.clients, a.clients))
		})
		gs = nil
		for _, g := range all {
			if slices.ContainsFunc(order[:maxRankingPanels], func(o strategyGroup) bool { return o.mode == g.mode && o.clients == g.clients }) {
				gs = append(gs, g)
			} else {
				left = append(left, g.tag())
			}
		}
	}
	rows := 1
	if len(gs) > 1 {
		rows = (len(gs) + 1) / 2
	}
	perPanel = maxRankingBars / rows
	cut := false
	for _, g := range gs {
		cut = cut || len(g.entries) > perPanel
	}
	var parts []string
	if len(left) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d groups are drawn (left out: %s)", len(gs), len(all), strings.Join(left, "; ")))
	}
	if cut {
		parts = append(parts, fmt.Sprintf("each panel shows its %d best-ranked strategies", perPanel))
	}
	if len(parts) > 0 {
		note = capitalize(strings.Join(parts, "; ")) + "; the Strategies table ranks them all."
	}
	return gs, perPanel, note
}

// makespanWords is the unit of a group's makespan.
func makespanWords(mode string) string {
	if mode == record.ModeSim {
		return "seconds of virtual time"
	}
	return "seconds"
}

// hbar is one horizontal bar of the ranking chart.
type hbar struct {
	value      float64
	bound      float64 // lower bound, < 0 when unknown
	col        color.RGBA
	incomplete bool
	text       string
}

// hbarPlotter draws horizontal bars at y = 0, 1, …, each with its lower bound as a black tick
// and its text after the bar.
type hbarPlotter struct{ bars []hbar }

// Plot implements plot.Plotter.
func (hp *hbarPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	half := (trY(1) - trY(0)) * 0.32
	sty := p.Title.TextStyle
	sty.Font.Size = vg.Points(8.5)
	sty.Color = colText
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	for i, b := range hp.bars {
		y := trY(float64(i))
		x0, x1 := trX(0), trX(b.value)
		rect := []vg.Point{{X: x0, Y: y - half}, {X: x1, Y: y - half}, {X: x1, Y: y + half}, {X: x0, Y: y + half}}
		if b.incomplete {
			c.FillPolygon(tint(b.col, 0.35), rect)
			hatch := draw.LineStyle{Color: b.col, Width: vg.Points(1.2)}
			for x := x0 - 2*half; x < x1; x += vg.Points(6) {
				lo, hi := max(x, x0), min(x+2*half, x1)
				if hi > lo {
					c.StrokeLine2(hatch, lo, y-half+(lo-x), hi, y-half+(hi-x))
				}
			}
			c.StrokeLines(draw.LineStyle{Color: b.col, Width: vg.Points(1)}, append(rect, rect[0]))
		} else {
			c.FillPolygon(b.col, rect)
		}
		end := x1
		if b.bound >= 0 {
			xb := trX(b.bound)
			c.StrokeLine2(draw.LineStyle{Color: colBound, Width: vg.Points(2.5)}, xb, y-half*1.35, xb, y+half*1.35)
			end = max(end, xb)
		}
		c.FillText(sty, vg.Point{X: end + vg.Points(4), Y: y}, fitText(sty, b.text, c.Max.X-end-vg.Points(4)))
	}
}

// sweepChart: attempts and makespan against client count, one line per strategy and mode, the
// lower bound on makespan, incomplete entries marked; logarithmic axes when a range spans more
// than 10×, ticks at the client counts swept.
func sweepChart(s *summary.Summary, pal palette) Chart {
	c := Chart{File: "sweep.png", Title: "Attempts and makespan against client count"}
	var counts []float64
	for _, st := range s.Strategies {
		if !slices.Contains(counts, float64(st.Clients)) {
			counts = append(counts, float64(st.Clients))
		}
	}
	slices.Sort(counts)
	if len(counts) < 2 {
		c.Omitted = "no sweep ran"
		if len(counts) == 1 {
			c.Omitted = fmt.Sprintf("no sweep ran (one client count: %s)", count(int64(counts[0])))
		}
		return c
	}
	type line struct {
		name, mode   string
		att, mk, bad plotter.XYs // bad: makespan points of incomplete entries
		badAtt       plotter.XYs
	}
	var lines []*line
	bounds := map[string]plotter.XYs{} // per mode: the lower bound at each client count
	for _, g := range pal.groups {
		lb := -1.0
		for _, st := range g.entries {
			i := slices.IndexFunc(lines, func(l *line) bool { return l.name == st.Name && l.mode == st.Mode })
			if i < 0 {
				lines = append(lines, &line{name: st.Name, mode: st.Mode})
				i = len(lines) - 1
			}
			l := lines[i]
			x := float64(st.Clients)
			l.att = append(l.att, plotter.XY{X: x, Y: float64(st.Attempts)})
			if !complete(st) {
				l.badAtt = append(l.badAtt, plotter.XY{X: x, Y: float64(st.Attempts)})
			}
			if st.MakespanSeconds != nil {
				l.mk = append(l.mk, plotter.XY{X: x, Y: *st.MakespanSeconds})
				if !complete(st) {
					l.bad = append(l.bad, plotter.XY{X: x, Y: *st.MakespanSeconds})
				}
			}
			if complete(st) && st.MakespanLowerBoundSeconds != nil {
				lb = math.Max(lb, *st.MakespanLowerBoundSeconds)
			}
		}
		if lb > 0 {
			bounds[g.mode] = append(bounds[g.mode], plotter.XY{X: float64(g.clients), Y: lb})
		}
	}
	showMode := variesMode(s)
	modes := []string{}
	for _, l := range lines {
		if !slices.Contains(modes, l.mode) {
			modes = append(modes, l.mode)
		}
	}
	c.draw = func(dc draw.Canvas) error {
		attLabel := "attempts"
		switch {
		case hasMode(s, record.ModeSim) && hasMode(s, record.ModeLive):
			attLabel = "attempts (HTTP or simulated)"
		case hasMode(s, record.ModeSim):
			attLabel = "simulated attempts"
		default:
			attLabel = "HTTP attempts"
		}
		mkLabel := "makespan (s)"
		if hasMode(s, record.ModeSim) {
			mkLabel = "makespan (s, virtual when sim)"
		}
		att := newPlot("Attempts vs clients", "clients", attLabel)
		mk := newPlot("Makespan vs clients", "clients", mkLabel)
		legend := newLegendColumn()
		var attLo, attHi, mkLo, mkHi = math.Inf(1), 0.0, math.Inf(1), 0.0
		for _, l := range lines {
			name := l.name
			if showMode {
				name += " (" + l.mode + ")"
			}
			dashes := dashPatterns[slices.Index(modes, l.mode)%len(dashPatterns)]
			for _, panel := range []struct {
				p   *plot.Plot
				pts plotter.XYs
			}{{att, l.att}, {mk, l.mk}} {
				if len(panel.pts) == 0 {
					continue
				}
				slices.SortFunc(panel.pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
				ln, pts, err := plotter.NewLinePoints(panel.pts)
				if err != nil {
					return err
				}
				ln.LineStyle.Color, ln.LineStyle.Width, ln.LineStyle.Dashes = pal.color(l.name), vg.Points(2), dashes
				pts.Color, pts.Shape, pts.Radius = pal.color(l.name), draw.CircleGlyph{}, vg.Points(3)
				panel.p.Add(ln, pts)
				if panel.p == att {
					legend.add(name, ln, pts)
				}
				for _, pt := range panel.pts {
					if panel.p == att {
						attLo, attHi = math.Min(attLo, pt.Y), math.Max(attHi, pt.Y)
					} else {
						mkLo, mkHi = math.Min(mkLo, pt.Y), math.Max(mkHi, pt.Y)
					}
				}
			}
		}
		var marked bool
		for _, l := range lines {
			for _, panel := range []struct {
				p   *plot.Plot
				pts plotter.XYs
			}{{att, l.badAtt}, {mk, l.bad}} {
				if len(panel.pts) == 0 {
					continue
				}
				sc, err := plotter.NewScatter(panel.pts)
				if err != nil {
					return err
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: colBound, Shape: draw.CrossGlyph{}, Radius: vg.Points(6)}
				panel.p.Add(sc)
				if !marked {
					legend.add("cross: some requests did not succeed", sc)
					marked = true
				}
			}
		}
		for i, m := range modes {
			pts := bounds[m]
			if len(pts) == 0 {
				continue
			}
			slices.SortFunc(pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			ln, sq, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			ln.LineStyle = draw.LineStyle{Color: colBound, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
			sq.Shape, sq.Color, sq.Radius = draw.BoxGlyph{}, colBound, vg.Points(2.5)
			mk.Add(ln, sq)
			name := "lower bound from the limits"
			if len(modes) > 1 {
				name += " (" + m + ")"
			}
			if i == 0 || len(modes) > 1 {
				legend.add(name, ln, sq)
			}
			for _, pt := range pts {
				mkLo, mkHi = math.Min(mkLo, pt.Y), math.Max(mkHi, pt.Y)
			}
		}
		for _, p := range []*plot.Plot{att, mk} {
			p.Add(plotter.NewGrid())
			if !useLogScale(&p.X, counts[0], counts[len(counts)-1]) {
				pad := (counts[len(counts)-1] - counts[0]) * 0.05
				p.X.Min, p.X.Max = counts[0]-pad, counts[len(counts)-1]+pad
			}
			p.X.Tick.Marker = valueTicks(counts)
		}
		for _, ax := range []struct {
			p      *plot.Plot
			lo, hi float64
		}{{att, attLo, attHi}, {mk, mkLo, mkHi}} {
			if useLogScale(&ax.p.Y, ax.lo, ax.hi) {
				ax.p.Title.Text += " (log scale)"
			} else {
				ax.p.Y.Min = 0
			}
		}
		return drawGrid(legend.split(drawTitle(dc, "Client-count sweep: attempts and makespan per strategy")), []*plot.Plot{att, mk}, 2)
	}
	return c
}

// fitText cuts s at a word so that it fits in w when written in sty, ending it with "…".
func fitText(sty draw.TextStyle, s string, w vg.Length) string {
	if sty.Width(s) <= w {
		return s
	}
	words := strings.Fields(s)
	for n := len(words) - 1; n > 0; n-- {
		t := strings.TrimRight(strings.Join(words[:n], " "), ",;:") + " …"
		if sty.Width(t) <= w {
			return t
		}
	}
	return ""
}
