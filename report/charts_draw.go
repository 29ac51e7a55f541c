package report

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ratelab/ratelab/probe/infer"
	"github.com/ratelab/ratelab/probe/ratelimit"
)

// lineOf returns a step line through pts with the given colour, width and dashes.
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

// rateXYs turns a count series into per-second rates at each bin's start, shifted by origin;
// a final point closes the last bin so a PostStep line draws it whole.
func rateXYs(s *Series, origin float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(s.Bins)+1)
	for i, v := range s.Bins {
		pts = append(pts, plotter.XY{X: float64(i)*s.Width - origin, Y: v / s.Width})
	}
	if n := len(s.Bins); n > 0 {
		pts = append(pts, plotter.XY{X: float64(n)*s.Width - origin, Y: s.Bins[n-1] / s.Width})
	}
	return pts
}

// setXYs returns the set bins of a min/max series at their centres.
func setXYs(s *Series) plotter.XYs {
	var pts plotter.XYs
	for i, v := range s.Bins {
		if s.Set[i] {
			pts = append(pts, plotter.XY{X: (float64(i) + 0.5) * s.Width, Y: v})
		}
	}
	return pts
}

// timelineChart: sent, accepted and rejected attempts per second against the scheduled rate.
func (b *Builder) timelineChart() Chart {
	c := Chart{File: "timeline.png", Title: "Attempts per second: sent, accepted and rejected against the scheduled rate"}
	if b.totals.Attempts == 0 {
		c.Omitted = "no HTTP attempt was recorded"
		return c
	}
	c.draw = func(dc draw.Canvas) error {
		p := newPlot("Timeline: attempts per second vs the scheduled rate", "time since run start (s)", "attempts per second")
		p.Add(plotter.NewGrid())
		type line struct {
			name   string
			s      *Series
			col    color.Color
			width  float64
			dashes []vg.Length
		}
		lines := []line{
			{"scheduled (target rate)", b.scheduled, colScheduled, 1.2, []vg.Length{vg.Points(6), vg.Points(3)}},
			{"sent", b.sent, colSent, 1.5, nil},
			{"accepted (2xx)", b.accepted, colAccepted, 1.5, nil},
			{"rejected (429)", b.limited, colRejected, 1.5, nil},
			{"failed (5xx, errors)", b.failedS, colFailed, 1.5, nil},
		}
		width := plotWidth(maxPlotBins, b.scheduled, b.sent, b.accepted, b.limited, b.failedS)
		if width > 1 {
			p.Y.Label.Text = fmt.Sprintf("attempts per second (mean over %s bins)", seconds(width))
		}
		yMax := 1.0
		for _, ln := range lines {
			if ln.s.Empty() {
				continue
			}
			pts := rateXYs(ln.s.rebin(width), 0)
			yMax = math.Max(yMax, maxY(pts))
			l, err := lineOf(pts, ln.col, ln.width, ln.dashes)
			if err != nil {
				return err
			}
			l.StepStyle = plotter.PostStep
			p.Add(l)
			p.Legend.Add(ln.name, l)
		}
		p.X.Min, p.Y.Min, p.Y.Max = 0, 0, yMax*1.3 // headroom for the legend
		p.Draw(margin(dc))
		return nil
	}
	return c
}

// headersChart: remaining per dimension over time with the advertised and effective limit.
func (b *Builder) headersChart(s *Summary) Chart {
	c := Chart{File: "headers.png", Title: "Rate-limit headers: remaining per dimension over time, with the advertised and effective limits"}
	var dims []ratelimit.Dimension
	for d := ratelimit.Dimension(0); d < ratelimit.NumDimensions; d++ {
		if !b.headers[d].remaining.Empty() {
			dims = append(dims, d)
		}
	}
	if len(dims) == 0 {
		c.Omitted = "no response carried a rate-limit remaining header"
		return c
	}
	c.draw = func(dc draw.Canvas) error {
		var plots []*plot.Plot
		for _, d := range dims {
			h := &b.headers[d]
			p := newPlot(d.String(), "time since run start (s)", d.String()+" remaining")
			p.Add(plotter.NewGrid())
			width := plotWidth(maxPlotBins, h.remaining, h.limit)
			remPts := setXYs(h.remaining.rebin(width))
			remMax := math.Max(1, maxY(remPts))
			// The axis spans remaining; a limit line far above it (e.g. 600/min advertised while
			// the bucket holds 10) would flatten remaining to nothing, so it is left off-scale and
			// its legend entry gives its value.
			yMax := remMax
			scaled := func(v float64) bool { return v <= 10*remMax }
			// Drawn only where responses were seen: a line through consecutive bins, a dot for a lone one.
			var rem *plotter.Line
			for _, run := range setRuns(h.remaining.rebin(width)) {
				l, err := lineOf(run, strategyPalette[0], 1.5, nil)
				if err != nil {
					return err
				}
				p.Add(l)
				rem = l
				if len(run) == 1 {
					sc, err := plotter.NewScatter(run)
					if err != nil {
						return err
					}
					sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = strategyPalette[0], draw.CircleGlyph{}, vg.Points(1.5)
					p.Add(sc)
				}
			}
			p.Legend.Add("remaining (lowest per bin)", rem)
			if pts := setXYs(h.limit.rebin(width)); len(pts) > 0 {
				lmax := maxY(pts)
				label := "advertised limit (header)"
				if scaled(lmax) {
					yMax = math.Max(yMax, lmax)
				} else {
					label = fmt.Sprintf("advertised limit (header): %s, above this scale", human(lmax))
				}
				adv, err := lineOf(pts, colSent, 1.2, []vg.Length{vg.Points(6), vg.Points(3)})
				if err != nil {
					return err
				}
				p.Add(adv)
				p.Legend.Add(label, adv)
			}
			if q, w, ok := effectiveQuota(s.Limits, d, h.windowS); ok {
				label := fmt.Sprintf("effective limit (inferred): %s per %s", human(q), seconds(w))
				if scaled(q) {
					yMax = math.Max(yMax, q)
				} else {
					label += ", above this scale"
				}
				x0, x1 := 0.0, float64(len(h.remaining.Bins))*h.remaining.Width
				eff, err := lineOf(plotter.XYs{{X: x0, Y: q}, {X: x1, Y: q}}, colRejected, 1.5, []vg.Length{vg.Points(2), vg.Points(2)})
				if err != nil {
					return err
				}
				p.Add(eff)
				p.Legend.Add(label, eff)
			}
			p.X.Min, p.Y.Min, p.Y.Max = 0, 0, yMax*1.4 // headroom for the legend
			plots = append(plots, p)
		}
		return drawTiles(dc, "Rate-limit headers: remaining per dimension over time", plots, 1)
	}
	return c
}

// effectiveQuota is the inferred effective limit of dimension d expressed in the units the
// remaining header counts: effective per minute × window / 60 s, with the inferred window, else
// the window the headers stated, else one minute.
func effectiveQuota(limits []infer.Limit, d ratelimit.Dimension, headerWindowS float64) (quota, windowS float64, ok bool) {
	for _, l := range limits {
		if l.Dimension != d.String() || l.EffectivePerMinute == nil {
			continue
		}
		w := 60.0
		if l.WindowSeconds != nil && *l.WindowSeconds > 0 {
			w = *l.WindowSeconds
		} else if headerWindowS > 0 {
			w = headerWindowS
		}
		return *l.EffectivePerMinute * w / 60, w, true
	}
	return 0, 0, false
}

// strategiesChart: attempts per second over time per strategy entry, small multiples sharing
// both axes, time counted from each entry's segment start.
func (b *Builder) strategiesChart(s *Summary, pal palette) Chart {
	c := Chart{File: "strategies.png", Title: "Attempts per second over time, one panel per strategy"}
	if len(s.Strategies) == 0 {
		c.Omitted = "no strategies were compared in this run"
		return c
	}
	showMode, showClients := variesMode(s), variesClients(s)
	c.draw = func(dc draw.Canvas) error {
		var plots []*plot.Plot
		xMax, yMax := 1.0, 1.0
		// One bin width for every panel (shared axes): at most maxPlotBins/2 bins over the longest segment.
		width, span := 1.0, 0.0
		for _, acc := range b.strategies {
			start, _ := acc.start()
			width, span = math.Max(width, acc.perSec.Width), math.Max(span, acc.lastEnd-start)
		}
		width *= math.Max(1, math.Ceil(span/width/(maxPlotBins/2)))
		yLabel := "attempts/s"
		if width > 1 {
			yLabel = fmt.Sprintf("attempts/s (%s bins)", seconds(width))
		}
		for _, g := range pal.groups {
			for _, st := range g.entries {
				acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
				start, _ := acc.start()
				pts := rateXYs(acc.perSec.rebin(width), start)
				p := newPlot(st.Label(showMode, showClients), "time since segment start (s)", yLabel)
				p.Title.TextStyle.Font.Size = vg.Points(10)
				p.Add(plotter.NewGrid())
				if len(pts) > 0 {
					l, err := lineOf(pts, pal.color(st.Name), 1.5, nil)
					if err != nil {
						return err
					}
					l.StepStyle = plotter.PostStep
					p.Add(l)
					for _, pt := range pts {
						xMax, yMax = math.Max(xMax, pt.X), math.Max(yMax, pt.Y)
					}
				}
				plots = append(plots, p)
			}
		}
		for _, p := range plots {
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, xMax, 0, yMax*1.05
		}
		cols := 1
		switch {
		case len(plots) > 8:
			cols = 3
		case len(plots) > 4:
			cols = 2
		}
		return drawTiles(dc, "Attempts per second over time, per strategy (shared axes)", plots, cols)
	}
	return c
}

// latencyChart: the completion-latency CDF of each strategy entry on a logarithmic time axis.
func (b *Builder) latencyChart(s *Summary, pal palette) Chart {
	c := Chart{File: "latency.png", Title: "Completion latency (CDF) per strategy"}
	if len(s.Strategies) == 0 {
		c.Omitted = "no strategies were compared in this run"
		return c
	}
	if !slices.ContainsFunc(s.Strategies, func(st Strategy) bool { return st.Latency != nil }) {
		c.Omitted = "no logical request of a compared strategy succeeded"
		return c
	}
	showMode, showClients := variesMode(s), variesClients(s)
	c.draw = func(dc draw.Canvas) error {
		p := newPlot("Completion latency of succeeded requests (from scheduled time)", "latency (s, log scale)", "fraction of requests completed")
		p.Legend.Top, p.Legend.Left = false, false
		p.Add(plotter.NewGrid())
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		const floor = 1e-4 // log axis: latencies under 0.1 ms are drawn at 0.1 ms
		xMin := math.Inf(1)
		for _, g := range pal.groups {
			for _, st := range g.entries {
				acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
				cdf := acc.latency.CDF()
				if len(cdf) == 0 {
					continue
				}
				pts := make(plotter.XYs, 0, len(cdf)+1)
				pts = append(pts, plotter.XY{X: math.Max(cdf[0].Seconds, floor), Y: 0})
				for _, q := range cdf {
					pts = append(pts, plotter.XY{X: math.Max(q.Seconds, floor), Y: q.Fraction})
				}
				xMin = math.Min(xMin, pts[0].X)
				if cdf[0].Seconds < floor {
					p.X.Label.Text = "latency (s, log scale; under 0.1 ms drawn at 0.1 ms)"
				}
				l, err := lineOf(pts, pal.color(st.Name), 2, pal.dashes(st))
				if err != nil {
					return err
				}
				l.StepStyle = plotter.PreStep
				p.Add(l)
				p.Legend.Add(st.Label(showMode, showClients), l)
			}
		}
		p.Y.Min, p.Y.Max = 0, 1.02
		p.X.Min = xMin / 1.2
		p.Draw(margin(dc))
		return nil
	}
	return c
}

// rankingChart: attempts and makespan per strategy entry, with the makespan lower bound.
func rankingChart(s *Summary, pal palette) Chart {
	c := Chart{File: "ranking.png", Title: "Attempts and makespan per strategy against the lower bound"}
	if !slices.ContainsFunc(s.Strategies, func(st Strategy) bool { return st.MakespanSeconds != nil }) {
		c.Omitted = "no strategies were compared in this run"
		if len(s.Strategies) > 0 {
			c.Omitted = "no strategy completed a request"
		}
		return c
	}
	showMode, showClients := variesMode(s), variesClients(s)
	var entries []*Strategy
	for _, g := range pal.groups {
		entries = append(entries, g.entries...)
	}
	c.draw = func(dc draw.Canvas) error {
		labels := make([]string, len(entries))
		for i, st := range entries {
			labels[i] = st.Label(showMode, showClients)
		}
		barW := vg.Points(math.Min(40, 300/float64(len(entries))))
		attMax, mkMax := 1.0, 1.0
		for _, st := range entries {
			attMax = math.Max(attMax, float64(st.Attempts))
			mkMax = math.Max(mkMax, math.Max(valueOr(st.MakespanSeconds, 0), valueOr(st.MakespanLowerBoundSeconds, 0)))
		}
		att := newPlot("Attempts (HTTP) per strategy", "", "attempts")
		mk := newPlot("Makespan per strategy", "", "makespan (s)")
		att.Y.Max, mk.Y.Max = attMax*1.1, mkMax*1.2 // headroom for the legend
		var boundLegend bool
		for i, st := range entries {
			col := pal.color(st.Name)
			for _, panel := range []struct {
				p *plot.Plot
				v float64
			}{{att, float64(st.Attempts)}, {mk, valueOr(st.MakespanSeconds, 0)}} {
				bar, err := plotter.NewBarChart(plotter.Values{panel.v}, barW)
				if err != nil {
					return err
				}
				bar.XMin = float64(i)
				bar.Color = col
				bar.LineStyle.Width = 0
				panel.p.Add(bar)
			}
			if lb := st.MakespanLowerBoundSeconds; lb != nil {
				l, err := lineOf(plotter.XYs{{X: float64(i) - 0.45, Y: *lb}, {X: float64(i) + 0.45, Y: *lb}}, colBound, 2.5, nil)
				if err != nil {
					return err
				}
				mk.Add(l)
				if !boundLegend {
					mk.Legend.Add("lower bound from the limits", l)
					boundLegend = true
				}
			}
		}
		for _, p := range []*plot.Plot{att, mk} {
			p.NominalX(labels...)
			p.X.Tick.Label.Rotation = math.Pi / 5
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
			p.Y.Min = 0
			p.Add(plotter.NewGrid())
		}
		return drawTiles(dc, "Attempts and makespan per strategy (bars), lower bound (black)", []*plot.Plot{att, mk}, 2)
	}
	return c
}

// sweepChart: attempts and makespan against client count, one line per strategy and mode.
func sweepChart(s *Summary, pal palette) Chart {
	c := Chart{File: "sweep.png", Title: "Attempts and makespan against client count"}
	var counts []int
	for _, st := range s.Strategies {
		if !slices.Contains(counts, st.Clients) {
			counts = append(counts, st.Clients)
		}
	}
	if len(counts) < 2 {
		c.Omitted = "no sweep ran"
		if len(counts) == 1 {
			c.Omitted = fmt.Sprintf("no sweep ran (one client count: %s)", count(int64(counts[0])))
		}
		return c
	}
	type line struct {
		name, mode string
		att, mk    plotter.XYs
	}
	var lines []*line
	for _, g := range pal.groups {
		for _, st := range g.entries {
			i := slices.IndexFunc(lines, func(l *line) bool { return l.name == st.Name && l.mode == st.Mode })
			if i < 0 {
				lines = append(lines, &line{name: st.Name, mode: st.Mode})
				i = len(lines) - 1
			}
			lines[i].att = append(lines[i].att, plotter.XY{X: float64(st.Clients), Y: float64(st.Attempts)})
			if st.MakespanSeconds != nil {
				lines[i].mk = append(lines[i].mk, plotter.XY{X: float64(st.Clients), Y: *st.MakespanSeconds})
			}
		}
	}
	showMode := variesMode(s)
	c.draw = func(dc draw.Canvas) error {
		att := newPlot("Attempts vs clients", "clients", "attempts")
		mk := newPlot("Makespan vs clients", "clients", "makespan (s)")
		modes := []string{}
		for _, l := range lines {
			if !slices.Contains(modes, l.mode) {
				modes = append(modes, l.mode)
			}
		}
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
					att.Legend.Add(name, ln, pts)
				}
			}
		}
		for _, p := range []*plot.Plot{att, mk} {
			p.Add(plotter.NewGrid())
			p.Y.Min = 0
		}
		att.Legend.Left = true
		return drawTiles(dc, "Client-count sweep: attempts and makespan per strategy", []*plot.Plot{att, mk}, 2)
	}
	return c
}

// setRuns splits the set bins of a min/max series into runs of consecutive bins, at bin centres.
func setRuns(s *Series) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i, v := range s.Bins {
		if !s.Set[i] {
			if len(cur) > 0 {
				runs, cur = append(runs, cur), nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: (float64(i) + 0.5) * s.Width, Y: v})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// maxY is the largest Y of pts (0 when empty).
func maxY(pts plotter.XYs) float64 {
	m := 0.0
	for _, p := range pts {
		m = math.Max(m, p.Y)
	}
	return m
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
