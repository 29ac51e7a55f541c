package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
)

// mixedScenario probes the embedded mock live at a constant rate, finds its limits in virtual
// time, and compares two strategies live and simulated: every kind of phase in one run.
const mixedScenario = `name: mixed
mock:
  algorithm: token-bucket
  limits:
    requests: {per_minute: 600, burst: 5}
    input_tokens: {per_minute: 0}
    output_tokens: {per_minute: 0}
phases:
  - probe: {rate: 40/s, duration: 250ms}
  - probe: {find: true, mode: sim}
  - compare:
      strategies: [retry-after, {name: client-limiter, params: {rpm: 600}}]
      clients: 4
      requests: 3
      mode: both
seed: 3
`

// TestMixedRun: one run, every kind of phase, one attempt log on one timeline, one report that
// re-renders byte for byte; the key in the environment is sent to the mock and written nowhere.
func TestMixedRun(t *testing.T) {
	s := load(t, mixedScenario)
	o := run(context.Background(), s)
	require.NoError(t, o.err, o.stderr)
	dir := s.Output.Dir
	require.Equal(t, dir, o.res.Dir)
	require.NotNil(t, o.res.Summary)
	assert.Empty(t, o.res.Failed())

	rec := testutil.CompletedRun(t, dir, "run", 3, true)
	var sc struct{ Name string }
	require.NoError(t, json.Unmarshal(rec.Scenario, &sc))
	assert.Equal(t, "mixed", sc.Name)
	var mock account.Config
	require.NoError(t, yaml.Unmarshal(rec.Mock, &mock), "run.json's mock reads back as a mock configuration")
	assert.Equal(t, int64(600), mock.Limits.Requests.PerMinute)
	require.NotEmpty(t, rec.Known)
	assert.Equal(t, record.KnownLimit{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 600, Burst: 5, WindowS: 60}, rec.Known[0])

	var kinds, labels []string
	for i, sg := range rec.Segments {
		if i == 0 || sg.Kind != kinds[len(kinds)-1] {
			kinds = append(kinds, sg.Kind)
		}
		if sg.Kind != "find" {
			labels = append(labels, sg.Label)
		}
		if i > 0 {
			assert.GreaterOrEqual(t, sg.StartS, rec.Segments[i-1].EndS-1e-9, "segment %s starts after %s ends", sg.Label, rec.Segments[i-1].Label)
		}
		assert.GreaterOrEqual(t, sg.EndS, sg.StartS, sg.Label)
	}
	assert.Equal(t, []string{"probe", "find", "compare"}, kinds)
	assert.Equal(t, []string{"probe-1", "retry-after/live/4", "retry-after/sim/4", "client-limiter/live/4", "client-limiter/sim/4"}, labels)

	recs := attempts(t, dir)
	require.Len(t, recs, int(o.res.Summary.Totals.Attempts))
	assert.Equal(t, "probe-1", recs[0].Run)
	var probeN int
	var last time.Duration
	for _, a := range recs {
		if a.Run == "probe-1" {
			probeN++
		}
		if strings.HasPrefix(a.Run, "find-") || strings.Contains(a.Run, "/") {
			assert.GreaterOrEqual(t, a.Scheduled, last, "%s scheduled before the previous phase ended", a.Run)
		}
		if a.Run == "probe-1" {
			last = max(last, a.End())
		}
	}
	assert.Equal(t, 10, probeN, "40/s for 250 ms")

	sum := o.res.Summary
	require.Len(t, sum.Strategies, 4)
	assert.False(t, sum.Partial)
	require.NotEmpty(t, sum.Limits)
	assert.Equal(t, "requests", sum.Limits[0].Dimension)
	testutil.AssertRerender(t, dir)

	for _, f := range []string{report.MarkdownFile, report.CSVFile, "timeline.png"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	assert.Contains(t, o.stdout, "Key findings:")
	assert.Contains(t, o.stdout, "Simulation vs live")
	assert.Contains(t, o.stdout, "Report: "+filepath.Join(dir, report.MarkdownFile))
	assert.Contains(t, o.stderr, "[phase 1/3] probe constant (live): 10 HTTP attempts")
	assert.Contains(t, o.stderr, "[phase 2/3] probe find (sim)")
	assert.Contains(t, o.stderr, "[4/4] client-limiter sim ×4")
	assert.Regexp(t, `\[2/4\] retry-after sim ×4: \d+/\d+ requests ok, \d+ simulated attempts \(\d+ 429s\), [\d.]+ s of virtual time in`, o.stderr)
	// The recommendation is the terminal's last line (issue 13, item 15).
	lines := strings.Split(strings.TrimSpace(o.stdout), "\n")
	assert.Equal(t, "Recommendation: "+sum.Recommendation, lines[len(lines)-1])
	assert.Regexp(t, `^Use [a-z-]+; pace all clients sharing the key at about [\d,.]+ requests/min in total\.$`, sum.Recommendation)
	testutil.AssertNoSecret(t, "SECRET", dir, o.stdout, o.stderr)
}

// TestBudgetAcrossPhases: max_requests bounds the whole run, phases included: the segments it
// never reaches are left out of run.json, and a run stopped by its budget is complete.
func TestBudgetAcrossPhases(t *testing.T) {
	s := load(t, `mock: {limits: {requests: {per_minute: 600, burst: 10}}}
phases:
  - probe: {rate: 20/s, duration: 5s, mode: sim}
  - compare: {strategies: [full-jitter, exponential], clients: 10, requests: 10, mode: sim}
budget: {max_requests: 150}
`)
	o := run(context.Background(), s)
	require.NoError(t, o.err, o.stderr)
	rec, err := record.ReadRun(s.Output.Dir)
	require.NoError(t, err)
	assert.Equal(t, "budget.max_requests 150 reached", rec.StopReason, "a scenario file names its field")
	assert.False(t, rec.Partial)
	require.Len(t, rec.Segments, 2, "the probe and the first segment; the second never started")
	assert.Equal(t, "full-jitter/sim/10", rec.Segments[1].Label)
	assert.Equal(t, int64(150), o.res.Summary.Totals.Attempts)
	assert.Len(t, attempts(t, s.Output.Dir), 150)
}

// TestPlanProblems: what only the engines can refuse is a scenario problem naming the field,
// reported before anything starts.
func TestPlanProblems(t *testing.T) {
	s := load(t, "mock:\nphases:\n  - compare: {strategies: [none], clients: 50, max_inflight: 10}\n")
	o := run(context.Background(), s)
	var se *strictyaml.Error
	require.ErrorAs(t, o.err, &se)
	assert.Equal(t, "phases[0].compare.max_inflight: 10 is below the 50 live clients: each live client holds one attempt in flight; raise max_inflight", se.Error())
	assert.NoDirExists(t, s.Output.Dir)
}

// TestThresholds: thresholds are evaluated into summary.json and report.md; Failed lists the
// failures.
func TestThresholds(t *testing.T) {
	const base = `mock: {limits: {requests: {per_minute: 600, burst: 10}}}
phases:
  - compare: {strategies: [retry-after], clients: 10, requests: 5, mode: sim}
expect:
  strategies:
    retry-after: {failed: 0, amplification: %s}
`
	tests := []struct {
		name   string
		cond   string
		failed int
	}{
		{"pass", `"< 100"`, 0},
		{"fail", `"< 1"`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, fmt.Sprintf(base, tt.cond))
			o := run(context.Background(), s)
			require.NoError(t, o.err, o.stderr)
			assert.Len(t, o.res.Failed(), tt.failed)
			require.Len(t, o.res.Summary.Thresholds, 2)
			md, err := os.ReadFile(filepath.Join(s.Output.Dir, report.MarkdownFile))
			require.NoError(t, err)
			assert.Contains(t, string(md), "## Thresholds")
			assert.Equal(t, tt.failed > 0, strings.Contains(string(md), "**FAIL** retry-after (sim, 10 clients) amplification"))
			assert.Contains(t, o.stdout, "Thresholds:")
			rec, err := record.ReadRun(s.Output.Dir)
			require.NoError(t, err)
			assert.Contains(t, string(rec.Thresholds), `"amplification"`)
		})
	}
}

// TestStartMock: the embedded mock listens on a loopback port, keeps budgets per key and stops
// once however often it is told to.
func TestStartMock(t *testing.T) {
	cfg := account.DefaultConfig()
	cfg.Limits.Requests.PerMinute = 1
	tg := &target{mock: &cfg}
	require.NoError(t, tg.startMock(context.Background(), 1))
	base := tg.cfg.URL
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	client := &http.Client{Transport: &http.Transport{}}
	for _, want := range []int{200, 429} {
		res, err := client.Post(base+"/v1/messages", "application/json", strings.NewReader(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}]}`))
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, want, res.StatusCode)
	}
	client.CloseIdleConnections()
	tg.stopMock()
	tg.stopMock() // safe twice
	_, err := client.Get(base + "/healthz")
	assert.Error(t, err, "stopped")

	cfg.Window = time.Second
	bad := &target{mock: &cfg}
	assert.ErrorContains(t, bad.startMock(context.Background(), 1), "limits.requests.window")
}

// TestResolveTarget: the key comes from the variable the scenario names, never into run.json;
// the errors name the variable, never a key.
func TestResolveTarget(t *testing.T) {
	env := func(k string) string {
		if k == "MY_KEY" {
			return fakeKey
		}
		return ""
	}
	tests := []struct {
		name    string
		src     string
		want    record.Target
		wantErr string
	}{
		{"real API with its default variable unset", "target: {url: 'https://api.anthropic.com', model: m}\n", record.Target{},
			"target.key_env ANTHROPIC_API_KEY: the variable is not set: export your API key there"},
		{"named variable", "target: {url: 'https://api.anthropic.com', model: m, key_env: MY_KEY}\n",
			record.Target{API: "anthropic", URL: "https://api.anthropic.com/v1/messages", Model: "m", Method: "POST", KeyEnv: "MY_KEY"}, ""},
		{"named variable unset on the mock's http endpoint", "mock:\ntarget: {api: http, key_env: NOPE}\n", record.Target{},
			"target.key_env NOPE: the variable is not set: export your API key there"},
		{"the mock without a key", "mock:\n", record.Target{API: "anthropic", URL: "mock", Model: "claude-sonnet-4-5", Method: "POST"}, ""},
		{"http without a key", "target: {url: 'http://127.0.0.1:9/x'}\n", record.Target{API: "http", URL: "http://127.0.0.1:9/x", Method: "GET"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, tt.src)
			tg, err := resolveTarget(s, env)
			if !testcheck.ErrEqual(t, err, tt.wantErr) {
				return
			}
			assert.Equal(t, tt.want, tg.record)
		})
	}
}

// TestRemoteNeedsConfirmation: without a terminal, a run that may send more than 20 requests
// to a non-loopback host is refused before anything starts; a smaller one is capped.
func TestRemoteNeedsConfirmation(t *testing.T) {
	s := load(t, "target: {url: 'https://api.example.invalid', model: m, key_env: MY_KEY}\nphases:\n  - probe: {rate: 1/s, duration: 30s}\n")
	o := run(context.Background(), s)
	var ce *ConfigError
	require.ErrorAs(t, o.err, &ce)
	assert.Contains(t, ce.Error(), "pass --yes")
	assert.Contains(t, ce.Error(), "api.example.invalid")
	assert.NoDirExists(t, s.Output.Dir, "nothing was started")
	testutil.AssertNoSecret(t, "SECRET", "", o.stdout, o.stderr, o.err.Error())

	s = load(t, "target: {url: 'https://api.example.invalid', model: m, key_env: MY_KEY}\nphases:\n  - probe: {rate: 1/s, duration: 5s}\n")
	tg, err := resolveTarget(s, func(string) string { return fakeKey })
	require.NoError(t, err)
	phases, err := planPhases(s)
	require.NoError(t, err)
	r := &runState{s: s, phases: phases, tg: tg}
	require.NoError(t, r.confirm(context.Background()))
	assert.Equal(t, int64(probe.RemoteFreeRequests), r.budget.Unconfirmed, "5 requests go unconfirmed, capped at 20")
}

// countingServer answers every request after 20 ms and calls at(n) with the request's number.
func countingServer(t *testing.T, at func(n int64)) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at(n.Add(1))
		time.Sleep(20 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}
