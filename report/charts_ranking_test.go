package report

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// rankingGroups makes groups of n entries per mode × client count, in groups' order.
func rankingGroups(n int, modes []string, fleets []int) []strategyGroup {
	s := &summary.Summary{}
	for _, m := range modes {
		for _, f := range fleets {
			for i := range n {
				s.Strategies = append(s.Strategies, summary.Strategy{Name: fmt.Sprintf("s%02d", i), Mode: m, Clients: f, Rank: i + 1})
			}
		}
	}
	return groups(s)
}

// TestPickRankingPanels: at most 4 panels (live first, then the most clients), at most about 26
// bars down the chart, and a note naming what was left out.
func TestPickRankingPanels(t *testing.T) {
	tests := []struct {
		name     string
		groups   []strategyGroup
		tags     []string
		perPanel int
		note     string
	}{
		{"2 strategies", rankingGroups(2, []string{record.ModeSim}, []int{10}), []string{"simulated, 10 clients"}, 26, ""},
		{"15 strategies", rankingGroups(15, []string{record.ModeSim}, []int{10}), []string{"simulated, 10 clients"}, 26, ""},
		{"15 both", rankingGroups(15, []string{record.ModeLive, record.ModeSim}, []int{5}),
			[]string{"live, 5 clients", "simulated, 5 clients"}, 26, ""},
		{"shootout: 18 × 5 fleets", rankingGroups(18, []string{record.ModeSim}, []int{10, 25, 50, 100, 200}),
			[]string{"simulated, 25 clients", "simulated, 50 clients", "simulated, 100 clients", "simulated, 200 clients"}, 13,
			"4 of 5 groups are drawn (left out: simulated, 10 clients); each panel shows its 13 best-ranked strategies; the Strategies table ranks them all."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs, per, note := pickRankingPanels(tt.groups)
			var tags []string
			for _, g := range gs {
				tags = append(tags, g.tag())
			}
			assert.Equal(t, tt.tags, tags)
			assert.Equal(t, tt.perPanel, per)
			assert.Equal(t, tt.note, note)
		})
	}
}

// TestFitText: text beside a bar is cut at a word to the room left, never past it.
func TestFitText(t *testing.T) {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(8.5)
	long := "1,200 simulated attempts; 949/1,000 retry budget spent: 1 retries for 4 requests (+4 more reasons)"
	assert.Equal(t, "50 simulated attempts", fitText(sty, "50 simulated attempts", vg.Points(200)))
	for _, w := range []vg.Length{40, 120, 250} {
		got := fitText(sty, long, vg.Points(float64(w)))
		assert.LessOrEqual(t, sty.Width(got), vg.Points(float64(w)), got)
		if got != "" {
			assert.Contains(t, got, "…")
		}
	}
}
