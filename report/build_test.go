package report

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// att is a compact attempt for the builder tables.
func att(client int, req int64, n int, sched, sent, latMs float64, status int, final bool) record.Attempt {
	return record.Attempt{Strategy: "s", Mode: record.ModeSim, Fleet: 2, Client: client, Request: req, Number: n,
		Scheduled: secs(sched), Sent: secs(sent), Latency: secs(latMs / 1000), Status: status, Final: final}
}

func TestBuilderStrategyMetrics(t *testing.T) {
	rejected := att(1, 2, 2, 1.5, 1.5, 0, 0, false)
	rejected.ClientRejected = true
	tests := []struct {
		name     string
		segStart float64
		atts     []record.Attempt
		check    func(t *testing.T, st summary.Strategy, tot summary.Totals)
	}{
		{
			name:     "retries then success: latency from attempt 1's scheduled time to the final end",
			segStart: 10,
			atts: []record.Attempt{
				att(0, 1, 1, 10, 10.2, 100, 429, false),
				att(0, 1, 2, 11, 11, 500, 200, true),
			},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				assert.EqualValues(t, 1, st.Requests)
				assert.EqualValues(t, 1, st.Succeeded)
				assert.EqualValues(t, 2, st.Attempts)
				assert.EqualValues(t, 1, st.RateLimited)
				assert.Equal(t, 2.0, *st.Amplification)
				require.NotNil(t, st.Latency)
				assert.Equal(t, 1.5, st.Latency.Max, "11.5 − 10")
				assert.InDelta(t, 1.5, st.Latency.P50, 1.5/256)
				assert.Equal(t, 1.5, *st.MakespanSeconds, "segment start 10 to last end 11.5")
				assert.Equal(t, 0.6667, *st.GoodputPerSecond)
			},
		},
		{
			name: "client-rejected records are not HTTP attempts; failed and unfinished requests",
			atts: []record.Attempt{
				att(0, 1, 1, 0, 0, 100, 500, true), // failed at once
				att(1, 2, 1, 0, 0, 100, 429, false),
				rejected,                           // held back, request 2 goes on
				att(1, 2, 3, 2, 2, 100, 200, true), // succeeds
				att(0, 3, 1, 1, 1, 50, 429, false), // never finished
			},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				assert.EqualValues(t, 3, st.Requests)
				assert.EqualValues(t, 1, st.Succeeded)
				assert.EqualValues(t, 1, st.Failed)
				assert.EqualValues(t, 1, st.Unfinished)
				assert.EqualValues(t, 4, st.Attempts)
				assert.EqualValues(t, 1, st.ClientRejected)
				assert.EqualValues(t, 1, st.Errors)
				assert.EqualValues(t, 4, tot.Attempts)
				assert.EqualValues(t, 1, tot.ClientRejected)
				assert.Equal(t, 2.1, st.Latency.Max)
				assert.Equal(t, 2.1, *st.MakespanSeconds, "no segment: from the first scheduled request (0) to the last end")
			},
		},
		{
			name: "a success without the final flag still ends its request",
			atts: []record.Attempt{att(0, 1, 1, 0, 0, 250, 200, false)},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				assert.EqualValues(t, 1, st.Succeeded)
				assert.EqualValues(t, 0, st.Unfinished)
			},
		},
		{
			name: "fairness: equal clients score 1",
			atts: []record.Attempt{att(0, 1, 1, 0, 0, 1000, 200, true), att(1, 2, 1, 0, 0, 1000, 200, true)},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				assert.Equal(t, 1.0, *st.Fairness)
			},
		},
		{
			name: "fairness: one of two clients served scores 1/2",
			atts: []record.Attempt{att(0, 1, 1, 0, 0, 1000, 200, true), att(1, 2, 1, 0, 0, 1000, 429, true)},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				assert.Equal(t, 0.5, *st.Fairness)
			},
		},
		{
			name: "fairness: a client served later scores lower (x = 1/1 s and 1/3 s → J = 0.8)",
			atts: []record.Attempt{att(0, 1, 1, 0, 0, 1000, 200, true), att(1, 2, 1, 0, 2, 1000, 200, true)},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				// (1 + 1/3)² / (2 · (1 + 1/9)) = 0.8
				assert.Equal(t, 0.8, *st.Fairness)
			},
		},
		{
			name: "peak attempts per second",
			atts: []record.Attempt{
				att(0, 1, 1, 0, 0.1, 10, 429, false), att(0, 1, 2, 0.2, 0.2, 10, 429, false),
				att(0, 1, 3, 0.9, 0.9, 10, 429, false), att(0, 1, 4, 1.5, 1.5, 10, 200, true),
			},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				assert.Equal(t, 3.0, st.PeakAttemptsPerSecond)
				assert.Equal(t, 10.0, st.PeakRetriesPerSecond, "one retry in each 100 ms bin it reached")
				assert.Equal(t, 1.0, st.PeakRetriesPer100ms, "the same peak as a count, in the unit the tables say")
			},
		},
		{
			name: "peak retries per second: four retries in one 100 ms bin, none counted for first attempts",
			atts: []record.Attempt{
				att(0, 1, 1, 0, 0, 10, 429, false), att(1, 2, 1, 0, 0, 10, 429, false),
				att(2, 3, 1, 0, 0, 10, 429, false), att(3, 4, 1, 0, 0, 10, 429, false),
				att(0, 1, 2, 300.51, 300.51, 10, 200, true), att(1, 2, 2, 300.52, 300.52, 10, 200, true),
				att(2, 3, 2, 300.55, 300.55, 10, 200, true), att(3, 4, 2, 300.59, 300.59, 10, 200, true),
				att(0, 5, 2, 299.0, 299.0, 10, 200, true), // logged late, sent before the first retry logged
			},
			check: func(t *testing.T, st summary.Strategy, tot summary.Totals) {
				assert.Equal(t, 4.0, st.PeakAttemptsPerSecond)
				assert.Equal(t, 40.0, st.PeakRetriesPerSecond)
				assert.Equal(t, 4.0, st.PeakRetriesPer100ms)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &record.Run{Segments: []record.Segment{{Label: "x", Strategy: "s", Mode: record.ModeSim, Clients: 2, StartS: tt.segStart}}}
			if tt.segStart == 0 {
				run.Segments = nil
			}
			b := NewBuilder(run)
			for i := range tt.atts {
				b.Add(&tt.atts[i])
			}
			s := b.Summary()
			require.Len(t, s.Strategies, 1)
			tt.check(t, s.Strategies[0], s.Totals)
		})
	}
}

func TestLowerBound(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	acc := &stratAcc{requests: 100, succeeded: 100, okN: 10, okInput: 1000, okOutput: 4000} // 100 in, 400 out per request
	tests := []struct {
		name    string
		known   []record.KnownLimit
		limits  []summary.Limit
		want    float64
		wantDim string
		ok      bool
	}{
		{"requests token bucket: (100 − 10) / (60/60 s)", []record.KnownLimit{{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 60, Burst: 10}}, nil, 90, "requests", true},
		{"output tokens bind: (100·400 − 8000) / (8000/60)", []record.KnownLimit{
			{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 60, Burst: 10},
			{Dimension: "output_tokens", Algorithm: "token-bucket", PerMinute: 8000, Burst: 8000}}, nil, 240, "output_tokens", true},
		{"fixed window admits two quotas around a boundary", []record.KnownLimit{{Dimension: "requests", Algorithm: "fixed-window", PerMinute: 60, Burst: 10}}, nil, 80, "requests", true},
		{"burst above the workload: 0", []record.KnownLimit{{Dimension: "requests", Algorithm: "gcra", PerMinute: 60, Burst: 500}}, nil, 0, "requests", true},
		{"inferred: the top of the interval", nil, []summary.Limit{{Dimension: "requests", EffectivePerMinute: f(50), EffectiveHigh: f(60), Burst: f(10), Algorithm: summary.AlgoTokenBucket}}, 90, "requests", true},
		{"inferred without a burst: unknown", nil, []summary.Limit{{Dimension: "requests", EffectivePerMinute: f(60)}}, 0, "", false},
		{"nothing known: unknown", nil, nil, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(&record.Run{Known: tt.known})
			res := infer.Result{Limits: tt.limits}
			got, dim, ok := lowerBound(acc, b.boundLimits(res), res, 0, 0)
			assert.Equal(t, tt.ok, ok)
			assert.InDelta(t, tt.want, got, 1e-9)
			assert.Equal(t, tt.wantDim, dim)
		})
	}
}

// TestLowerBoundAdmitted: the bound counts the requests the limits admitted — a strategy that
// gave up on some consumed nothing for them — plus its 429s when rejected attempts cost quota.
func TestLowerBoundAdmitted(t *testing.T) {
	yes := true
	known := []record.KnownLimit{{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 60, Burst: 10}}
	acc := &stratAcc{requests: 100, succeeded: 40, failed: 60, rateLimited: 30, okN: 40}
	tests := []struct {
		name string
		res  infer.Result
		want float64
	}{
		{"gave up on 60: (40 − 10) / (60/60 s)", infer.Result{}, 30},
		{"rejected attempts count: (40 + 30 − 10) / (60/60 s)", infer.Result{Accounting: summary.Accounting{RejectedCount: &yes}}, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(&record.Run{Known: known})
			got, dim, ok := lowerBound(acc, b.boundLimits(tt.res), tt.res, 0, 0)
			assert.True(t, ok)
			assert.InDelta(t, tt.want, got, 1e-9)
			assert.Equal(t, "requests", dim)
		})
	}
}

// TestLowerBoundWorkers: 40 workers whose 400 replies took 17.5 s each cannot finish before
// 400 · 17.5 / 40 = 175 s, whatever the limits allow (here 30 s): the bound is the workers'.
func TestLowerBoundWorkers(t *testing.T) {
	known := []record.KnownLimit{{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 800, Burst: 0}}
	acc := &stratAcc{requests: 400, succeeded: 400, okN: 400, okBusy: 400 * 17.5}
	b := NewBuilder(&record.Run{Known: known})
	got, dim, ok := lowerBound(acc, b.boundLimits(infer.Result{}), infer.Result{}, 0, 40)
	require.True(t, ok)
	assert.InDelta(t, 175, got, 1e-9)
	assert.Equal(t, WorkersBound, dim)
	got, dim, _ = lowerBound(acc, b.boundLimits(infer.Result{}), infer.Result{}, 0, 400)
	assert.InDelta(t, 30, got, 1e-9, "400 workers: the limit binds")
	assert.Equal(t, "requests", dim)
}

func TestRankCompleteFirst(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	sts := []summary.Strategy{
		{Name: "gives-up", Requests: 10, Succeeded: 8, Failed: 2, MakespanSeconds: f(5)},
		{Name: "gives-up-most", Requests: 10, Succeeded: 1, Failed: 9, MakespanSeconds: f(0.5)},
		{Name: "slow", Requests: 10, Succeeded: 10, MakespanSeconds: f(20), Attempts: 12},
		{Name: "fast", Requests: 10, Succeeded: 10, MakespanSeconds: f(12), Attempts: 30},
		{Name: "other-group", Clients: 5, Requests: 10, Succeeded: 10, MakespanSeconds: f(99)},
		{Name: "tie-fewer-attempts", Requests: 10, Succeeded: 10, MakespanSeconds: f(12.02), Attempts: 11},
		{Name: "just-slower", Requests: 10, Succeeded: 10, MakespanSeconds: f(12.1), Attempts: 10},
	}
	rankStrategies(sts)
	got := map[string]int{}
	for _, s := range sts {
		got[s.Name] = s.Rank
	}
	// 12.02 s ties 12 s at the three significant digits shown; 12.1 s does not. Among those
	// that gave up, fewer requests lost ranks first, however soon the other finished.
	assert.Equal(t, map[string]int{"tie-fewer-attempts": 1, "fast": 2, "just-slower": 3, "slow": 4, "gives-up": 5, "gives-up-most": 6, "other-group": 1}, got)
}

func TestHuman(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {1, "1"}, {1.18, "1.18"}, {41.234, "41.2"}, {0.012345, "0.0123"}, {999.4, "999"},
		{999.6, "1,000"}, {8000, "8,000"}, {1234567, "1,234,567"}, {-2.5, "-2.5"}, {-1500, "-1,500"}, {100, "100"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, human(tt.in), "%v", tt.in)
	}
}

// TestKnownAccounting: the embedded mock's configuration overrides what inference guessed about
// rejected attempts and output accounting; without one, the inference stands.
func TestKnownAccounting(t *testing.T) {
	yes, no := true, false
	inferred := summary.Accounting{RejectedCount: &yes, OutputPrecharged: &no, MeanInputTokens: 3}
	tests := []struct {
		name          string
		mock          string
		rejected, pre *bool
	}{
		{"no mock: inferred", "", &yes, &no},
		{"mock does not count rejected, pre-charges", `{"count_rejected":false,"output_accounting":"max_tokens"}`, &no, &yes},
		{"mock counts rejected, actual output", `{"count_rejected":true,"output_accounting":"actual"}`, &yes, &no},
		{"mock without the fields: inferred", `{"latency":"0s"}`, &yes, &no},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := knownAccounting(&record.Run{Mock: []byte(tt.mock)}, inferred)
			assert.Equal(t, tt.rejected, got.RejectedCount)
			assert.Equal(t, tt.pre, got.OutputPrecharged)
			assert.Equal(t, 3.0, got.MeanInputTokens)
		})
	}
}

// TestFailureReasons (issue 13, item 5): every request that did not succeed is counted under a
// reason — the engine's gave_up text in a planner's words, the strategy's max-attempts for logs
// without it, the run's stop for requests with no final attempt — and the findings say it.
func TestFailureReasons(t *testing.T) {
	// gaveUp is a logical request's attempts: n − 1 refused, then a final one giving up.
	gaveUp := func(req int64, n int, reason string) []record.Attempt {
		var as []record.Attempt
		for i := 1; i < n; i++ {
			as = append(as, att(0, req, i, 0, float64(i), 10, 429, false))
		}
		a := att(0, req, n, 0, float64(n), 10, 429, true)
		a.GaveUp = reason
		return append(as, a)
	}
	cat := func(ass ...[]record.Attempt) []record.Attempt { return slices.Concat(ass...) }
	tests := []struct {
		name   string
		run    record.Run
		atts   []record.Attempt
		want   []summary.Reason
		prose  string
		inFind string
	}{
		{
			name: "anthropic-sdk gives up after 3 attempts",
			atts: cat(gaveUp(1, 3, "max attempts 3 reached (last status 429)"), gaveUp(2, 3, "max attempts 3 reached (last status 429)"),
				[]record.Attempt{att(1, 3, 1, 0, 0, 10, 200, true)}),
			want:   []summary.Reason{{Reason: "gave up after 3 attempts (max-attempts 3)", Count: 2}},
			prose:  "2 of 3 did not succeed: 2 gave up after 3 attempts (max-attempts 3)",
			inFind: "but 2 of 3 did not succeed: 2 gave up after 3 attempts (max-attempts 3) and no strategy completed every request",
		},
		{
			name: "max-elapsed, not retryable, retry-after over the cap, most frequent first",
			atts: cat(
				gaveUp(1, 9, "max elapsed 15m0s: next attempt would be due 15m3.2s after the request was scheduled"),
				gaveUp(2, 7, "max elapsed 15m0s: the strategy would wait until 15m1s after the request was scheduled"),
				gaveUp(3, 1, "status 400 is not retryable"),
				gaveUp(4, 2, "retry-after 3m0s over the 2m0s cap: the SDK gives up"),
			),
			want: []summary.Reason{{Reason: "gave up at max-elapsed 15m0s", Count: 2}, {Reason: "HTTP 400 is not retryable", Count: 1},
				{Reason: "retry-after over the 2m0s cap: the SDK gives up", Count: 1}},
			prose: "4 of 4 did not succeed: 2 gave up at max-elapsed 15m0s, 1 HTTP 400 is not retryable, 1 retry-after over the 2m0s cap: the SDK gives up",
		},
		{
			name: "an old log without gave_up: the segment's max-attempts tells",
			run:  record.Run{Segments: []record.Segment{{Label: "x", Strategy: "s", Mode: record.ModeSim, Clients: 2, Params: map[string]any{"max-attempts": 3.0}}}},
			atts: cat(gaveUp(1, 3, ""), gaveUp(2, 1, "")),
			want: []summary.Reason{{Reason: "gave up (this log does not record why)", Count: 1}, {Reason: "gave up after 3 attempts (max-attempts 3)", Count: 1}},
		},
		{
			name:  "requests with no final attempt: the run stopped first",
			run:   record.Run{Partial: true, StopReason: "--max-requests 10 reached"},
			atts:  []record.Attempt{att(0, 1, 1, 0, 0, 10, 429, false), att(1, 2, 1, 0, 0, 10, 200, true)},
			want:  []summary.Reason{{Reason: "unfinished: the run stopped first (--max-requests 10 reached)", Count: 1}},
			prose: "1 of 2 did not succeed: 1 unfinished: the run stopped first (--max-requests 10 reached)",
		},
		{
			name: "every request succeeded: no reasons",
			atts: []record.Attempt{att(0, 1, 1, 0, 0, 10, 200, true)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := tt.run
			b := NewBuilder(&run)
			for i := range tt.atts {
				b.Add(&tt.atts[i])
			}
			s := b.Summary()
			require.Len(t, s.Strategies, 1)
			st := s.Strategies[0]
			assert.Equal(t, tt.want, st.FailureReasons)
			var n int64
			for _, r := range st.FailureReasons {
				n += r.Count
			}
			assert.Equal(t, st.Requests-st.Succeeded, n, "every request that did not succeed has a reason")
			if tt.prose != "" {
				assert.Equal(t, tt.prose, notSucceeded(&st))
			}
			if tt.inFind != "" {
				assert.Contains(t, strings.Join(s.Findings, "\n"), tt.inFind)
			}
		})
	}
}

// TestLabelSeriesBounded: a log with more segment labels than any run writes keeps a bounded
// number of time series (the rest share one per mode) and still counts every attempt.
func TestLabelSeriesBounded(t *testing.T) {
	b := NewBuilder(&record.Run{})
	for i := range maxLabelSeries + 500 {
		a := att(0, int64(i+1), 1, float64(i), float64(i), 10, 200, true)
		a.Run = fmt.Sprintf("seg-%d", i)
		b.Add(&a)
	}
	assert.LessOrEqual(t, len(b.series), maxLabelSeries+2)
	var n float64
	for _, ls := range b.seriesList {
		for _, v := range ls.sent.Bins {
			n += v
		}
	}
	assert.Equal(t, float64(maxLabelSeries+500), n, "every attempt is in some series")
}
