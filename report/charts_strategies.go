package report

import (
	"cmp"
	"fmt"
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

// noStrategies is why a per-strategy chart is left out of a run that compared none.
const noStrategies = "no strategies were compared in this run"

// strategyChart starts a chart drawn per compared strategy entry; ok is false, and the chart
// says it is left out, when the run compared none.
func strategyChart(s *summary.Summary, file, title string) (c Chart, ok bool) {
	c = Chart{File: file, Title: title}
	if len(s.Strategies) == 0 {
		c.Omitted = noStrategies
		return c, false
	}
	return c, true
}

// windowRates turns the bins of a count series that fall in [from, to) into per-second rates
// over bins of width seconds (a whole multiple of the series' width), x counted from from; a
// final point closes the last bin so a PostStep line draws it whole. Only the window's bins are
// read: a series of the whole run holds hours of bins around a short segment.
func windowRates(s *Series, from, to, width float64) plotter.XYs {
	k := max(1, int(math.Round(width/s.Width)))
	w := s.Width * float64(k)
	i0 := max(0, int(math.Floor((from-s.origin)/s.Width)))
	i1 := min(len(s.Bins), int(math.Ceil((to-s.origin)/s.Width)))
	if i1 <= i0 {
		return nil
	}
	pts := make(plotter.XYs, 0, (i1-i0)/k+2)
	last := 0.0
	for i := i0; i < i1; i += k {
		v := 0.0
		for j := i; j < min(i+k, i1); j++ {
			v += s.Bins[j]
		}
		last = v / w
		pts = append(pts, plotter.XY{X: s.origin + float64(i)*s.Width - from, Y: last})
	}
	pts = append(pts, plotter.XY{X: s.origin + float64(i1)*s.Width - from, Y: last})
	return pts
}

// maxStrategyPanels is the most panels strategies.png draws: 18 (every bundled strategy of one
// group) in a 6 × 3 grid of about 185 × 190 pixels each still reads.
const maxStrategyPanels = 18

// pickStrategyPanels chooses the entries strategies.png draws: whole groups (mode and client
// count), live before simulated and the most clients first, as long as they fit in
// maxStrategyPanels; the first group alone is cut to its best-ranked entries. note says what was
// left out ("" when nothing was).
func pickStrategyPanels(gs []strategyGroup) (picked []*summary.Strategy, note string) {
	order := slices.Clone(gs)
	slices.SortStableFunc(order, func(a, b strategyGroup) int {
		return cmp.Or(cmp.Compare(modeOrder(b.mode), modeOrder(a.mode)), cmp.Compare(b.clients, a.clients))
	})
	total, n := 0, 0
	take := map[int]int{} // index in gs → entries drawn
	for _, g := range order {
		total += len(g.entries)
		k := len(g.entries)
		if n+k > maxStrategyPanels {
			if n > 0 {
				continue
			}
			k = maxStrategyPanels
		}
		take[slices.IndexFunc(gs, func(o strategyGroup) bool { return o.mode == g.mode && o.clients == g.clients })] = k
		n += k
	}
	var kept []string
	for i, g := range gs { // in the groups' order, as the other charts
		k, ok := take[i]
		if !ok {
			continue
		}
		picked = append(picked, g.entries[:k]...)
		if k < len(g.entries) {
			kept = append(kept, fmt.Sprintf("the %d best-ranked of %s", k, g.tag()))
		} else {
			kept = append(kept, "the entries of "+g.tag())
		}
	}
	if len(picked) == total {
		return picked, ""
	}
	return picked, fmt.Sprintf("Drawn: %s (%d of %d strategy entries); ranking.png and the Strategies table have them all.", strings.Join(kept, "; "), len(picked), total)
}

// panelCols is the column count of a grid of n panels on the wide chart: about 1.5 columns per
// row, and full rows where a nearby shape allows (4 as 2 × 2, 9 as 3 × 3, 16 as 4 × 4).
func panelCols(n int) int {
	switch {
	case n <= 3:
		return max(1, n)
	case n == 4:
		return 2
	case n <= 6 || n == 9:
		return 3
	case n <= 12 || n == 16:
		return 4
	case n <= 15:
		return 5
	}
	return 6
}

// unlabelled drops the labels of another ticker's ticks, for inner panels of a shared-axis grid.
type unlabelled struct{ plot.Ticker }

// Ticks implements plot.Ticker.
func (u unlabelled) Ticks(lo, hi float64) []plot.Tick {
	ts := u.Ticker.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = ""
	}
	return ts
}

// strategiesChart: attempts per second over time per strategy entry, small multiples sharing
// both axes (tick labels on the outer panels, axis labels once), time counted from each entry's
// segment start; a panel whose requests did not all succeed says how many and why under its
// name. At most maxStrategyPanels are drawn; the chart's note names what was left out.
func (b *Builder) strategiesChart(s *summary.Summary, pal palette) Chart {
	c, ok := strategyChart(s, "strategies.png", "Attempts per second over time, one panel per strategy")
	if !ok {
		return c
	}
	entries, note := pickStrategyPanels(pal.groups)
	c.Note = note
	var limits []limitLine // the inferred effective request limit, for reference
	for _, l := range requestLimits(s) {
		if l.col == colEffective {
			limits = append(limits, l)
		}
	}
	c.draw = func(dc draw.Canvas) error {
		plots, canvases, err := b.strategiesLayout(dc, s, entries, pal, limits)
		for i, p := range plots {
			p.Draw(canvases[i])
		}
		return err
	}
	return c
}

// strategiesLayout makes the panels of strategies.png, draws the chart's title and shared axis
// labels on dc, and returns each panel with the canvas it is drawn on.
func (b *Builder) strategiesLayout(dc draw.Canvas, s *summary.Summary, entries []*summary.Strategy, pal palette, limits []limitLine) ([]*plot.Plot, []draw.Canvas, error) {
	plots, err := b.strategyPanels(entries, pal, limits, variesMode(s), variesClients(s))
	if err != nil || len(plots) == 0 {
		return nil, nil, err
	}
	cols := panelCols(len(plots))
	rows := (len(plots) + cols - 1) / cols
	for i, p := range plots {
		if i/cols != rows-1 && i+cols < len(plots) {
			p.X.Tick.Marker = unlabelled{p.X.Tick.Marker}
		}
		if i%cols != 0 {
			p.Y.Tick.Marker = unlabelled{p.Y.Tick.Marker}
		}
	}
	title := "Attempts per second over time, per strategy (shared axes)"
	if len(limits) > 0 {
		title += fmt.Sprintf("; dash-dot line: effective limit %s/s", human(limits[0].perSecond))
	}
	dc = drawTitle(dc, title)
	xLabel := "seconds since the strategy's segment started"
	if hasMode(s, record.ModeSim) {
		xLabel += " (virtual time when simulated)"
	}
	yLabel := "attempts per second"
	if w := plots[0].Y.Label.Text; w != "" {
		yLabel += " (" + w + ")"
	}
	for _, p := range plots {
		p.Y.Label.Text = ""
	}
	return plots, gridCanvases(axisLabels(dc, xLabel, yLabel), plots, cols), nil
}

// axisLabels writes a grid's shared x label under dc and its y label up its left side, and
// returns the canvas inside them.
func axisLabels(dc draw.Canvas, xLabel, yLabel string) draw.Canvas {
	sty := plot.New().X.Label.TextStyle
	sty.Font.Size = vg.Points(11)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Min.Y + vg.Points(2)}, xLabel)
	sty.Rotation = math.Pi / 2
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	dc.FillText(sty, vg.Point{X: dc.Min.X + vg.Points(2), Y: (dc.Min.Y + dc.Max.Y) / 2}, yLabel)
	return draw.Crop(dc, vg.Points(18), 0, vg.Points(18), 0)
}

// strategyPanels returns one plot per entry with shared axis ranges; the series are binned to
// at most maxPlotBins/2 points over the longest segment, reading only each segment's bins. The
// first plot's Y label carries the bin width when it is over a second ("" otherwise).
func (b *Builder) strategyPanels(entries []*summary.Strategy, pal palette, limits []limitLine, showMode, showClients bool) ([]*plot.Plot, error) {
	width, span := 1.0, 0.0
	for _, st := range entries {
		acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
		start, _ := acc.start()
		width, span = math.Max(width, acc.perSec.Width), math.Max(span, acc.lastEnd-start)
	}
	width *= math.Max(1, math.Ceil(span/width/(maxPlotBins/2)))
	xMax, yMax, yMin := 1.0, 1.0, math.Inf(1)
	perLine := 40 * 3 / panelCols(len(entries)) // characters of a panel's title line
	var plots []*plot.Plot
	var lines []*plotter.Line // the rate lines, raised to a log axis' floor
	var owners []*plot.Plot   // the plot of each line
	for _, st := range entries {
		acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
		start, _ := acc.start()
		pts := windowRates(acc.perSec, start, math.Max(acc.lastEnd, start)+width, width)
		title := strategyLabel(st, showMode, showClients)
		if r := shortReason(st); r != "" {
			title += "\n" + panelText(r, perLine)
		}
		p := newPlot(title, "", "")
		p.Title.TextStyle.Font.Size = vg.Points(9.5)
		p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{n: 3}, niceTicks{n: 3}
		p.Add(plotter.NewGrid())
		for _, lim := range limits {
			l, err := lineOf(plotter.XYs{{X: 0, Y: lim.perSecond}, {X: span * 1.5, Y: lim.perSecond}}, lim.col, 1.2, lim.dashes)
			if err != nil {
				return nil, err
			}
			p.Add(l)
			yMax = math.Max(yMax, lim.perSecond)
		}
		if len(pts) > 0 {
			l, err := lineOf(pts, pal.color(st.Name), 1.5, nil)
			if err != nil {
				return nil, err
			}
			l.StepStyle = plotter.PostStep
			p.Add(l)
			lines, owners = append(lines, l), append(owners, p)
			for _, pt := range pts {
				xMax, yMax = math.Max(xMax, pt.X), math.Max(yMax, pt.Y)
				if pt.Y > 0 {
					yMin = math.Min(yMin, pt.Y)
				}
			}
		}
		plots = append(plots, p)
	}
	for _, lim := range limits {
		yMin = math.Min(yMin, lim.perSecond)
	}
	// Rates spanning more than 10× (a retry storm beside a paced client) go on a log axis, with
	// empty bins drawn at its floor; the first plot's Y label says so.
	logY := !math.IsInf(yMin, 1) && yMax/yMin > 10
	floor := yMin / 2
	for _, p := range plots {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, xMax, 0, yMax*1.05
		if logY {
			p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
			p.Y.Min, p.Y.Max = floor, yMax*1.3
		}
	}
	for k, l := range lines {
		if logY {
			for i := range l.XYs {
				l.XYs[i].Y = math.Max(l.XYs[i].Y, floor)
			}
		}
		// A segment over in a few bins (every request gave up at once) is a sliver against the
		// shared axis: dots mark its bins.
		if n := len(l.XYs); n > 0 && n <= 4 && l.XYs[n-1].X-l.XYs[0].X < xMax/50 {
			sc, err := plotter.NewScatter(l.XYs[:max(1, n-1)])
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: l.LineStyle.Color, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
			owners[k].Add(sc)
		}
	}
	if len(plots) > 0 {
		var parts []string
		if width > 1 {
			parts = append(parts, seconds(width)+" bins")
		}
		if logY {
			parts = append(parts, "log scale, 0 drawn at the bottom")
		}
		plots[0].Y.Label.Text = strings.Join(parts, "; ")
	}
	return plots, nil
}

// panelText wraps a panel's note to two lines of about perLine characters, cutting the rest.
func panelText(s string, perLine int) string {
	lines := wrapLines(s, max(12, perLine))
	if len(lines) > 2 {
		lines = lines[:2]
		lines[1] = strings.TrimRight(lines[1], " ,;:") + " …"
	}
	return strings.Join(lines, "\n")
}

// latencyChart: the completion-latency CDF of each strategy entry on a logarithmic time axis,
// as a share of all the entry's requests, so an entry that gave up on some tops out below 1.
func (b *Builder) latencyChart(s *summary.Summary, pal palette) Chart {
	c, ok := strategyChart(s, "latency.png", "Completion latency (CDF) per strategy")
	if !ok {
		return c
	}
	if !slices.ContainsFunc(s.Strategies, func(st summary.Strategy) bool { return st.Latency != nil }) {
		c.Omitted = "no logical request of a compared strategy succeeded"
		return c
	}
	showMode, showClients := variesMode(s), variesClients(s)
	// As many curves as strategies.png has panels: more tangle and their legend runs off the chart.
	entries, note := pickStrategyPanels(pal.groups)
	c.Note = note
	c.draw = func(dc draw.Canvas) error {
		p := newPlot("Completion latency of requests, from their scheduled time", "latency (s, log scale)", "share of the strategy's requests completed")
		p.Add(plotter.NewGrid())
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		legend := newLegendColumn()
		// A log axis has no 0: latencies of 0 (simulated requests answered at once) and the
		// fastest under a hundredth of the smallest non-zero one are drawn at its left edge.
		floor := math.Inf(1)
		for _, st := range entries {
			acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
			for _, q := range acc.latency.CDF() {
				if q.Seconds > 0 {
					floor = math.Min(floor, q.Seconds)
					break
				}
			}
		}
		if math.IsInf(floor, 1) {
			floor = 1e-3
		}
		floor = math.Max(floor/2, 1e-6)
		xMin, xMax := math.Inf(1), 0.0
		incomplete := false
		for _, st := range entries {
			acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
			cdf := acc.latency.CDF()
			if len(cdf) == 0 {
				continue
			}
			share := float64(st.Succeeded) / float64(max(1, st.Requests))
			l, err := cdfLine(cdf, share, floor, pal.color(st.Name), pal.dashes(st))
			if err != nil {
				return err
			}
			xMin, xMax = math.Min(xMin, l.XYs[0].X), math.Max(xMax, l.XYs[len(l.XYs)-1].X)
			if cdf[0].Seconds < floor {
				p.X.Label.Text = fmt.Sprintf("latency (s, log scale; under %s s, 0 included, drawn at the left edge)", human(floor))
			}
			p.Add(l)
			name := strategyLabel(st, showMode, showClients)
			if n := st.Requests - st.Succeeded; n > 0 {
				name += fmt.Sprintf(" (%s/%s failed)", compact(n), compact(st.Requests))
				incomplete = true
			}
			legend.add(name, l)
		}
		if incomplete {
			legend.note("A curve ending below 1 stops short by the share of requests that never succeeded; the Strategies table says why.")
		}
		if math.IsInf(xMin, 1) { // none of the drawn entries succeeded
			xMin, xMax = floor, 1
		}
		p.Y.Min, p.Y.Max = 0, 1.02
		p.X.Min, p.X.Max = xMin/1.2, xMax*1.1
		p.Draw(margin(legend.split(dc)))
		return nil
	}
	return c
}

// strategyLabel names a strategy entry for tables and charts: the strategy, then the mode and
// client count when the run had more than one of either.
func strategyLabel(s *summary.Strategy, showMode, showClients bool) string {
	l := s.Name
	if showMode {
		l += " (" + s.Mode + ")"
	}
	if showClients {
		if s.Clients > 0 {
			l += " ×" + count(int64(s.Clients))
		} else {
			l += " (open arrivals)"
		}
	}
	return l
}
