package planner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/summary"
	"github.com/ratelab/ratelab/workload"
)

// evenTrace is n requests gap apart, 100 input and 20 output tokens each.
func evenTrace(n int, gap time.Duration) *workload.Trace {
	t := &workload.Trace{Source: "even"}
	for i := range n {
		t.At = append(t.At, time.Duration(i)*gap)
		t.Input = append(t.Input, 100)
		t.Output = append(t.Output, 20)
	}
	return t
}

// TestPlanKnownAnswer: a trace at half the limit (30 requests a minute against 60) fits at
// scale 2 and not at 4, under every strategy, and the requests dimension binds.
func TestPlanKnownAnswer(t *testing.T) {
	cfg := offConfig()
	cfg.Limits.Requests.PerMinute = 60
	burst := int64(10)
	cfg.Limits.Requests.Burst = &burst
	slo, err := ParseSLO("p95-delay=2s,fail=0.1%")
	require.NoError(t, err)
	res, err := Run(context.Background(), Options{Trace: evenTrace(600, 2*time.Second), Scales: []float64{4, 1, 2},
		Limits: cfg, SLO: slo, Strategies: planStrategies(t, "full-jitter", "retry-after", "header-pacing"), Seed: 1})
	require.NoError(t, err)
	require.Len(t, res.Entries, 9)
	for _, e := range res.Entries {
		assert.Equal(t, "requests", e.Binding, "%g %s", e.Scale, e.Strategy)
		require.NotNil(t, e.Headroom)
		assert.InDelta(t, 1-0.5*e.Scale, *e.Headroom, 0.05, "headroom at %g", e.Scale)
		switch e.Scale {
		case 1, 2:
			assert.True(t, e.MeetsSLO, "%g %s: %+v", e.Scale, e.Strategy, e)
			assert.Equal(t, int64(600*e.Scale), e.Requests)
			assert.Empty(t, e.Stopped)
		case 4:
			assert.False(t, e.MeetsSLO, "%g %s", e.Scale, e.Strategy)
			assert.True(t, e.Stopped != "" || e.AddedDelay.P95 > 2, "%+v", e)
		}
	}
	assert.Equal(t, []float64{1, 1, 1, 2, 2, 2, 4, 4, 4}, scalesOf(res.Entries), "entries in scale order")
	for name, ms := range res.MaxScale {
		require.NotNil(t, ms, name)
		assert.Equal(t, 2.0, *ms, name)
	}
	require.NotNil(t, res.Best)
	assert.Equal(t, 2.0, res.Best.Scale)
}

func scalesOf(es []summary.PlanEntry) []float64 {
	var out []float64
	for _, e := range es {
		out = append(out, e.Scale)
	}
	return out
}

// TestPlanNoneFits: a workload over its limit at every scale has a null max scale.
func TestPlanNoneFits(t *testing.T) {
	cfg := offConfig()
	cfg.Limits.Requests.PerMinute = 10
	slo, err := ParseSLO("p99-delay=1s")
	require.NoError(t, err)
	res, err := Run(context.Background(), Options{Trace: evenTrace(300, time.Second), Scales: []float64{1, 2},
		Limits: cfg, SLO: slo, Strategies: planStrategies(t, "full-jitter"), Seed: 1})
	require.NoError(t, err)
	assert.Nil(t, res.MaxScale["full-jitter"])
	assert.Nil(t, res.Best)
	for _, e := range res.Entries {
		assert.False(t, e.MeetsSLO)
		assert.Contains(t, e.Stopped, "p99-delay was missed for certain", "an SLO certainly missed stops the simulation")
		assert.Greater(t, e.RefusedShare, 0.2)
	}
}

func TestParseSLO(t *testing.T) {
	d := func(s string) *time.Duration { v, _ := time.ParseDuration(s); return &v }
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		in      string
		want    SLO
		wantErr string
	}{
		{in: "p95-delay=2s,fail=0.1%", want: SLO{P95: d("2s"), Fail: f(0.001)}},
		{in: " p50-delay = 100ms , p99-delay=5s, refused=0.2 ", want: SLO{P50: d("100ms"), P99: d("5s"), Refused: f(0.2)}},
		{in: "", wantErr: "empty"},
		{in: "p95-delay", wantErr: `"p95-delay" has no =VALUE`},
		{in: "p95-delay=fast", wantErr: `p95-delay "fast" is not a duration`},
		{in: "p95-delay=-1s", wantErr: "is not a duration ≥ 0"},
		{in: "fail=120%", wantErr: `fail "120%" is not a share`},
		{in: "fail=abc", wantErr: `fail "abc" is not a share`},
		{in: "p90-delay=1s", wantErr: `unknown key "p90-delay"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			testcheck.Parse(t, ParseSLO, tt.in, tt.want, tt.wantErr, "invalid SLO")
		})
	}
}

func TestSLOMeets(t *testing.T) {
	slo, err := ParseSLO("p95-delay=2s,fail=1%")
	require.NoError(t, err)
	tests := []struct {
		name string
		e    summary.PlanEntry
		want bool
	}{
		{"within", summary.PlanEntry{AddedDelay: summary.Quantiles{P95: 2}, FailedShare: 0.01}, true},
		{"too slow", summary.PlanEntry{AddedDelay: summary.Quantiles{P95: 2.1}}, false},
		{"too many failed", summary.PlanEntry{FailedShare: 0.011}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, slo.Meets(&tt.e)) })
	}
}
