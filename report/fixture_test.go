package report

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// fixture describes a small deterministic run written by the tests: a token bucket (rate per
// second, burst) served either open-model probe traffic or closed-model compare clients.
type fixture struct {
	command    string
	mode       string
	dialect    ratelimit.Dialect
	strategies []string
	fleets     []int
	perClient  int     // logical requests per client (compare)
	rate       float64 // bucket refill per second
	burst      float64
	errorRate  float64 // share of admitted attempts answered 500
	rejectRate float64 // share of retries a client-side strategy holds back (client_rejected)
	probeSecs  float64 // probe: ramp duration, 1/s to 4×rate
	stopFrac   float64 // partial run: keep only this share of the attempts, then a truncated line
	known      bool    // record the bucket in run.json known_limits
	scenario   string  // resolved scenario JSON, "" for none
	seed       uint64
	inferred   infer.Result // the inference the golden tests render (fixed, so goldens do not move with infer)
}

// fixedInference stands in for infer in the golden tests.
type fixedInference struct{ res infer.Result }

func (f fixedInference) Add(*record.Attempt)  {}
func (f fixedInference) Result() infer.Result { return f.res }

func fp(x float64) *float64 { return &x }

// bucket is the fixture's token bucket; time is passed in.
type bucket struct{ rate, burst, tokens, last float64 }

func (b *bucket) allow(t float64) bool {
	b.tokens = math.Min(b.burst, b.tokens+(t-b.last)*b.rate)
	b.last = t
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

func (b *bucket) state(t float64) ratelimit.State {
	tok := math.Min(b.burst, b.tokens+(t-b.last)*b.rate)
	return ratelimit.State{Limit: int64(b.burst), Remaining: int64(math.Floor(tok)),
		Reset:     time.Duration((b.burst - tok) / b.rate * float64(time.Second)).Round(time.Millisecond),
		ResetKind: ratelimit.ResetRFC3339, Flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
}

// event is a client wanting to send at t.
type event struct {
	t       float64
	due     float64 // when the attempt was scheduled
	client  int
	request int64
	attempt int
	startS  float64
}

// eventBefore orders the fixture's events by time, then by client.
func eventBefore(a, b event) bool {
	return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.client, b.client)) < 0
}

// write generates the run into dir: run.json and attempts.jsonl.
func (f fixture) write(t testing.TB, dir string) { f.writeTapped(t, dir, nil) }

// writeTapped is write with every attempt also passed to tap(run) as the recorder writes it.
func (f fixture) writeTapped(t testing.TB, dir string, tap func(*record.Run) func(*record.Attempt)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(f.seed, 7))
	run := &record.Run{
		Command: f.command, ToolVersion: "0.1.0-test", Seed: int64(f.seed),
		Started:  time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Target:   record.Target{API: "anthropic", URL: "mock", Model: "claude-test", Embedded: true, Simulated: f.mode == record.ModeSim},
		Workload: record.Workload{PromptTokens: 32, MaxTokens: 16, RequestsPerClient: f.perClient, Clients: f.fleets},
	}
	if f.scenario != "" {
		run.Scenario = json.RawMessage(f.scenario)
	}
	if f.known {
		run.Known = []record.KnownLimit{
			{Dimension: "requests", Algorithm: "token-bucket", PerMinute: f.rate * 60, Burst: int64(f.burst), WindowS: 60},
			{Dimension: "output_tokens", Algorithm: "token-bucket", PerMinute: 8000, Burst: 8000, WindowS: 60},
		}
	}
	var atts []record.Attempt
	attempt := func(b *bucket, ev event, phase, strategy string, fleet int) record.Attempt {
		a := record.Attempt{Run: phase, Mode: f.mode, Strategy: strategy, Phase: phase, Fleet: fleet,
			Client: ev.client, Request: ev.request, Number: ev.attempt, Scheduled: secs(ev.due), Sent: secs(ev.t),
			Latency: time.Duration(math.Round(150+100*rng.Float64())) * time.Millisecond, MaxTokens: 16}
		if strategy != "" {
			a.Run = fmt.Sprintf("%s/%s/%d", strategy, f.mode, fleet)
			a.Phase = ""
		}
		switch {
		case !b.allow(ev.t):
			a.Status, a.Latency = 429, 20*time.Millisecond
			a.RetryAfter, a.HasRetryAfter = time.Duration(math.Ceil((1-b.tokens)/b.rate))*time.Second, f.dialect != ratelimit.DialectNone
		case rng.Float64() < f.errorRate:
			a.Status = 500
		default:
			a.Status, a.InputTokens, a.OutputTokens = 200, 30+int64(rng.IntN(5)), 16
		}
		if f.dialect != ratelimit.DialectNone {
			a.Dialect = f.dialect
			a.Limits[ratelimit.Requests] = b.state(ev.t)
			a.Limits[ratelimit.OutputTokens] = ratelimit.State{Limit: 8000, Remaining: 8000 - 16*int64(b.burst-math.Floor(b.tokens)),
				Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
			a.ServerDate, a.HasServerDate = time.Unix(1772366400+int64(math.Floor(ev.t)), 0).UTC(), true
		}
		return a
	}
	end := 0.0
	if f.probeSecs > 0 {
		b := &bucket{rate: f.rate, burst: f.burst, tokens: f.burst}
		// Ramp from 1/s to 4×rate: arrival k at the time the integrated rate reaches k.
		r0, r1 := 1.0, 4*f.rate
		var req int64
		for tt := 0.0; tt < f.probeSecs; {
			req++
			ev := event{t: tt, due: tt, request: req, attempt: 1}
			if rng.IntN(10) == 0 {
				ev.t += 0.015 + 0.01*rng.Float64() // a late start
				run.Late++
			}
			a := attempt(b, ev, "ramp", "", 0)
			a.Final = true
			atts = append(atts, a)
			tt += 1 / (r0 + (r1-r0)*tt/f.probeSecs)
		}
		run.Segments = append(run.Segments, record.Segment{Label: "ramp", Kind: "probe", StartS: 0, EndS: f.probeSecs})
		end = f.probeSecs
	}
	var req int64
	for _, fleet := range f.fleets {
		for _, strategy := range f.strategies {
			start := math.Ceil(end) + 1
			b := &bucket{rate: f.rate, burst: f.burst, tokens: f.burst, last: start}
			q := testcheck.NewQueue(eventBefore)
			for c := range fleet {
				req++
				q.Push(event{t: start, due: start, client: c, request: req, attempt: 1, startS: start})
			}
			issued := make([]int, fleet)
			for q.Len() > 0 {
				ev := q.Pop()
				if strategy == "header-pacing" && ev.attempt >= 1 {
					if st := b.state(ev.t); st.Remaining < 1 {
						ev.t += (1 - (b.tokens + (ev.t-b.last)*b.rate)) / b.rate
						ev.t = math.Ceil(ev.t*1e6) / 1e6
					}
				}
				if ev.attempt > 1 && rng.Float64() < f.rejectRate {
					atts = append(atts, record.Attempt{Run: fmt.Sprintf("%s/%s/%d", strategy, f.mode, fleet), Mode: f.mode,
						Strategy: strategy, Fleet: fleet, Client: ev.client, Request: ev.request, Number: ev.attempt,
						Scheduled: secs(ev.due), Sent: secs(ev.t), ClientRejected: true})
					ev.attempt++
					ev.t += 0.5
					ev.due = ev.t
					q.Push(ev)
					continue
				}
				a := attempt(b, ev, "", strategy, fleet)
				done := record.Seconds(a.End())
				retry := a.Status != 200 && ev.attempt < 6
				a.Final = !retry
				atts = append(atts, a)
				end = math.Max(end, done)
				if retry {
					base := 0.5 * math.Pow(2, float64(ev.attempt-1))
					wait := base
					switch strategy {
					case "full-jitter":
						wait = base * rng.Float64()
					case "header-pacing":
						wait = math.Max(0.05, record.Seconds(a.RetryAfter))
					}
					next := ev
					next.attempt++
					next.t = math.Round((done+wait)*1e6) / 1e6
					next.due = next.t
					q.Push(next)
					continue
				}
				issued[ev.client]++
				if issued[ev.client] < f.perClient {
					req++
					q.Push(event{t: done, due: done, client: ev.client, request: req, attempt: 1})
				}
			}
			run.Segments = append(run.Segments, record.Segment{Label: fmt.Sprintf("%s/%s/%d", strategy, f.mode, fleet),
				Kind: "compare", Strategy: strategy, Mode: f.mode, Clients: fleet, StartS: start, EndS: end,
				Params: map[string]any{"base": "500ms", "max_attempts": 6}})
		}
	}
	// The recorder writes an attempt when it completes.
	slices.SortStableFunc(atts, func(x, y record.Attempt) int { return cmp.Compare(x.End(), y.End()) })
	run.DurationS = math.Round(end*1000) / 1000
	// Live time is wall-clock time; a simulated run covers its virtual time in a fraction of it.
	wall := end
	if f.mode == record.ModeSim {
		wall = 0.75
	}
	run.Ended = run.Started.Add(time.Duration(wall * float64(time.Second)))
	run.StopReason = "completed"
	if f.stopFrac > 0 {
		atts = atts[:int(f.stopFrac*float64(len(atts)))]
		run.Partial, run.StopReason, run.Dropped = true, "interrupted", 3
	}
	require.NoError(t, record.WriteRun(dir, run))
	w, err := record.Create(dir)
	require.NoError(t, err)
	if tap != nil {
		w.Tap(tap(run))
	}
	for i := range atts {
		require.NoError(t, w.Write(&atts[i]))
	}
	require.NoError(t, w.Close())
	if f.stopFrac > 0 {
		// An interrupted writer can leave half a line.
		fh, err := os.OpenFile(filepath.Join(dir, record.AttemptsFile), os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		bw := bufio.NewWriter(fh)
		_, err = bw.WriteString(`{"run":"ramp","client":0,"request":99`)
		require.NoError(t, err)
		require.NoError(t, bw.Flush())
		require.NoError(t, fh.Close())
	}
}

// fixtures are the golden cases.
var fixtures = map[string]fixture{
	"probe": {command: "probe", mode: record.ModeLive, dialect: ratelimit.DialectAnthropic,
		rate: 2, burst: 10, probeSecs: 30, known: true, seed: 1,
		inferred: infer.Result{
			Limits: []summary.Limit{
				{Dimension: "requests", AdvertisedPerMinute: fp(600), EffectivePerMinute: fp(119.6), EffectiveLow: fp(116.2),
					EffectiveHigh: fp(123.1), Burst: fp(10), Algorithm: summary.AlgoTokenBucket, Source: summary.SourceBoth,
					Evidence: "Accepted throughput under saturation and the refill of remaining agree within 2%.",
					Gap:      "advertised 600/min, enforced 119.6/min: the sustained rate is 20% of what the headers say"},
				{Dimension: "output_tokens", AdvertisedPerMinute: fp(8000), Algorithm: summary.AlgoUnknown, Source: summary.SourceHeaders,
					Evidence: "No attempt was refused on output tokens."},
			},
			Binding: &summary.Binding{Dimension: "requests", MaxRequestsPerMinute: fp(119.6),
				Explanation: "At 32 input and 16 output tokens per request, requests bind first at 119.6/min."},
			Accounting: summary.Accounting{MeanInputTokens: 31.7, MeanOutputTokens: 16},
			Findings:   []string{"Effective 119.6 requests/min (advertised 600/min), token bucket, burst 10."},
		}},
	"compare-sweep": {command: "compare", mode: record.ModeSim, dialect: ratelimit.DialectAnthropic,
		strategies: []string{"exponential", "full-jitter", "header-pacing"}, fleets: []int{4, 8}, perClient: 5,
		rate: 2, burst: 4, known: true, seed: 2,
		inferred: infer.Result{
			Limits: []summary.Limit{{Dimension: "requests", AdvertisedPerMinute: fp(240), EffectivePerMinute: fp(120),
				EffectiveLow: fp(114), EffectiveHigh: fp(126), Burst: fp(4), Algorithm: summary.AlgoFixedWindow, WindowSeconds: fp(2),
				Source: summary.SourceBehaviour, Evidence: "A fixed window of 4 per 2 s fits the acceptances."}},
			Binding: &summary.Binding{Dimension: "requests", MaxRequestsPerMinute: fp(120)},
		},
		scenario: `{"name":"sweep-test","target":{"api":"anthropic","url":"mock"},"compare":{"strategies":["exponential","full-jitter","header-pacing"],"clients":[4,8],"requests":5}}`},
	"no-headers": {command: "compare", mode: record.ModeLive, dialect: ratelimit.DialectNone,
		strategies: []string{"full-jitter", "sre-adaptive"}, fleets: []int{5}, perClient: 4,
		rate: 3, burst: 3, errorRate: 0.1, rejectRate: 0.3, seed: 3,
		inferred: infer.Result{
			Limits: []summary.Limit{{Dimension: "requests", EffectivePerMinute: fp(180), EffectiveLow: fp(171), EffectiveHigh: fp(189),
				Burst: fp(3), Algorithm: summary.AlgoSlidingWindow, WindowSeconds: fp(1), Source: summary.SourceBehaviour,
				Evidence: "No headers; acceptances fit a sliding window of 3 per second."}},
			Binding: &summary.Binding{Dimension: "requests", MaxRequestsPerMinute: fp(180),
				Explanation: "Without rate-limit headers only the request limit can be measured."},
		}},
	"partial": {command: "run", mode: record.ModeLive, dialect: ratelimit.DialectAnthropic,
		strategies: []string{"retry-after", "exponential"}, fleets: []int{3}, perClient: 6,
		rate: 1, burst: 5, probeSecs: 10, stopFrac: 0.7, known: true, seed: 4},
}

// secs is s seconds as a duration, to the nanosecond.
func secs(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
