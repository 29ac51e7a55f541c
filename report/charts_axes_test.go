package report

import (
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// TestStrategyColor (issue 13, item 14): a strategy's colour comes from its name alone, so it
// is the same in every chart of every run whatever else was compared; every strategy of the
// registry has a colour of its own; a variant with parameters is a stable shade of its base.
func TestStrategyColor(t *testing.T) {
	seen := map[color.RGBA]string{}
	for _, n := range backoff.Names() {
		c := strategyColor(n)
		if other, dup := seen[c]; dup {
			t.Errorf("%s and %s share colour %v", n, other, c)
		}
		seen[c] = n
	}
	alone := newPalette(&summary.Summary{Strategies: []summary.Strategy{{Name: "retry-after"}}})
	many := newPalette(&summary.Summary{Strategies: []summary.Strategy{{Name: "aimd"}, {Name: "exponential"}, {Name: "retry-after"}, {Name: "full-jitter"}}})
	assert.Equal(t, alone.color("retry-after"), many.color("retry-after"), "a strategy's colour does not depend on the others in the run")
	v := strategyColor("full-jitter(cap=60s)")
	assert.NotEqual(t, strategyColor("full-jitter"), v, "a variant is told apart from its base")
	assert.Equal(t, v, strategyColor("full-jitter(cap=60s)"), "and keeps its shade")
	assert.Equal(t, strategyColor("my-own"), strategyColor("my-own"), "an unknown name hashes to one colour")
}

// majorLabels are the labelled ticks a ticker gives over [lo, hi].
func majorLabels(tk plot.Ticker, lo, hi float64) []string {
	var out []string
	for _, t := range tk.Ticks(lo, hi) {
		if !t.IsMinor() {
			out = append(out, t.Label)
		}
	}
	return out
}

// TestTicks (issue 13, item 14): counts are ticked in round numbers written as the report
// writes them ("25", never "0.00/25.00"); a log axis has labelled ticks between the powers of
// ten where a latency tail lies; a sweep's axis is ticked at exactly its client counts.
func TestTicks(t *testing.T) {
	tests := []struct {
		name   string
		ticker plot.Ticker
		lo, hi float64
		want   []string
	}{
		{"remaining requests 0–25", niceTicks{}, 0, 25, []string{"0", "5", "10", "15", "20", "25"}},
		{"tokens 0–36,000", niceTicks{}, 0, 36000, []string{"0", "10,000", "20,000", "30,000"}},
		{"a share 0–1.02", niceTicks{}, 0, 1.02, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{"two labels for a small panel", niceTicks{n: 2}, 0, 85, []string{"0", "50"}},
		{"latency 0.01–7 s: 2 and 5 labelled past 1 s", logTicks{}, 0.01, 7, []string{"0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5"}},
		{"five decades: 1 and 3", logTicks{}, 0.01, 900, []string{"0.01", "0.03", "0.1", "0.3", "1", "3", "10", "30", "100", "300"}},
		{"a sweep of 10, 50, 100 clients", valueTicks{10, 50, 100}, 5, 105, []string{"10", "50", "100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, majorLabels(tt.ticker, tt.lo, tt.hi))
		})
	}
	t.Run("log only past 10x", func(t *testing.T) {
		var ax plot.Axis
		assert.False(t, useLogScale(&ax, 10, 100), "10 to 100 is 10x: linear")
		assert.True(t, useLogScale(&ax, 180, 2340))
		assert.IsType(t, plot.LogScale{}, ax.Scale)
	})
}

// TestTimelineLayout (issue 13, item 13): live and simulated segments lie on separate axes — a
// live segment after simulated ones continues the live clock with the virtual time taken out,
// the simulated ones lie end to end from 0 — so a 6.5 s run that simulated 18,000 s never
// spans 0–18,000 s of "time since run start".
func TestTimelineLayout(t *testing.T) {
	run := &record.Run{Segments: []record.Segment{
		{Label: "find-001-burst", Kind: "find", Mode: record.ModeLive, StartS: 0, EndS: 2},
		{Label: "a/live/5", Kind: "compare", Strategy: "a", Mode: record.ModeLive, Clients: 5, StartS: 2, EndS: 5},
		{Label: "a/sim/5", Kind: "compare", Strategy: "a", Mode: record.ModeSim, Clients: 5, StartS: 5, EndS: 9005},
		{Label: "b/live/5", Kind: "compare", Strategy: "b", Mode: record.ModeLive, Clients: 5, StartS: 9006, EndS: 9010},
		{Label: "b/sim/5", Kind: "compare", Strategy: "b", Mode: record.ModeSim, Clients: 5, StartS: 9010, EndS: 18010},
	}}
	b := NewBuilder(run)
	for _, sg := range run.Segments {
		a := record.Attempt{Run: sg.Label, Mode: sg.Mode, Strategy: sg.Strategy, Fleet: sg.Clients, Request: 1, Number: 1,
			Scheduled: secs(sg.StartS), Sent: secs(sg.StartS + 0.5), Status: 200, Final: true}
		b.Add(&a)
	}
	lay := b.layout()
	var got []string
	for _, sp := range lay.spans {
		got = append(got, sp.mode+" "+sp.seg.Label+" "+human(sp.x(sp.start))+"–"+human(sp.x(sp.end)))
	}
	assert.Equal(t, []string{
		"live find-001-burst 0–2", "live a/live/5 2–5", "sim a/sim/5 0–9,000",
		"live b/live/5 6–10", // 1 s of rest between the segments stays on the live clock
		"sim b/sim/5 9,000–18,000",
	}, got)
	assert.Equal(t, []string{record.ModeLive, record.ModeSim}, lay.panelModes())
	assert.Equal(t, 10.0, lay.length(record.ModeLive))
	assert.Equal(t, 18000.0, lay.length(record.ModeSim))
}

// TestSpanRate: a segment's rates are per second of its own clock; a last partial bin under
// half a bin joins the one before it instead of showing as a spike.
func TestSpanRate(t *testing.T) {
	s := newSeriesAt(10, aggSum)
	for i := range 43 { // 10 per second from 10 s to 14.2 s
		s.Add(10+float64(i)/10, 1)
	}
	sp := &segSpan{start: 10, end: 14.3, x0: 100}
	pts := spanRate(s, sp, 1)
	require.Len(t, pts, 5)
	assert.Equal(t, 100.0, pts[0].X)
	assert.Equal(t, 10.0, pts[0].Y)
	assert.InDelta(t, 13/1.3, pts[3].Y, 1e-9, "3.0–4.3 s: the 0.3 s tail joins the bin before (13 attempts)")
	assert.InDelta(t, 104.3, pts[4].X, 1e-9)
}

// TestChartMarks (issue 13, items 5, 13, 14): what the charts of a sweep show and say —
// every strategy in its own colour, the request limit on the timeline, incomplete entries
// named in the ranking and the legend, the flat token panel left out with its reason.
func TestChartMarks(t *testing.T) {
	dir := t.TempDir()
	fixtures["compare-sweep"].write(t, dir)
	s, err := Generate(dir, Options{})
	require.NoError(t, err)
	var incomplete *summary.Strategy
	for i := range s.Strategies {
		if !complete(&s.Strategies[i]) {
			incomplete = &s.Strategies[i]
		}
	}
	require.NotNil(t, incomplete, "the fixture has an entry that gave up on requests")
	assert.Contains(t, shortReason(incomplete), "gave up after 6 attempts")

	b := NewBuilder(mustRun(t, dir))
	require.NoError(t, record.ScanFile(dir, func(a *record.Attempt) error { b.Add(a); return nil }))
	charts := b.Charts(b.Summary())
	byFile := map[string]Chart{}
	for _, c := range charts {
		byFile[c.File] = c
	}
	assert.Contains(t, byFile["headers.png"].Note, "output tokens", "the flat token panel is left out and said why")
	assert.Contains(t, byFile["headers.png"].Note, "never fell below 90% of the limit")

	_, _, hits := pngStats(t, filepath.Join(dir, "timeline.png"), []color.RGBA{colEffective, colAccepted, colRejected})
	for i, what := range []string{"effective-limit line", "accepted", "refused"} {
		assert.Greater(t, hits[i], 50, "timeline.png draws the %s", what)
	}
	pal := newPalette(s)
	var want []color.RGBA
	for _, n := range pal.names {
		want = append(want, strategyColor(n))
	}
	for _, f := range []string{"ranking.png", "sweep.png", "latency.png", "strategies.png"} {
		_, _, hits := pngStats(t, filepath.Join(dir, f), want)
		for i, h := range hits {
			assert.Greater(t, h, 20, "%s: %s's colour barely drawn", f, pal.names[i])
		}
	}
	md := readFile(t, filepath.Join(dir, MarkdownFile))
	assert.True(t, strings.Contains(md, "*headers.png* Left out, as flat lines: output tokens"), "report.md says why a panel is missing")
}

func mustRun(t *testing.T, dir string) *record.Run {
	t.Helper()
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	return run
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
