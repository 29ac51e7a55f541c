package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ratelab/ratelab/summary"
)

// streamCharts returns the streaming charts, none when the run streamed nothing (so the chart
// list of other runs does not change).
func (b *Builder) streamCharts(s *summary.Summary, pal palette) []Chart {
	if b.stream.streamed == 0 {
		return nil
	}
	return []Chart{b.ttftChart(s, pal), b.tokensChart(s)}
}

// ttftChart is the CDF of time to first token: the whole run, and each strategy entry that
// streamed.
func (b *Builder) ttftChart(s *summary.Summary, pal palette) Chart {
	c := Chart{File: "ttft.png", Title: "Time to first token (CDF), from send to the first content delta"}
	if b.stream.ttft.Count() == 0 {
		c.Omitted = "no stream delivered content"
		return c
	}
	showMode, showClients := variesMode(s), variesClients(s)
	c.draw = func(dc draw.Canvas) error {
		p := newPlot("Time to first token: send to first content delta", "time to first token (s)", "share of streams with content")
		p.Add(plotter.NewGrid())
		legend := newLegendColumn()
		xMax := 0.0
		add := func(h *Histogram, name string, col color.Color, dashes []vg.Length) error {
			l, err := cdfLine(h.CDF(), 1, math.Inf(-1), col, dashes)
			if err != nil {
				return err
			}
			xMax = math.Max(xMax, l.XYs[len(l.XYs)-1].X)
			p.Add(l)
			legend.add(fmt.Sprintf("%s (p50 %s, p99 %s)", name, seconds(roundSig(h.Quantile(0.5), 3)), seconds(roundSig(h.Quantile(0.99), 3))), l)
			return nil
		}
		entries := 0
		for _, g := range pal.groups {
			for _, st := range g.entries {
				acc := b.strategies[stratKey{st.Name, st.Mode, st.Clients}]
				if acc == nil || acc.stream.ttft.Count() == 0 {
					continue
				}
				entries++
				if err := add(&acc.stream.ttft, strategyLabel(st, showMode, showClients), pal.color(st.Name), pal.dashes(st)); err != nil {
					return err
				}
			}
		}
		if entries != 1 {
			var dashes []vg.Length
			if entries > 1 {
				dashes = []vg.Length{vg.Points(1), vg.Points(3)}
			}
			if err := add(&b.stream.ttft, "whole run", colText, dashes); err != nil {
				return err
			}
		}
		p.Y.Min, p.Y.Max = 0, 1.02
		p.X.Min, p.X.Max = 0, xMax*1.05
		p.Draw(margin(legend.split(dc)))
		return nil
	}
	return c
}

// tokensChart is the output tokens generated per second over the run (each stream's tokens
// spread evenly from its first delta to its last event), against the output-token limit.
func (b *Builder) tokensChart(s *summary.Summary) Chart {
	c := Chart{File: "tokens.png", Title: "Output tokens per second over time, against the output-token limit"}
	ser := b.stream.perSec
	if ser == nil || ser.Empty() {
		c.Omitted = "no stream delivered content"
		return c
	}
	limit, source := outputLimit(s)
	c.draw = func(dc draw.Canvas) error {
		p := newPlot("Output tokens generated per second (streamed responses)", "time since run start (s)", "output tokens per second")
		p.Add(plotter.NewGrid())
		legend := newLegendColumn()
		r := ser
		if n := len(ser.Bins); n > maxPlotBins {
			r = ser.rebin(math.Ceil(float64(n)/maxPlotBins) * ser.Width)
		}
		pts := make(plotter.XYs, 0, len(r.Bins)+1)
		yMax := 0.0
		for i, v := range r.Bins {
			y := v / r.Width
			pts = append(pts, plotter.XY{X: r.origin + float64(i)*r.Width, Y: y})
			yMax = math.Max(yMax, y)
		}
		pts = append(pts, plotter.XY{X: r.origin + float64(len(r.Bins))*r.Width, Y: pts[len(pts)-1].Y})
		l, err := lineOf(pts, colAccepted, 2, nil)
		if err != nil {
			return err
		}
		l.StepStyle = plotter.PostStep
		p.Add(l)
		legend.add("output tokens/s (streams)", l)
		if limit > 0 {
			perSec := limit / 60
			lim, err := lineOf(plotter.XYs{{X: pts[0].X, Y: perSec}, {X: pts[len(pts)-1].X, Y: perSec}}, colBound, 1.5,
				[]vg.Length{vg.Points(6), vg.Points(3)})
			if err != nil {
				return err
			}
			p.Add(lim)
			legend.add(fmt.Sprintf("limit %s tokens/s (%s)", human(perSec), source), lim)
			legend.note(fmt.Sprintf("The limit is %s output tokens/min (%s); a bucket's burst lets a short run go above its per-second rate for a while.", human(limit), source))
			yMax = math.Max(yMax, perSec)
		}
		legend.note("Each stream's output tokens are spread evenly from its first content delta to its last event.")
		p.Y.Min, p.Y.Max = 0, yMax*1.1
		p.Draw(margin(legend.split(dc)))
		return nil
	}
	return c
}

// outputLimit returns the output-token limit per minute (effective, else advertised) and which
// it is; 0 when unknown.
func outputLimit(s *summary.Summary) (float64, string) {
	for _, l := range s.Limits {
		if l.Dimension != "output_tokens" {
			continue
		}
		switch {
		case l.EffectivePerMinute != nil:
			return *l.EffectivePerMinute, "effective"
		case l.AdvertisedPerMinute != nil:
			return *l.AdvertisedPerMinute, "advertised"
		}
	}
	return 0, ""
}
