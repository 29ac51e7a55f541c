package report

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ratelab/ratelab/probe/infer"
	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
)

// flatShare is the most of a dimension's budget a run may have used, as a share of its limit,
// for its panel to carry no information: remaining never fell below 90% of the limit, so the
// run never came near it.
const flatShare = 0.1

// headerRange is what the headers of one dimension said over a panel's spans.
type headerRange struct {
	minRem, maxRem, maxLimit float64
	readings                 bool
	windowS                  float64
}

// flat reports whether remaining never fell below (1 − flatShare) of the limit (or of the
// highest remaining seen, without a limit header).
func (r headerRange) flat() bool {
	scale := math.Max(r.maxLimit, r.maxRem)
	return scale > 0 && r.minRem >= (1-flatShare)*scale
}

// headersChart: per dimension, remaining over time with the advertised and effective limits, on
// the live panel's clock (the simulated one when no live response carried headers). Dimensions
// whose remaining never moved are left out and the note says so.
func (b *Builder) headersChart(s *Summary, lay clockLayout, pal palette) Chart {
	c := Chart{File: "headers.png", Title: "Rate-limit headers: remaining per dimension over time, with the advertised and effective limits"}
	mode := record.ModeLive
	ranges := headerRanges(lay.of(mode))
	if !anyReadings(ranges) {
		mode = record.ModeSim
		ranges = headerRanges(lay.of(mode))
	}
	if !anyReadings(ranges) {
		c.Omitted = "no response carried a rate-limit remaining header"
		return c
	}
	var dims, flat []ratelimit.Dimension
	for d := range ratelimit.Dimension(ratelimit.NumDimensions) {
		switch r := ranges[d]; {
		case !r.readings:
		case r.flat():
			flat = append(flat, d)
		default:
			dims = append(dims, d)
		}
	}
	var notes []string
	if len(dims) == 0 { // every panel is flat: draw them, and say why they are flat
		dims, flat = flat, nil
		notes = append(notes, fmt.Sprintf("Remaining never fell below %s of any limit: the run never came near one.", percent(1-flatShare)))
	}
	if len(flat) > 0 {
		var parts []string
		for _, d := range flat {
			r := ranges[d]
			parts = append(parts, fmt.Sprintf("%s (remaining %s–%s of %s)", dimensionWords(d.String()), human(r.minRem), human(r.maxRem), human(r.maxLimit)))
		}
		notes = append(notes, fmt.Sprintf("Left out, as flat lines: %s. Remaining never fell below %s of the limit: the run never came near it.", strings.Join(parts, ", "), percent(1-flatShare)))
	}
	if mode == record.ModeSim && len(lay.of(record.ModeLive)) > 0 {
		notes = append(notes, "Drawn in simulated (virtual) time: no live response carried rate-limit headers.")
	} else if mode == record.ModeLive && anyReadings(headerRanges(lay.of(record.ModeSim))) {
		notes = append(notes, "The simulated segments' headers are left out: they come from the mock's model, the live ones from the server.")
	}
	c.Note = strings.Join(notes, " ")
	c.draw = func(dc draw.Canvas) error {
		legend := newLegendColumn()
		for _, n := range notes {
			legend.note(n)
		}
		spans := lay.of(mode)
		length := lay.length(mode)
		width := panelWidth(length)
		axis, _ := clockWords(mode, len(lay.panelModes()) > 1)
		var plots []*plot.Plot
		for i, d := range dims {
			p, err := headerPanel(s, spans, d, ranges[d], length, width, axis, legend, i == 0, pal)
			if err != nil {
				return err
			}
			plots = append(plots, p)
		}
		return drawGrid(legend.split(drawTitle(dc, "Rate-limit headers: remaining per dimension over time")), plots, 1)
	}
	return c
}

// headerPanel draws one dimension: remaining (lowest per bin), the advertised limit the headers
// stated, and the inferred effective limit in the units remaining counts.
func headerPanel(s *Summary, spans []*segSpan, d ratelimit.Dimension, r headerRange, length, width float64, axis string,
	legend *legendColumn, first bool, pal palette) (*plot.Plot, error) {
	name := dimensionWords(d.String())
	p := newPlot(name, axis, name+" remaining")
	p.Add(plotter.NewGrid())
	p.Add(segmentBands(spans, s, pal, first))
	yMax := math.Max(1, r.maxRem)
	scaled := func(v float64) bool { return v <= 10*math.Max(1, r.maxRem) }
	var titles []string
	var rem, adv *plotter.Line
	for _, sp := range spans {
		ls := sp.series
		if ls == nil || ls.headers[d] == nil {
			continue
		}
		h := ls.headers[d]
		for _, run := range spanRuns(h.remaining, sp, width) {
			l, err := lineOf(run, colRemaining, 1.5, nil)
			if err != nil {
				return nil, err
			}
			p.Add(l)
			rem = l
			if len(run) == 1 {
				sc, err := plotter.NewScatter(run)
				if err != nil {
					return nil, err
				}
				sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = colRemaining, draw.CircleGlyph{}, vg.Points(1.5)
				p.Add(sc)
			}
		}
		if !scaled(r.maxLimit) {
			continue
		}
		for _, run := range spanRuns(h.limit, sp, width) {
			l, err := lineOf(run, colSent, 1.2, []vg.Length{vg.Points(6), vg.Points(3)})
			if err != nil {
				return nil, err
			}
			p.Add(l)
			adv = l
		}
	}
	if r.maxLimit > 0 {
		if scaled(r.maxLimit) {
			yMax = math.Max(yMax, r.maxLimit)
		}
		t := "advertised limit " + human(r.maxLimit)
		if !scaled(r.maxLimit) {
			t += " (above this scale)"
		}
		titles = append(titles, t)
	}
	if rem != nil && first {
		legend.add("remaining (lowest per bin)", rem)
	}
	if adv != nil && first {
		legend.add("advertised limit (header)", adv)
	}
	if q, w, ok := effectiveQuota(s.Limits, d, r.windowS); ok {
		t := fmt.Sprintf("effective %s per %s (inferred)", human(q), seconds(w))
		if scaled(q) {
			yMax = math.Max(yMax, q)
			eff, err := lineOf(plotter.XYs{{X: 0, Y: q}, {X: length, Y: q}}, colEffective, 2, []vg.Length{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)})
			if err != nil {
				return nil, err
			}
			p.Add(eff)
			if first {
				legend.add("effective limit (inferred), in the header's units", eff)
			}
		} else {
			t += " (above this scale)"
		}
		titles = append(titles, t)
	}
	if len(titles) > 0 {
		p.Title.Text = name + ": " + strings.Join(titles, "; ")
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, math.Max(length, 1e-3), 0, yMax*1.25
	return p, nil
}

// headerRanges summarizes each dimension's headers over spans.
func headerRanges(spans []*segSpan) [ratelimit.NumDimensions]headerRange {
	var out [ratelimit.NumDimensions]headerRange
	for _, sp := range spans {
		if sp.series == nil || !sp.series.headersAny {
			continue
		}
		for d, h := range sp.series.headers {
			if h == nil {
				continue
			}
			r := &out[d]
			for i, v := range h.remaining.Bins {
				if !h.remaining.Set[i] {
					continue
				}
				if !r.readings {
					r.minRem, r.maxRem, r.readings = v, v, true
				}
				r.minRem, r.maxRem = math.Min(r.minRem, v), math.Max(r.maxRem, v)
			}
			for i, v := range h.limit.Bins {
				if h.limit.Set[i] {
					r.maxLimit = math.Max(r.maxLimit, v)
				}
			}
			if r.windowS == 0 {
				r.windowS = h.windowS
			}
		}
	}
	return out
}

func anyReadings(rs [ratelimit.NumDimensions]headerRange) bool {
	for _, r := range rs {
		if r.readings {
			return true
		}
	}
	return false
}

// spanRuns splits the set bins of a min/max series into runs of consecutive bins, at bin
// centres on the panel axis, clipped to the segment.
func spanRuns(s *Series, sp *segSpan, width float64) []plotter.XYs {
	r := s.rebin(math.Max(1, math.Round(width/s.Width)) * s.Width)
	var runs []plotter.XYs
	var cur plotter.XYs
	for i, v := range r.Bins {
		t0 := r.origin + float64(i)*r.Width
		mid := (math.Max(t0, sp.start) + math.Min(t0+r.Width, sp.end)) / 2
		if !r.Set[i] {
			if len(cur) > 0 {
				runs, cur = append(runs, cur), nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: sp.x(mid), Y: v})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
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

// wrapLines breaks s into lines of at most width runes.
func wrapLines(s string, width int) []string {
	return strings.Split(wrap(s, width, ""), "\n")
}
