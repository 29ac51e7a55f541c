package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// planRecord is the plan as run.json keeps it: summary.json's plan fields.
type planRecord struct {
	Plan         []summary.PlanEntry `json:"plan"`
	PlanSLO      string              `json:"plan_slo"`
	PlanMaxScale map[string]*float64 `json:"plan_max_scale"`
	PlanBest     *summary.PlanBest   `json:"plan_best"`
}

// EncodePlan encodes a plan for run.json's plan field.
func EncodePlan(entries []summary.PlanEntry, slo string, maxScale map[string]*float64, best *summary.PlanBest) (json.RawMessage, error) {
	return json.Marshal(planRecord{Plan: entries, PlanSLO: slo, PlanMaxScale: maxScale, PlanBest: best})
}

// applyPlan copies run.json's plan into the summary; a plan that does not decode is left out.
func applyPlan(s *summary.Summary, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	var p planRecord
	if json.Unmarshal(raw, &p) != nil {
		return
	}
	s.Plan, s.PlanSLO, s.PlanMaxScale, s.PlanBest = p.Plan, p.PlanSLO, p.PlanMaxScale, p.PlanBest
}

// PlanMarkdown writes report.md's capacity-plan section: the answer, then one row per scale ×
// strategy. It writes nothing when s has no plan.
func PlanMarkdown(w io.Writer, s *summary.Summary) {
	if len(s.Plan) == 0 {
		return
	}
	var b bytes.Buffer
	b.WriteString("\n## Capacity plan\n\n")
	b.WriteString(planAnswer(s) + "\n\n")
	t := table{header: []string{"scale", "strategy", "requests", "refused ≥1×", "failed", "added delay p50", "p95", "p99", "binding", "headroom", "SLO"},
		right: []bool{true, false, true, true, true, true, true, true, false, true, false}}
	stopped := false
	for _, e := range s.Plan {
		head := "—"
		if e.Headroom != nil {
			head = fmt.Sprintf("%+.0f%%", *e.Headroom*100)
		}
		ok := "no"
		if e.MeetsSLO {
			ok = "meets"
		}
		if e.Stopped != "" {
			ok = "no (stopped early¹)"
			stopped = true
		}
		t.rows = append(t.rows, []string{"×" + strconv.FormatFloat(e.Scale, 'g', -1, 64), e.Strategy, count(e.Requests),
			pct(e.RefusedShare), fmt.Sprintf("%s (%s)", count(e.Failed), pct(e.FailedShare)),
			seconds(e.AddedDelay.P50), seconds(e.AddedDelay.P95), seconds(e.AddedDelay.P99), dash(e.Binding), head, ok})
	}
	t.markdown(&b)
	b.WriteString("\nEach scale replicates the trace: that many times its requests over the same span of time " +
		"(a daily peak stays as long and grows taller), each copy placed at random within the gap it falls in. " +
		"Added delay runs from a request's scheduled time to the sending of its last attempt. Headroom is the " +
		"binding dimension's unused share of its per-minute limit in the busiest minute (negative: over the limit).\n")
	if stopped {
		b.WriteString("\n¹ The simulation stopped once the SLO was missed for certain (more requests failed, refused or " +
			"late than it allows among all the scale's requests): its figures cover the requests sent until then, and " +
			"the delays of requests still retrying count as reached then, so they understate the full run.\n")
	}
	_, _ = w.Write(b.Bytes())
}

// pct writes a share as a percentage.
func pct(f float64) string {
	switch {
	case f == 0:
		return "0%"
	case f < 0.001:
		return "<0.1%"
	}
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// planAnswer says in one sentence how far the workload can grow.
func planAnswer(s *summary.Summary) string {
	slo := s.PlanSLO
	if slo == "" {
		slo = "the SLO"
	}
	if s.PlanBest == nil {
		return fmt.Sprintf("**No tested scale meets %s** under any strategy: the workload as recorded already needs more than these limits give.", slo)
	}
	return fmt.Sprintf("**The workload fits up to ×%s** of its recorded volume within %s, with **%s**.",
		strconv.FormatFloat(s.PlanBest.Scale, 'g', -1, 64), slo, s.PlanBest.Strategy)
}

// PlanCharts returns the capacity plan's charts: headroom vs scale, and the p95 added delay vs
// scale per strategy.
func PlanCharts(s *summary.Summary) []Chart {
	head := Chart{File: "plan-headroom.png", Title: "Headroom at the busiest minute vs scale"}
	delay := Chart{File: "plan-delay.png", Title: "Added delay (p95) vs scale, per strategy"}
	if len(s.Plan) == 0 {
		head.Omitted, delay.Omitted = "no capacity plan", "no capacity plan"
		return []Chart{head, delay}
	}
	var strategies []string
	for _, e := range s.Plan {
		if !slices.Contains(strategies, e.Strategy) {
			strategies = append(strategies, e.Strategy)
		}
	}
	head.draw = func(dc draw.Canvas) error {
		p := newPlot(head.Title, "scale (× recorded volume)", "headroom (% of the binding limit unused)")
		p.Add(plotter.NewGrid())
		var pts plotter.XYs
		for _, e := range s.Plan {
			if e.Headroom != nil && e.Strategy == strategies[0] {
				pts = append(pts, plotter.XY{X: e.Scale, Y: *e.Headroom * 100})
			}
		}
		if len(pts) > 0 {
			l, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			l.LineStyle.Width, l.LineStyle.Color = vg.Points(2), colRemaining
			sc.Color, sc.Shape, sc.Radius = colRemaining, draw.CircleGlyph{}, vg.Points(4)
			p.Add(l, sc)
			p.Legend.Add("headroom ("+bindingOf(s)+")", l, sc)
			xs := plotter.XYs{{X: pts[0].X, Y: 0}, {X: pts[len(pts)-1].X, Y: 0}}
			zero, err := lineOf(xs, colRejected, 1.5, []vg.Length{vg.Points(6), vg.Points(4)})
			if err != nil {
				return err
			}
			p.Add(zero)
			p.Legend.Add("the limit (0%: demand equals it)", zero)
		}
		p.X.Tick.Marker = scaleTicks(s)
		return drawGrid(margin(dc), []*plot.Plot{p}, 1)
	}
	delay.draw = func(dc draw.Canvas) error {
		p := newPlot(delay.Title, "scale (× recorded volume)", "p95 added delay (s)")
		p.Add(plotter.NewGrid())
		for i, name := range strategies {
			var pts plotter.XYs
			for _, e := range s.Plan {
				if e.Strategy == name {
					pts = append(pts, plotter.XY{X: e.Scale, Y: e.AddedDelay.P95})
				}
			}
			l, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			c := strategyColor(name)
			l.LineStyle.Width, l.LineStyle.Color = vg.Points(2), c
			l.LineStyle.Dashes = dashPatterns[i%len(dashPatterns)]
			sc.Color, sc.Shape, sc.Radius = c, draw.CircleGlyph{}, vg.Points(4)
			p.Add(l, sc)
			label := name
			if ms := s.PlanMaxScale[name]; ms != nil {
				label += " (fits up to ×" + strconv.FormatFloat(*ms, 'g', -1, 64) + ")"
			} else {
				label += " (no scale fits)"
			}
			p.Legend.Add(label, l, sc)
		}
		p.Legend.Left = true
		p.X.Tick.Marker = scaleTicks(s)
		return drawGrid(margin(dc), []*plot.Plot{p}, 1)
	}
	return []Chart{head, delay}
}

// bindingOf names the binding dimension at the largest scale.
func bindingOf(s *summary.Summary) string {
	for i := len(s.Plan) - 1; i >= 0; i-- {
		if s.Plan[i].Binding != "" {
			return "binding: " + s.Plan[i].Binding
		}
	}
	return "no limit"
}

// scaleTicks are ticks at the plan's scales.
func scaleTicks(s *summary.Summary) plot.Ticker {
	var v valueTicks
	for _, e := range s.Plan {
		if !slices.Contains(v, e.Scale) {
			v = append(v, e.Scale)
		}
	}
	return v
}

// WritePlan writes a plan-only run directory: summary.json, report.md (the run's facts and the
// capacity plan) and the plan's charts.
func WritePlan(dir string, run *record.Run, s *summary.Summary) error {
	js, err := s.MarshalIndent()
	if err != nil {
		return fmt.Errorf("encode %s: %w", SummaryFile, err)
	}
	if err := record.WriteFileAtomic(filepath.Join(dir, SummaryFile), js); err != nil {
		return fmt.Errorf("write %s: %w", SummaryFile, err)
	}
	charts := PlanCharts(s)
	if err := writeCharts(dir, charts); err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# ratelab report: plan from %s\n\n", dash(run.Target.URL))
	for _, n := range run.Notes {
		fmt.Fprintf(&b, "> %s\n\n", n)
	}
	PlanMarkdown(&b, s)
	for _, c := range charts {
		if c.Omitted == "" {
			fmt.Fprintf(&b, "\n![%s](%s)\n", c.Title, c.File)
		}
	}
	return record.WriteFileAtomic(filepath.Join(dir, "report.md"), b.Bytes())
}
