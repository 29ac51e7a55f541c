package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/summary"
)

// TestTablesFitTheTerminal: the widest content ratelab produces still fits 100 columns.
func TestTablesFitTheTerminal(t *testing.T) {
	long := strings.Repeat("a long explanation word ", 12)
	s := &summary.Summary{
		Limits: []summary.Limit{{Dimension: "output_tokens", AdvertisedPerMinute: fp(1234567), EffectivePerMinute: fp(1234567.8),
			EffectiveLow: fp(1200000), EffectiveHigh: fp(1299999), Burst: fp(1234567), Algorithm: summary.AlgoSlidingWindow,
			WindowSeconds: fp(3600), Source: summary.SourceBehaviour, Gap: long}},
		Binding: &summary.Binding{Dimension: "output_tokens", MaxRequestsPerMinute: fp(123456), Explanation: long},
	}
	for _, mode := range []string{"live", "sim"} {
		for _, clients := range []int{10, 1000} {
			s.Strategies = append(s.Strategies, summary.Strategy{Name: "decorrelated-jitter", Mode: mode, Clients: clients,
				Requests: 1234567, Succeeded: 1234567, Attempts: 12345678, Amplification: fp(10.0001), RateLimited: 1234567,
				MakespanSeconds: fp(123456.789), MakespanLowerBoundSeconds: fp(12345), LowerBoundDimension: "output_tokens",
				Latency: &summary.Latency{P50: 1234.5, P95: 12345.6, P99: 12345.6, Max: 12345.6}, Rank: 1})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, PrintTables(&buf, s))
	for i, line := range strings.Split(buf.String(), "\n") {
		assert.LessOrEqual(t, twwidth.Width(line), TerminalWidth, "line %d: %q", i+1, line)
	}
	assert.Contains(t, buf.String(), "decorrelated-jitter")
	assert.NotContains(t, buf.String(), "…", "no cell is truncated")
}
