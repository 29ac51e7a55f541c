package report

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// rateXYs turns a count series into per-second rates at each bin's start, shifted by origin;
// a final point closes the last bin so a PostStep line draws it whole.
func rateXYs(s *Series, origin float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(s.Bins)+1)
	for i, v := range s.Bins {
		pts = append(pts, plotter.XY{X: s.origin + float64(i)*s.Width - origin, Y: v / s.Width})
	}
	if n := len(s.Bins); n > 0 {
		pts = append(pts, plotter.XY{X: s.origin + float64(n)*s.Width - origin, Y: s.Bins[n-1] / s.Width})
	}
	return pts
}

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

// strategiesChart: attempts per second over time per strategy entry, small multiples sharing
// both axes, time counted from each entry's segment start; a panel whose requests did not all
// succeed says how many and why in its title.
func (b *Builder) strategiesChart(s *summary.Summary, pal palette) Chart {
	c, ok := strategyChart(s, "strategies.png", "Attempts per second over time, one panel per strategy")
	if !ok {
		return c
	}
	showMode, showClients := variesMode(s), variesClients(s)
	var limits []limitLine // the inferred effective request limit, for reference
	for _, l := range requestLimits(s) {
		if l.col == colEffective {
			limits = append(limits, l)
		}
	}
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
		xLabel := "s since the segment started"
		if hasMode(s, record.ModeSim) {
			xLabel += " (virtual when simulated)"
		}
		for _, g := range pal.groups {
			for _, st := range g.entries {
				acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
				start, _ := acc.start()
				pts := rateXYs(acc.perSec.rebin(width), start)
				title := strategyLabel(st, showMode, showClients)
				if r := shortReason(st); r != "" {
					title += " — " + r
				}
				p := newPlot(title, xLabel, yLabel)
				p.Title.TextStyle.Font.Size = vg.Points(10)
				p.X.Label.TextStyle.Font.Size = vg.Points(9)
				p.Y.Label.TextStyle.Font.Size = vg.Points(9)
				p.Add(plotter.NewGrid())
				for _, lim := range limits {
					l, err := lineOf(plotter.XYs{{X: 0, Y: lim.perSecond}, {X: span * 1.5, Y: lim.perSecond}}, lim.col, 1.2, lim.dashes)
					if err != nil {
						return err
					}
					p.Add(l)
					yMax = math.Max(yMax, lim.perSecond)
				}
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
		cols := 1
		switch {
		case len(plots) > 8:
			cols = 3
		case len(plots) > 4:
			cols = 2
		}
		rows := (len(plots) + cols - 1) / cols
		for i, p := range plots {
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, xMax, 0, yMax*1.05
			if rows > 2 {
				p.Y.Tick.Marker = niceTicks{n: 2}
			}
			// Shared axes: the axis labels once, at the bottom row and the left column.
			if i/cols != rows-1 && i+cols < len(plots) {
				p.X.Label.Text = ""
			}
			if i%cols != 0 {
				p.Y.Label.Text = ""
			}
		}
		title := "Attempts per second over time, per strategy (shared axes)"
		if len(limits) > 0 {
			title += fmt.Sprintf("; dash-dot: the effective limit, %s requests/s", human(limits[0].perSecond))
		}
		return drawTiles(dc, title, plots, cols)
	}
	return c
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
	c.draw = func(dc draw.Canvas) error {
		p := newPlot("Completion latency of requests, from their scheduled time", "latency (s, log scale)", "share of the strategy's requests completed")
		p.Add(plotter.NewGrid())
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		legend := newLegendColumn()
		// A log axis has no 0: latencies of 0 (simulated requests answered at once) and the
		// fastest under a hundredth of the smallest non-zero one are drawn at its left edge.
		floor := math.Inf(1)
		for _, acc := range b.strategies {
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
		for _, g := range pal.groups {
			for _, st := range g.entries {
				acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
				cdf := acc.latency.CDF()
				if len(cdf) == 0 {
					continue
				}
				share := float64(st.Succeeded) / float64(max(1, st.Requests))
				pts := make(plotter.XYs, 0, len(cdf)+1)
				pts = append(pts, plotter.XY{X: math.Max(cdf[0].Seconds, floor), Y: 0})
				for _, q := range cdf {
					pts = append(pts, plotter.XY{X: math.Max(q.Seconds, floor), Y: q.Fraction * share})
				}
				xMin, xMax = math.Min(xMin, pts[0].X), math.Max(xMax, pts[len(pts)-1].X)
				if cdf[0].Seconds < floor {
					p.X.Label.Text = fmt.Sprintf("latency (s, log scale; under %s s, 0 included, drawn at the left edge)", human(floor))
				}
				l, err := lineOf(pts, pal.color(st.Name), 2, pal.dashes(st))
				if err != nil {
					return err
				}
				l.StepStyle = plotter.PreStep
				p.Add(l)
				name := strategyLabel(st, showMode, showClients)
				if n := st.Requests - st.Succeeded; n > 0 {
					name += fmt.Sprintf(" (%s/%s failed)", compact(n), compact(st.Requests))
					incomplete = true
				}
				legend.add(name, l)
			}
		}
		if incomplete {
			legend.note("A curve ending below 1 stops short by the share of requests that never succeeded; the Strategies table says why.")
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
