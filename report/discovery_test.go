package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

func TestDiscoveryCost(t *testing.T) {
	find := func(label string, sent float64, status int, in, out int64) record.Attempt {
		return record.Attempt{Run: label, Mode: record.ModeLive, Number: 1, Scheduled: secs(sent), Sent: secs(sent),
			Latency: 10 * time.Millisecond, Status: status, InputTokens: in, OutputTokens: out, Final: true}
	}
	tests := []struct {
		name    string
		segs    []record.Segment
		atts    []record.Attempt
		want    *summary.Discovery
		finding string
	}{
		{
			name: "the find segments' attempts, tokens and span; a later probe phase is not discovery",
			segs: []record.Segment{
				{Label: "find-001-headers", Kind: "find", StartS: 0.5, EndS: 0.6},
				{Label: "find-002-burst", Kind: "find", StartS: 0.6, EndS: 1.0},
				{Label: "find-003-rest", Kind: "find", StartS: 3.0, EndS: 3.2},
				{Label: "ramp", Kind: "probe", StartS: 4, EndS: 10},
			},
			atts: []record.Attempt{
				find("find-001-headers", 0.5, 200, 32, 16),
				find("find-002-burst", 0.6, 200, 32, 16),
				find("find-002-burst", 0.7, 429, 0, 0),
				find("find-003-rest", 3.0, 200, 32, 16),
				find("ramp", 4, 200, 32, 16),
			},
			want:    &summary.Discovery{Requests: 4, RateLimited: 1, InputTokens: 96, OutputTokens: 48, Tokens: 144, Seconds: 2.7},
			finding: "Discovery cost 4 requests (1 refused), 144 tokens and 2.7 s.",
		},
		{
			name: "no discovery: no object, no finding",
			segs: []record.Segment{{Label: "ramp", Kind: "probe", StartS: 0, EndS: 10}},
			atts: []record.Attempt{find("ramp", 1, 200, 32, 16)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := &record.Run{Schema: record.RunSchema, Command: "probe", Segments: tc.segs}
			b := newBuilder(run, fixedInference{})
			for i := range tc.atts {
				b.Add(&tc.atts[i])
			}
			s := b.Summary()
			assert.Equal(t, tc.want, s.Discovery)
			if tc.finding == "" {
				for _, f := range s.Findings {
					assert.NotContains(t, f, "Discovery cost")
				}
				return
			}
			require.NotEmpty(t, s.Findings)
			assert.Contains(t, s.Findings, tc.finding)
		})
	}
}
