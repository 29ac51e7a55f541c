package report

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

func TestObservedSummary(t *testing.T) {
	// observed: n attempts one every gap seconds, every refuseEvery-th refused (0: none), each
	// of 10 input and 20 output tokens, the requests header remaining falling to low of 100.
	observed := func(n int, gap float64, refuseEvery int) *observedAcc {
		acc := newObservedAcc()
		for i := range n {
			a := record.Attempt{Observed: true, ClientID: []string{"a", "b"}[i%2], Sent: secs(float64(i) * gap), Status: 200,
				InputTokens: 10, OutputTokens: 20}
			if refuseEvery > 0 && i%refuseEvery == refuseEvery-1 {
				a.Status, a.InputTokens, a.OutputTokens = 429, 0, 0
			}
			a.Limits[ratelimit.Requests] = ratelimit.State{Limit: 100, Remaining: int64(100 - i%60), Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
			acc.add(&a)
		}
		acc.add(&record.Attempt{Sent: time.Second, Status: 200}) // not observed: not counted
		return acc
	}
	adv := func(req, out float64) []summary.Limit {
		return []summary.Limit{{Dimension: "requests", AdvertisedPerMinute: &req}, {Dimension: "output_tokens", AdvertisedPerMinute: &out}}
	}
	eff := 90.0
	measured := adv(100, 8000)
	measured[0].EffectivePerMinute = &eff
	tests := []struct {
		name      string
		acc       *observedAcc
		limits    []summary.Limit
		window    float64
		perMin    map[string]float64
		closest   string
		share     float64 // of the closest
		findings  []string
		notInThem string
	}{
		{"two minutes at 1/s, no refusal", observed(120, 1, 0), adv(100, 8000), 60,
			map[string]float64{"requests": 60, "input_tokens": 600, "output_tokens": 1200}, "requests", 0.6,
			[]string{"Observed traffic: 120 requests from 2 clients, 0 refused; the busiest minute admitted 60 requests/min.",
				"Requests: admitted 60 in the busiest minute without a refusal: the effective limit is at least 60 requests/min.",
				"Requests came closest to a limit: the busiest minute reached 60% of the advertised 100 requests/min; the headers showed as little as 41% of its budget left.",
				"No request was refused, so the effective limits are known only from below. Traffic above the advertised requests limit (100 requests/min; the busiest minute reached 60% of it), the closest, would show whether the server enforces it and by which algorithm."},
			""},
		{"ten seconds at 5/s: a burst, not a per-minute bound", observed(50, 0.2, 0), adv(100, 8000), 10,
			map[string]float64{"requests": 300, "output_tokens": 6000}, "requests", 3,
			[]string{"Requests: admitted 300 requests/min over the busiest 10 s without a refusal (a recording under a minute bounds bursts, not the per-minute limit)."},
			"at least"},
		{"refusals measured the requests limit", observed(120, 1, 4), measured, 60,
			map[string]float64{"requests": 45}, "requests", 0.5,
			[]string{"Refusals measured the effective requests limit; traffic heavier in the others would reveal theirs: output tokens (busiest minute at 11.2% of the advertised 8,000 output tokens/min)."},
			"without a refusal"},
		{"no limit known", observed(10, 1, 0), nil, 10, map[string]float64{"requests": 60}, "", 0,
			[]string{"No request was refused and no limit was advertised, so only lower bounds are known: busier traffic, up to the first 429, would show where the limit is."},
			"closest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.acc.summary(&summary.Summary{Limits: tc.limits})
			require.NotNil(t, o)
			assert.Equal(t, tc.window, o.WindowSeconds)
			for _, p := range o.Dimensions {
				if want, ok := tc.perMin[p.Dimension]; ok {
					assert.InDelta(t, want, p.AdmittedPerMinute, 0.01, p.Dimension)
				}
				if p.Dimension == tc.closest {
					require.NotNil(t, p.Share)
					assert.InDelta(t, tc.share, *p.Share, 0.001)
				}
			}
			assert.Equal(t, tc.closest, o.Closest)
			f := observedFindings(o)
			for _, want := range tc.findings {
				assert.Contains(t, f, want)
			}
			if tc.notInThem != "" {
				assert.NotContains(t, strings.Join(f, " "), tc.notInThem)
			}
		})
	}
	assert.Nil(t, newObservedAcc().summary(&summary.Summary{}), "a run with no observed attempt has no observed section")
}
