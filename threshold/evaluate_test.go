package threshold

import (
	"os"
	"testing"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/summary"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func f(v float64) *float64 { return &v }
func b(v bool) *bool       { return &v }

// expectOf decodes the expect: section of a scenario.
func expectOf(t *testing.T, src string) *Expect {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &n))
	var doc struct {
		Expect *Expect `yaml:"expect"`
	}
	require.NoError(t, strictyaml.Decode("t.yaml", &n, "", &doc))
	return doc.Expect
}

func TestEvaluate(t *testing.T) {
	src, err := os.ReadFile("testdata/every-threshold.yaml")
	require.NoError(t, err)
	e := expectSection(t, src)
	s := &summary.Summary{
		Limits: []summary.Limit{
			{Dimension: "requests", AdvertisedPerMinute: f(50), EffectivePerMinute: f(49.7), Burst: f(50), Algorithm: "token-bucket"},
			{Dimension: "output_tokens", EffectivePerMinute: nil},
		},
		Binding:    &summary.Binding{Dimension: "output_tokens"},
		Accounting: &summary.Accounting{RejectedCount: b(true)},
		Totals:     summary.Totals{Attempts: 1000, RateLimited: 150, Overloaded: 3, Errors: 2, Dropped: 0},
		Strategies: []summary.Strategy{
			{Name: "none", Mode: "live", Clients: 10, Requests: 100, Failed: 12, Attempts: 100},
			{Name: "full-jitter", Mode: "sim", Clients: 10, Requests: 100, Attempts: 130, Latency: &summary.Latency{P95: 12.3456}, MakespanSeconds: f(30), MakespanLowerBoundSeconds: f(25)},
			{Name: "full-jitter", Mode: "live", Clients: 10, Requests: 100, Attempts: 140, Latency: &summary.Latency{P95: 45}},
			{Name: "full-jitter", Mode: "sim", Clients: 50, Requests: 500, Attempts: 900, Latency: &summary.Latency{P95: 31}, MakespanSeconds: f(100)},
		},
	}
	got := Evaluate(e, s)
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
	}, lines(got))
	assert.Equal(t, "expect.strategies.full-jitter.p95", got[17].Path)
	s.Thresholds = got
	assert.Len(t, summary.Failed(s), 7)
	assert.Equal(t, "FAIL 429 share of attempts: 0.15 (15%), want < 10%", summary.Failed(s)[2])
}

func TestEvaluateEdges(t *testing.T) {
	t.Run("no thresholds", func(t *testing.T) {
		assert.Nil(t, Evaluate(nil, &summary.Summary{}))
	})
	t.Run("shares of nothing are unknown", func(t *testing.T) {
		got := Evaluate(expectOf(t, "expect: {rate_limited_share: '< 0.1'}\n"), &summary.Summary{})
		require.Len(t, got, 1)
		assert.Equal(t, "FAIL 429 share of attempts: unknown, want < 0.1", got[0].String())
	})
	t.Run("gap expected and found", func(t *testing.T) {
		e := expectOf(t, "expect: {limits: {requests: {gap: true, algorithm: fixed-window}}, binding: requests}\n")
		got := Evaluate(e, &summary.Summary{Limits: []summary.Limit{{Dimension: "requests", Gap: "advertised 60/min, enforced as 1/s"}}})
		require.Len(t, got, 3)
		assert.Equal(t, "FAIL requests algorithm: unknown, want fixed-window", got[0].String())
		assert.Equal(t, "ok   requests advertised vs effective gap: reported (advertised 60/min, enforced as 1/s), want a gap", got[1].String())
		assert.Equal(t, "FAIL binding constraint: unknown, want requests", got[2].String())
	})
	t.Run("mode filter with no matching row", func(t *testing.T) {
		e := expectOf(t, "expect: {strategies: {none: {mode: live, p50: '< 1s'}}}\n")
		got := Evaluate(e, &summary.Summary{Strategies: []summary.Strategy{{Name: "none", Mode: "sim", Latency: &summary.Latency{P50: 0.5}}}})
		require.Len(t, got, 1)
		assert.Equal(t, "FAIL none: no results for strategy none in mode live", got[0].String())
	})
	t.Run("open workload rows and every metric", func(t *testing.T) {
		e := expectOf(t, `expect:
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
		got := Evaluate(e, &summary.Summary{Strategies: []summary.Strategy{{
			Name: "none", Mode: "live", Attempts: 50, RateLimited: 1, Amplification: f(1), MakespanSeconds: f(10.2),
			Latency: &summary.Latency{P50: 0.0504, P99: 1.9999, Max: 2.5}, GoodputPerSecond: f(4.9), Fairness: f(0.95),
		}}})
		assert.Equal(t, []string{
			"ok   none (live) rate_limited_share: 0.02 (2%), want < 5%",
			"ok   none (live) amplification: 1, want <= 1",
			"ok   none (live) makespan: 10.2s, want < 1m",
			"ok   none (live) p50: 50ms, want < 100ms",
			"ok   none (live) p99: 2s, want < 2",
			"ok   none (live) max_latency: 2.5s, want < 3s",
			"ok   none (live) goodput_per_second: 4.9, want >= 4.5",
			"ok   none (live) fairness: 0.95 (95%), want > 0.9",
		}, lines(got))
	})
}

// lines renders each evaluated threshold as its report line.
func lines(got []summary.Threshold) []string {
	var out []string
	for _, c := range got {
		out = append(out, c.String())
	}
	return out
}

func TestSig4(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {49.7, "49.7"}, {12345.6, "12350"}, {0.000123456, "0.0001235"}, {-2.5, "-2.5"}, {1, "1"}} {
		assert.Equal(t, tt.want, sig4(tt.v), "%v", tt.v)
	}
}
