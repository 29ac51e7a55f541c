package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func f(v float64) *float64 { return &v }
func b(v bool) *bool       { return &v }

// evalScenario is a scenario with a threshold of every kind.
const evalScenario = `mock:
phases:
  - probe: {find: true}
  - compare:
      strategies: [none, full-jitter, {name: full-jitter, label: fj-fast, params: {cap: 1s}}]
      clients: [10, 50]
      mode: both
expect:
  limits:
    requests:
      effective_per_minute: {within: 5%, of: 50}
      advertised_per_minute: 50
      burst: ">= 40"
      algorithm: token-bucket
      gap: false
    output_tokens: {effective_per_minute: "> 1000"}
  binding: output_tokens
  accounting: {rejected_count: true, output_precharged: false}
  rate_limited_share: {below: 10%}
  error_share: "< 0.01"
  dropped: 0
  strategies:
    all: {failed: 0}
    full-jitter: {p95: "< 30s", makespan_ratio: "<= 1.5", mode: sim}
    fj-fast: {amplification: {below: 2}}
`

func TestEvaluate(t *testing.T) {
	s := mustLoad(t, evalScenario)
	r := Results{
		Limits: []LimitResult{
			{Dimension: "requests", AdvertisedPerMinute: f(50), EffectivePerMinute: f(49.7), Burst: f(50), Algorithm: "token-bucket"},
			{Dimension: "output_tokens", EffectivePerMinute: nil},
		},
		Binding:       "output_tokens",
		RejectedCount: b(true),
		Attempts:      1000, RateLimited: 150, Overloaded: 3, Errors: 2, Dropped: 0,
		Strategies: []StrategyResult{
			{Name: "none", Mode: "live", Clients: 10, Requests: 100, Failed: 12, Attempts: 100},
			{Name: "full-jitter", Mode: "sim", Clients: 10, Requests: 100, Attempts: 130, P95: f(12.3456), MakespanSeconds: f(30), MakespanLowerBoundSeconds: f(25)},
			{Name: "full-jitter", Mode: "live", Clients: 10, Requests: 100, Attempts: 140, P95: f(45)},
			{Name: "full-jitter", Mode: "sim", Clients: 50, Requests: 500, Attempts: 900, P95: f(31), MakespanSeconds: f(100)},
		},
	}
	got := Evaluate(s.Expect, r)
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
	}
	assert.Equal(t, []string{
		"ok   requests effective per minute: 49.7, want within 5% of 50 (47.5 to 52.5)",
		"ok   requests advertised per minute: 50, want == 50",
		"ok   requests burst: 50, want >= 40",
		"ok   requests algorithm: token-bucket, want token-bucket",
		"ok   requests advertised vs effective gap: none reported, want none",
		"FAIL output_tokens effective per minute: unknown, want > 1000",
		"ok   binding constraint: output_tokens, want output_tokens",
		"ok   rejected attempts use quota: true, want true",
		"FAIL output tokens pre-charged at max_tokens: undetermined, want false",
		"FAIL 429 share of attempts: 0.15 (15%), want < 10%",
		"ok   error share of attempts: 0.005 (0.5%), want < 0.01",
		"ok   dropped attempts: 0, want == 0",
		"FAIL none (live, 10 clients) failed: 12, want == 0",
		"ok   full-jitter (sim, 10 clients) failed: 0, want == 0",
		"ok   full-jitter (live, 10 clients) failed: 0, want == 0",
		"ok   full-jitter (sim, 50 clients) failed: 0, want == 0",
		"ok   full-jitter (sim, 10 clients) makespan_ratio: 1.2, want <= 1.5",
		"ok   full-jitter (sim, 10 clients) p95: 12.346s, want < 30s",
		"FAIL full-jitter (sim, 50 clients) makespan_ratio: unknown, want <= 1.5",
		"FAIL full-jitter (sim, 50 clients) p95: 31s, want < 30s",
		"FAIL fj-fast: no results for strategy fj-fast",
	}, lines)
	assert.Equal(t, "expect.strategies.full-jitter.p95", got[17].Path)
	assert.Len(t, Failed(got), 7)
	assert.Equal(t, "FAIL 429 share of attempts: 0.15 (15%), want < 10%", Failed(got)[2])
}

func TestEvaluateEdges(t *testing.T) {
	t.Run("no thresholds", func(t *testing.T) {
		assert.Nil(t, Evaluate(nil, Results{}))
	})
	t.Run("shares of nothing are unknown", func(t *testing.T) {
		s := mustLoad(t, "mock:\nexpect: {rate_limited_share: '< 0.1'}\n")
		got := Evaluate(s.Expect, Results{})
		require.Len(t, got, 1)
		assert.Equal(t, "FAIL 429 share of attempts: unknown, want < 0.1", got[0].String())
	})
	t.Run("gap expected and found", func(t *testing.T) {
		s := mustLoad(t, "mock:\nexpect: {limits: {requests: {gap: true, algorithm: fixed-window}}, binding: requests}\n")
		got := Evaluate(s.Expect, Results{Limits: []LimitResult{{Dimension: "requests", Gap: "advertised 60/min, enforced as 1/s"}}})
		require.Len(t, got, 3)
		assert.Equal(t, "FAIL requests algorithm: unknown, want fixed-window", got[0].String())
		assert.Equal(t, "ok   requests advertised vs effective gap: reported (advertised 60/min, enforced as 1/s), want a gap", got[1].String())
		assert.Equal(t, "FAIL binding constraint: unknown, want requests", got[2].String())
	})
	t.Run("mode filter with no matching row", func(t *testing.T) {
		s := mustLoad(t, "mock:\nphases: [{compare: {strategies: [none], mode: both}}]\nexpect: {strategies: {none: {mode: live, p50: '< 1s'}}}\n")
		got := Evaluate(s.Expect, Results{Strategies: []StrategyResult{{Name: "none", Mode: "sim", P50: f(0.5)}}})
		require.Len(t, got, 1)
		assert.Equal(t, "FAIL none: no results for strategy none in mode live", got[0].String())
	})
	t.Run("open workload rows and every metric", func(t *testing.T) {
		s := mustLoad(t, `mock:
phases: [{compare: {strategies: [none], rate: 5/s, duration: 10s}}]
expect:
  strategies:
    none:
      rate_limited_share: "< 5%"
      amplification: "<= 1"
      makespan: "< 1m"
      p50: "< 100ms"
      p99: "< 2"
      max_latency: "< 3s"
      goodput_per_second: ">= 4.5"
      fairness: "> 0.9"
`)
		got := Evaluate(s.Expect, Results{Strategies: []StrategyResult{{
			Name: "none", Mode: "live", Attempts: 50, RateLimited: 1, Amplification: f(1), MakespanSeconds: f(10.2),
			P50: f(0.0504), P99: f(1.9999), Max: f(2.5), GoodputPerSecond: f(4.9), Fairness: f(0.95),
		}}})
		var lines []string
		for _, c := range got {
			lines = append(lines, c.String())
		}
		assert.Equal(t, []string{
			"ok   none (live) rate_limited_share: 0.02 (2%), want < 5%",
			"ok   none (live) amplification: 1, want <= 1",
			"ok   none (live) makespan: 10.2s, want < 1m",
			"ok   none (live) p50: 50ms, want < 100ms",
			"ok   none (live) p99: 2s, want < 2",
			"ok   none (live) max_latency: 2.5s, want < 3s",
			"ok   none (live) goodput_per_second: 4.9, want >= 4.5",
			"ok   none (live) fairness: 0.95 (95%), want > 0.9",
		}, lines)
	})
}

func TestSig4(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {49.7, "49.7"}, {12345.6, "12350"}, {0.000123456, "0.0001235"}, {-2.5, "-2.5"}, {1, "1"}} {
		assert.Equal(t, tt.want, sig4(tt.v), "%v", tt.v)
	}
}
