package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

func TestThresholds(t *testing.T) {
	s := &summary.Summary{
		Totals:  summary.Totals{Attempts: 100, RateLimited: 5},
		Limits:  []summary.Limit{{Dimension: "requests", EffectivePerMinute: fp(49), Algorithm: "token-bucket"}},
		Binding: &summary.Binding{Dimension: "requests"},
		Strategies: []summary.Strategy{
			{Name: "full-jitter", Mode: "sim", Clients: 10, Requests: 50, Attempts: 60, Latency: &summary.Latency{P95: 2}},
		},
	}
	tests := []struct {
		name   string
		expect string
		want   []summary.Threshold
	}{
		{"none", ``, nil},
		{"null", `null`, nil},
		{"limits, binding, totals and a strategy", `{
			"limits": {"requests": {"effective_per_minute": {"within": "5%", "of": "50"}, "algorithm": "fixed-window"}},
			"binding": "output_tokens",
			"rate_limited_share": {"below": "10%"},
			"strategies": {"full-jitter": {"p95": {"below": "1s"}}}}`, []summary.Threshold{
			{Path: "expect.limits.requests.effective_per_minute", Subject: "requests effective per minute", Passed: true, Detail: "49, want within 5% of 50 (47.5 to 52.5)"},
			{Path: "expect.limits.requests.algorithm", Subject: "requests algorithm", Detail: "token-bucket, want fixed-window"},
			{Path: "expect.binding", Subject: "binding constraint", Detail: "requests, want output_tokens"},
			{Path: "expect.rate_limited_share", Subject: "429 share of attempts", Passed: true, Detail: "0.05 (5%), want < 10%"},
			{Path: "expect.strategies.full-jitter.p95", Subject: "full-jitter (sim, 10 clients) p95", Detail: "2s, want < 1s"},
		}},
		{"unreadable", `{"dropped": {"below": "soon"}}`, []summary.Threshold{
			{Path: "expect", Subject: "thresholds", Detail: `run.json's thresholds do not read back: bad value "soon": want a number (50), a percentage (5%) or a duration (30s)`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, thresholds(json.RawMessage(tt.expect), s))
		})
	}
}

// TestThresholdsInReport: thresholds recorded in run.json are marked in summary.json and
// report.md, and a re-render marks them identically.
func TestThresholdsInReport(t *testing.T) {
	dir := t.TempDir()
	fixtures["compare-sweep"].write(t, dir)
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	run.Thresholds = json.RawMessage(`{"rate_limited_share": {"at_most": "100%"}, "dropped": {"equals": "7"}}`)
	require.NoError(t, record.WriteRun(dir, run))
	s, err := Generate(dir, Options{SkipCharts: true, SkipCSV: true})
	require.NoError(t, err)
	require.Len(t, s.Thresholds, 2)
	assert.True(t, s.Thresholds[0].Passed)
	assert.False(t, s.Thresholds[1].Passed)
	assert.Equal(t, []string{"FAIL dropped attempts: 0, want == 7"}, summary.Failed(s))

	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## Thresholds\n\n**1 of 2 failed.**\n")
	assert.Contains(t, string(md), "- **FAIL** dropped attempts: 0, want == 7 (`expect.dropped`)\n")
	js, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(js), `"passed": false`))

	again, err := Generate(dir, Options{SkipCharts: true, SkipCSV: true})
	require.NoError(t, err)
	assert.Equal(t, s.Thresholds, again.Thresholds)
}
