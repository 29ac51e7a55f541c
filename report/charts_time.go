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

	"github.com/ratelab/ratelab/probe/record"
)

// A run's record times lie on one timeline on which live segments take wall-clock time and
// simulated ones virtual time, end to end. The time charts never draw both on one axis: a live
// panel shows wall-clock time with the simulated segments taken out, a simulated panel shows
// virtual time with the simulated segments end to end, and each segment is a labelled band.

// segSpan is one segment of the run and where it lies on its panel's time axis.
type segSpan struct {
	seg        record.Segment
	mode       string
	start, end float64      // timeline (record) times
	x0         float64      // panel time of start
	series     *labelSeries // nil when no attempt carried its label
}

// x maps a timeline time within the segment to its panel's time axis.
func (sp *segSpan) x(t float64) float64 { return sp.x0 + (t - sp.start) }

// clockLayout places the run's segments on a live panel and a simulated panel.
type clockLayout struct {
	spans []segSpan // in timeline order
}

// layout lays out the segments run.json lists (and any label it does not) on the two panels:
//
//	live:      x = t − (virtual time of the simulated segments before t)
//	simulated: x = virtual time of the simulated segments before t, plus t − their start
func (b *Builder) layout() clockLayout {
	var spans []segSpan
	at := map[string]int{}
	for _, sg := range b.run.Segments {
		if sg.EndS < sg.StartS {
			continue
		}
		at[sg.Label] = len(spans)
		spans = append(spans, segSpan{seg: sg, mode: sg.Mode, start: sg.StartS, end: sg.EndS})
	}
	for _, ls := range b.seriesList {
		if i, ok := at[ls.label]; ok {
			sp := &spans[i]
			sp.series = ls
			if sp.mode == "" {
				sp.mode = ls.mode
			}
			sp.end = math.Max(sp.end, math.Min(ls.last, sp.end+1)) // an attempt ending just after the segment
			continue
		}
		spans = append(spans, segSpan{seg: record.Segment{Label: ls.label}, mode: ls.mode, start: ls.first, end: ls.last, series: ls})
	}
	for i := range spans {
		if spans[i].mode != record.ModeSim {
			spans[i].mode = record.ModeLive
		}
	}
	slices.SortStableFunc(spans, func(a, b segSpan) int { return cmp.Compare(a.start, b.start) })
	virtual := 0.0
	for i := range spans {
		sp := &spans[i]
		if sp.mode == record.ModeSim {
			sp.x0 = virtual
			virtual += sp.end - sp.start
		} else {
			sp.x0 = math.Max(0, sp.start-virtual)
		}
	}
	return clockLayout{spans: spans}
}

// of returns the spans of a mode.
func (l clockLayout) of(mode string) []*segSpan {
	var out []*segSpan
	for i := range l.spans {
		if l.spans[i].mode == mode {
			out = append(out, &l.spans[i])
		}
	}
	return out
}

// length is the end of a mode's panel axis.
func (l clockLayout) length(mode string) float64 {
	end := 0.0
	for _, sp := range l.of(mode) {
		end = math.Max(end, sp.x(sp.end))
	}
	return end
}

// panelModes are the modes whose spans recorded attempts, live first.
func (l clockLayout) panelModes() []string {
	var out []string
	for _, m := range []string{record.ModeLive, record.ModeSim} {
		if slices.ContainsFunc(l.of(m), func(sp *segSpan) bool { return sp.series != nil && !sp.series.sent.Empty() }) {
			out = append(out, m)
		}
	}
	return out
}

// panelWidth is the bin width of a panel: whole seconds, at most maxPlotBins over its length.
func panelWidth(length float64) float64 {
	return math.Max(1, math.Ceil(length/maxPlotBins))
}

// clockWords names a panel's clock: its axis label and the unit of its rates.
func clockWords(mode string, both bool) (axis, perSecond string) {
	if mode == record.ModeSim {
		return "simulated: seconds of virtual time, simulated segments end to end", "per second of virtual time"
	}
	if both {
		return "live: seconds of wall-clock time since the run started (simulated segments taken out)", "per second of wall-clock time"
	}
	return "seconds of wall-clock time since the run started", "per second of wall-clock time"
}

// spanRate is a count series of a segment as rates at bin starts on the panel axis, each bin
// clipped to the segment and divided by the part of it the segment fills (at least a quarter
// bin: a segment of a few milliseconds is not a spike), a last part under half a bin merged
// into the bin before it; a closing point lets a PostStep line draw the last bin whole.
func spanRate(s *Series, sp *segSpan, width float64) plotter.XYs {
	if s.Empty() {
		return nil
	}
	r := s.rebin(math.Max(1, math.Round(width/s.Width)) * s.Width)
	type bin struct{ lo, hi, n float64 }
	var bins []bin
	for i, v := range r.Bins {
		t0 := r.origin + float64(i)*r.Width
		lo, hi := math.Max(t0, sp.start), math.Min(t0+r.Width, sp.end)
		if hi <= lo {
			if v == 0 {
				continue
			}
			lo, hi = t0, t0+r.Width
		}
		if k := len(bins); k > 0 && hi-lo < r.Width/2 && bins[k-1].hi == lo {
			bins[k-1].hi, bins[k-1].n = hi, bins[k-1].n+v
			continue
		}
		bins = append(bins, bin{lo, hi, v})
	}
	pts := make(plotter.XYs, 0, len(bins)+1)
	for _, b := range bins {
		pts = append(pts, plotter.XY{X: sp.x(b.lo), Y: b.n / math.Max(b.hi-b.lo, r.Width/4)})
	}
	if n := len(bins); n > 0 {
		pts = append(pts, plotter.XY{X: sp.x(bins[n-1].hi), Y: pts[n-1].Y})
	}
	return pts
}

// limitLine is a request rate drawn across a time panel.
type limitLine struct {
	name      string
	perSecond float64
	col       color.Color
	dashes    []vg.Length
}

// requestLimits are the request-rate lines of the time panels: the inferred effective limit,
// the advertised one when it differs by more than 1%, and the binding limit when a token
// dimension binds first.
func requestLimits(s *Summary) []limitLine {
	var out []limitLine
	for _, l := range s.Limits {
		if l.Dimension != "requests" {
			continue
		}
		if e := l.EffectivePerMinute; e != nil && *e > 0 {
			out = append(out, limitLine{fmt.Sprintf("effective limit (inferred): %s requests/s", human(*e/60)), *e / 60,
				colEffective, []vg.Length{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)}})
		}
		if a := l.AdvertisedPerMinute; a != nil && *a > 0 && (l.EffectivePerMinute == nil || relDiff(*a, *l.EffectivePerMinute) > 0.01) {
			out = append(out, limitLine{fmt.Sprintf("advertised limit (headers): %s requests/s", human(*a/60)), *a / 60,
				colSent, []vg.Length{vg.Points(10), vg.Points(4)}})
		}
	}
	if bd := s.Binding; bd != nil && bd.Dimension != "requests" && bd.MaxRequestsPerMinute != nil && *bd.MaxRequestsPerMinute > 0 {
		r := *bd.MaxRequestsPerMinute / 60
		out = append(out, limitLine{fmt.Sprintf("binding limit (%s): %s requests/s", dimensionWords(bd.Dimension), human(r)), r,
			colRejected, []vg.Length{vg.Points(3), vg.Points(3)}})
	}
	return out
}

// dimensionWords is a dimension in prose: "output tokens".
func dimensionWords(d string) string { return strings.ReplaceAll(d, "_", " ") }

// timelineChart: per panel (live, simulated), attempts per second sent, accepted, refused and
// failed, each segment a labelled band, with the request limits as lines.
func (b *Builder) timelineChart(s *Summary, lay clockLayout, pal palette) Chart {
	c := Chart{File: "timeline.png", Title: "Attempts per second, live and simulated time apart, each segment a band, with the request limits"}
	if b.totals.Attempts == 0 {
		c.Omitted = "no attempt was recorded"
		return c
	}
	modes := lay.panelModes()
	limits := requestLimits(s)
	c.draw = func(dc draw.Canvas) error {
		legend := newLegendColumn()
		var plots []*plot.Plot
		for i, mode := range modes {
			p, err := b.timelinePanel(s, lay, mode, len(modes) > 1, limits, legend, i == 0, pal)
			if err != nil {
				return err
			}
			plots = append(plots, p)
		}
		legend.note("Bands: the run's segments (phases, or strategy × clients), in order.")
		return drawGrid(legend.split(drawTitle(dc, "Timeline: attempts per second, with the request limits")), plots, 1)
	}
	return c
}

// timelinePanel draws one mode's panel; the first panel fills the legend.
func (b *Builder) timelinePanel(s *Summary, lay clockLayout, mode string, both bool, limits []limitLine, legend *legendColumn, first bool, pal palette) (*plot.Plot, error) {
	length := lay.length(mode)
	width := panelWidth(length)
	axis, per := clockWords(mode, both)
	yLabel := "attempts " + per
	var notes []string
	if width > 1 {
		notes = append(notes, fmt.Sprintf("%s bins", seconds(width)))
	}
	var attempts int64
	for _, m := range s.Totals.ByMode {
		if m.Mode == mode {
			attempts = m.Attempts
		}
	}
	title := fmt.Sprintf("Live: %s in %s of wall-clock time", attemptWords(record.ModeLive, attempts), seconds(length))
	if mode == record.ModeSim {
		title = fmt.Sprintf("Simulated: %s in %s of virtual time", attemptWords(record.ModeSim, attempts), seconds(length))
	}
	p := newPlot(title, axis, yLabel)
	p.Add(plotter.NewGrid())
	spans := lay.of(mode)
	p.Add(segmentBands(spans, s, pal, true))
	kinds := []struct {
		name   string
		pick   func(*labelSeries) *Series
		col    color.Color
		width  float64
		dashes []vg.Length
	}{
		{"requests due (first attempts)", func(ls *labelSeries) *Series { return ls.scheduled }, colScheduled, 1, []vg.Length{vg.Points(4), vg.Points(3)}},
		{"sent", func(ls *labelSeries) *Series { return ls.sent }, colSent, 1.5, nil},
		{"accepted (2xx)", func(ls *labelSeries) *Series { return ls.accepted }, colAccepted, 1.5, nil},
		{"refused (429)", func(ls *labelSeries) *Series { return ls.limited }, colRejected, 1.5, nil},
		{"failed otherwise (5xx, errors)", func(ls *labelSeries) *Series { return ls.failed }, colFailed, 1.5, nil},
	}
	type drawn struct {
		kind int
		pts  plotter.XYs
	}
	var lines []drawn
	yMax, yMin := 1.0, math.Inf(1) // yMin: the smallest rate above 0
	for i, k := range kinds {
		for _, sp := range spans {
			if sp.series == nil {
				continue
			}
			pts := spanRate(k.pick(sp.series), sp, width)
			if len(pts) == 0 || maxY(pts) == 0 && k.col == colFailed {
				continue
			}
			for _, pt := range pts {
				if pt.Y > 0 {
					yMax, yMin = math.Max(yMax, pt.Y), math.Min(yMin, pt.Y)
				}
			}
			lines = append(lines, drawn{i, pts})
		}
	}
	var shownLimits []limitLine
	for _, lim := range limits {
		if lim.perSecond > 5*yMax {
			legend.note(lim.name + ": above this scale")
			continue
		}
		shownLimits = append(shownLimits, lim)
		yMin = math.Min(yMin, lim.perSecond)
	}
	for _, lim := range shownLimits {
		yMax = math.Max(yMax, lim.perSecond)
	}
	// A fleet hammering a limit of under one request per second goes on a log axis, on which the
	// limit and the accepted rate stay visible; 0 is drawn at its bottom.
	// Log when the limit would sit in the bottom twentieth of a linear axis (or, without a
	// limit, when the rates span more than 100×).
	ref := yMin * 5
	for _, lim := range shownLimits {
		ref = math.Min(ref, lim.perSecond)
	}
	if len(shownLimits) == 0 {
		ref = yMin * 5
	}
	floor := 0.0
	if yMax/ref > 20 {
		floor = yMin / 1.5
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		notes = append(notes, "log scale, 0 at the bottom")
		// gonum places a log axis's label as if the axis were linear and pads the plot for
		// it: a short label keeps the plot its size, the title says the rest.
		p.Y.Label.Text = "attempts/s"
	}
	if len(notes) > 0 { // in the title: gonum squeezes a plot whose rotated axis label has two lines
		p.Title.Text += " (" + strings.Join(notes, "; ") + ")"
	}
	shown := make([]*plotter.Line, len(kinds))
	for _, ln := range lines {
		k := kinds[ln.kind]
		if floor > 0 {
			for i := range ln.pts {
				ln.pts[i].Y = math.Max(ln.pts[i].Y, floor)
			}
		}
		l, err := lineOf(ln.pts, k.col, k.width, k.dashes)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		p.Add(l)
		shown[ln.kind] = l
	}
	for i, l := range shown {
		if l != nil {
			legend.add(kinds[i].name, l)
		}
	}
	for _, lim := range shownLimits {
		l, err := lineOf(plotter.XYs{{X: 0, Y: lim.perSecond}, {X: length, Y: lim.perSecond}}, lim.col, 2, lim.dashes)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		legend.add(lim.name, l)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, math.Max(length, 1e-3), floor, yMax*1.3 // room for the band labels
	if floor > 0 {
		p.Y.Max = yMax * 4
	}
	return p, nil
}

// attemptWords counts attempts of a mode: "826 HTTP attempts", "993 simulated attempts".
func attemptWords(mode string, n int64) string {
	if mode == record.ModeSim {
		return count(n) + " simulated attempt" + plural(n)
	}
	return count(n) + " HTTP attempt" + plural(n)
}

// segmentBands shades each segment of a panel, a compare segment in its strategy's colour, and
// labels it when labels is set.
func segmentBands(spans []*segSpan, s *Summary, pal palette, labels bool) *bandPlotter {
	bp := &bandPlotter{}
	grey := []color.RGBA{{0xF2, 0xF2, 0xF2, 0xFF}, {0xE6, 0xE6, 0xE6, 0xFF}}
	for i, sp := range spans {
		bd := band{x0: sp.x(sp.start), x1: sp.x(sp.end), fill: grey[i%2]}
		if sg := sp.seg; sg.Strategy != "" && sg.Kind == "compare" {
			bd.fill = tint(pal.color(sg.Strategy), 0.16)
		}
		if labels {
			bd.label = bandLabel(sp, s)
		}
		bp.bands = append(bp.bands, bd)
	}
	return bp
}

// bandLabel names a segment in a few words: "exponential ×20", "find: burst", "ramp", with the
// requests of a compare segment that did not succeed.
func bandLabel(sp *segSpan, s *Summary) string {
	sg := sp.seg
	switch {
	case sg.Kind == "compare" && sg.Strategy != "":
		l := sg.Strategy + " ×" + count(int64(sg.Clients))
		if sg.Clients == 0 {
			l = sg.Strategy + " (open arrivals)"
		}
		for i := range s.Strategies {
			st := &s.Strategies[i]
			if st.Name == sg.Strategy && st.Mode == sp.mode && st.Clients == sg.Clients && st.Requests > st.Succeeded {
				l += fmt.Sprintf(": %s of %s failed", compact(st.Requests-st.Succeeded), compact(st.Requests))
			}
		}
		return l
	case sg.Kind == "find" || strings.HasPrefix(sg.Label, "find-"):
		parts := strings.SplitN(sg.Label, "-", 3)
		if len(parts) == 3 {
			return "find: " + parts[2]
		}
	}
	return sg.Label
}

// band is one shaded interval of a time panel.
type band struct {
	x0, x1 float64
	fill   color.Color
	label  string
}

// bandPlotter shades bands the full height of a plot, behind what is added after it, with
// their labels at the top: across the band when they fit, else upright.
type bandPlotter struct{ bands []band }

// Plot implements plot.Plotter.
func (bp *bandPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := p.Title.TextStyle
	sty.Font.Size = vg.Points(8)
	sty.Color = colText
	edge := draw.LineStyle{Color: color.RGBA{0xBB, 0xBB, 0xBB, 0xFF}, Width: vg.Points(0.5)}
	for _, bd := range bp.bands {
		x0, x1 := trX(bd.x0), trX(bd.x1)
		if x1 < c.Min.X || x0 > c.Max.X {
			continue
		}
		x0, x1 = max(x0, c.Min.X), min(x1, c.Max.X)
		c.FillPolygon(bd.fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		c.StrokeLine2(edge, x0, c.Min.Y, x0, c.Max.Y)
		if bd.label == "" {
			continue
		}
		w, h := sty.Width(bd.label), sty.Height(bd.label)
		switch {
		case w+vg.Points(4) <= x1-x0:
			s := sty
			s.XAlign, s.YAlign = draw.XLeft, draw.YTop
			c.FillText(s, vg.Point{X: x0 + vg.Points(2), Y: c.Max.Y - vg.Points(2)}, bd.label)
		case h <= (x1-x0)+vg.Points(3):
			s := sty
			s.Rotation = math.Pi / 2
			s.XAlign, s.YAlign = draw.XRight, draw.YCenter
			c.FillText(s, vg.Point{X: (x0 + x1) / 2, Y: c.Max.Y - vg.Points(2)}, bd.label)
		}
	}
}
