package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/ratelab/ratelab/mockserver"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/backoff"
	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
)

const probeAbout = `Drives requests at a target and records every attempt (scheduled and sent times, status,
usage and the parsed rate-limit headers) in DIR/attempts.jsonl, with DIR/run.json describing the
run. Load is open-model: arrivals follow the rate whatever the responses do; when --max-inflight
binds, late starts and dropped hits are counted and reported, never hidden.

  ratelab probe --target mock --rate 2/s --duration 30s
  ratelab probe --target mock --rpm 300 --stages 30s:5/s,60s:20/s --start-rate 1/s
  ratelab probe --target https://api.anthropic.com --model claude-haiku-4-5 --rate 1/s --duration 1m

--target mock starts the embedded mock on a free loopback port, configured by the mock flags.
Keys come from ANTHROPIC_API_KEY / OPENAI_API_KEY or --api-key-env NAME and are never printed or
written anywhere. Before more than 20 requests go to a non-loopback host, the probe asks for
confirmation (or needs --yes).`

// probeFlags are the flags of `ratelab probe`.
type probeFlags struct {
	run          runFlags
	target       string
	api          string
	model        string
	maxTokens    int64
	promptTokens int64
	spread       float64
	rate         string
	duration     time.Duration
	stages       string
	startRate    string
	find         bool
	maxInflight  int
	timeout      time.Duration
	keyEnv       string
	method       string
	headers      []string
	body         string
	strategy     string

	mock      *mockFlags
	mockNames []string // the flags addMockFlags registered
}

func (f *probeFlags) register(fs *flagSet) {
	fs.StringVar(&f.target, "target", "mock", "mock (the embedded mock server) or the target's URL")
	fs.StringVar(&f.api, "api", "", "anthropic|openai|http (default: inferred from the URL; anthropic for mock)")
	fs.StringVar(&f.model, "model", "", "model to request (default for mock: "+mockModel(probe.APIAnthropic)+"; required for a real API)")
	fs.Int64Var(&f.maxTokens, "max-tokens", probe.DefaultMaxTokens, "the request's max_tokens")
	fs.Int64Var(&f.promptTokens, "prompt-tokens", probe.DefaultPromptTokens, "prompt size in tokens (4 bytes each under the mock's estimator)")
	fs.Float64Var(&f.spread, "prompt-tokens-spread", 0, "relative spread of the prompt size, 0.2 = uniform ±20% per request")
	fs.StringVar(&f.rate, "rate", "", "constant arrival rate, e.g. 20/s, 1200/m, 5/500ms (with --duration)")
	fs.DurationVar(&f.duration, "duration", 0, "how long a --rate run lasts")
	fs.StringVar(&f.stages, "stages", "", "k6-style ramp: DURATION:RATE stages, e.g. 30s:5/s,60s:20/s (linear from the previous rate)")
	fs.StringVar(&f.startRate, "start-rate", "1/s", "rate the first stage ramps from")
	fs.BoolVar(&f.find, "find", false, "find the limits adaptively (the default without --rate/--stages)")
	fs.IntVar(&f.maxInflight, "max-inflight", probe.DefaultMaxInflight, "most attempts in flight at once; beyond it hits start late or are dropped")
	fs.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "per-attempt timeout, from send to the end of the response body")
	fs.StringVar(&f.keyEnv, "api-key-env", "", "environment variable holding the API key (default ANTHROPIC_API_KEY or OPENAI_API_KEY by --api)")
	fs.StringVar(&f.method, "method", "", "HTTP method for --api http (default GET, or POST with --body)")
	fs.StringArrayVar(&f.headers, "header", nil, "extra request header K:V (repeatable)")
	fs.StringVar(&f.body, "body", "", "request body for --api http; @FILE reads it from a file")
	fs.StringVar(&f.strategy, "strategy", "none", "retry strategy of each logical request, e.g. full-jitter(base=1s) (see ratelab compare --list)")
	f.run.register(fs)
	before := map[string]bool{}
	fs.VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	f.mock = addMockFlags(fs)
	fs.VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			f.mockNames = append(f.mockNames, fl.Name)
		}
	})
}

// mockModel is the model requested from the embedded mock when --model is not given.
func mockModel(a probe.API) string {
	if a == probe.APIOpenAI {
		return "gpt-4o-mini"
	}
	return "claude-sonnet-4-5"
}

// probePlan is the load shape of a probe run.
type probePlan struct {
	pacer    probe.Pacer
	duration time.Duration
	phase    string // constant or stages
	workload record.Workload
	note     string // for run.json's notes
	find     bool   // adaptive discovery (cli_find.go) instead of one paced phase
}

// plan checks the load-shape flags and builds the pacer.
func (f *probeFlags) plan() (probePlan, error) {
	switch {
	case f.find || (f.rate == "" && f.stages == ""):
		return f.findPlan()
	case f.rate != "" && f.stages != "":
		return probePlan{}, usageErrorf("probe: give --rate (with --duration) or --stages, not both")
	}
	if f.rate != "" {
		r, err := probe.ParseRate(f.rate)
		if err != nil {
			return probePlan{}, usageErrorf("--rate: %v", err)
		}
		if r.PerSecond() <= 0 {
			return probePlan{}, usageErrorf("--rate %s: want a positive rate such as 20/s", f.rate)
		}
		if f.duration <= 0 {
			return probePlan{}, usageErrorf("--rate %s needs --duration, e.g. --duration 30s", f.rate)
		}
		return probePlan{
			pacer: probe.Constant(r), duration: f.duration, phase: "constant",
			workload: record.Workload{Rate: r.String(), DurationS: f.duration.Seconds()},
		}, nil
	}
	if f.duration != 0 {
		return probePlan{}, usageErrorf("--duration goes with --rate; --stages set their own length")
	}
	stages, err := probe.ParseStages(f.stages)
	if err != nil {
		return probePlan{}, usageErrorf("--stages: %v", err)
	}
	start, err := probe.ParseRate(f.startRate)
	if err != nil {
		return probePlan{}, usageErrorf("--start-rate: %v", err)
	}
	p := probe.Stages(start, stages)
	return probePlan{
		pacer: p, duration: p.Duration(), phase: "stages",
		workload: record.Workload{Stages: probe.FormatStages(stages), DurationS: p.Duration().Seconds()},
		note:     "stages ramp from --start-rate " + start.String(),
	}, nil
}

// parseHeaders reads --header K:V values.
func parseHeaders(hs []string) (http.Header, error) {
	out := http.Header{}
	for _, h := range hs {
		k, v, ok := strings.Cut(h, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, usageErrorf("--header %q: want NAME:VALUE, e.g. --header 'X-Team: probe'", redactHeader(h))
		}
		out.Add(k, strings.TrimSpace(v))
	}
	return out, nil
}

// redactHeader keeps a malformed header's name but never its value, which may be a secret.
func redactHeader(h string) string {
	if len(h) > 24 {
		return h[:8] + "…"
	}
	return h
}

// probeTarget resolves the target flags: the embedded mock or a URL, the API, the key.
type probeTarget struct {
	cfg      probe.TargetConfig
	record   record.Target
	mock     *mockserver.Config
	stopMock func()
}

// resolveTarget resolves the target flags (targetSpec) and starts the embedded mock for
// --target mock.
func (f *probeFlags) resolveTarget(ctx context.Context, env *cliEnv, fs *flagSet) (*probeTarget, error) {
	pt, err := f.targetSpec(env, fs)
	if err != nil {
		return nil, err
	}
	if pt.mock != nil {
		// The mock outlives an interrupt until the probe has finished its grace period.
		if err := pt.startMock(context.WithoutCancel(ctx), f.run.seed); err != nil {
			return nil, err
		}
	}
	return pt, nil
}

// runProbe is `ratelab probe`.
func runProbe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("probe", "ratelab probe [flags]", probeAbout)
	f := &probeFlags{}
	f.register(fs)
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("probe: unexpected argument %q (see 'ratelab probe --help')", fs.Arg(0))
	}
	plan, err := f.plan()
	if err != nil {
		return err
	}
	if f.maxInflight < 1 {
		return usageErrorf("--max-inflight %d: want at least 1", f.maxInflight)
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout %s: want a positive duration such as 60s", f.timeout)
	}
	strat, err := backoff.Resolve(f.strategy)
	if err != nil {
		return usageErrorf("--strategy: %v", err)
	}
	pt, err := f.resolveTarget(ctx, env, fs)
	if err != nil {
		return err
	}
	defer pt.stopMock()
	target, err := probe.NewTarget(pt.cfg)
	if err != nil {
		return usageErrorf("probe: %v", err)
	}
	pt.record.Method = target.Method()
	if pt.record.URL != "mock" {
		pt.record.URL = target.URL()
	}

	// Confirmation before real traffic to a non-loopback host.
	budget := probe.Budget{MaxRequests: f.run.maxRequests, MaxDuration: f.run.maxDuration, Tokens: f.run.budgetTokens}
	most := int64(-1) // retries and discovery make the count open-ended
	if strat.Name() == "none" && !plan.find {
		most = int64(probe.HitsBefore(plan.pacer, plan.duration))
	}
	if m := f.run.maxRequests; m > 0 && (most < 0 || m < most) {
		most = m
	}
	if !probe.IsLoopback(target.Host()) && !f.run.yes {
		if probe.NeedsConfirmation(target.Host(), most) {
			if err := probe.Confirm(env.stdin, env.stderr, env.stdinTTY, target.Host(), most); err != nil {
				return usageErrorf("probe: %v", err)
			}
		} else {
			budget.Unconfirmed = probe.RemoteFreeRequests
		}
	}

	now := time.Now()
	dir, err := f.run.outDir("probe", now)
	if err != nil {
		return err
	}
	out, err := record.Create(dir)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer out.Close()
	run := &record.Run{
		Command: "probe", ToolVersion: Version, Seed: f.run.seed, Started: now, Target: pt.record,
		Partial: true, StopReason: "running",
	}
	run.Workload = plan.workload
	if target.API() != probe.APIHTTP {
		run.Workload.PromptTokens, run.Workload.MaxTokens = f.promptTokens, f.maxTokens
		run.Workload.PromptTokensSpread = f.spread
	}
	if plan.note != "" {
		run.Notes = append(run.Notes, plan.note)
	}
	if pt.mock != nil {
		run.Mock, run.Known = mockRecord(*pt.mock)
	}
	if strat.Name() != "none" {
		run.Notes = append(run.Notes, "retry strategy: "+strat.Label())
	}
	if err := record.WriteRun(dir, run); err != nil {
		return fmt.Errorf("probe: %w", err)
	}

	eng, err := probe.NewEngine(probe.Options{
		Target: target, Records: out, MaxInflight: f.maxInflight, Timeout: f.timeout,
		Budget: budget, Seed: f.run.seed, Start: now,
	})
	if err != nil {
		return err
	}
	stopProgress := func() {}
	if !f.run.quiet && env.stderrTTY {
		expected := plan.duration
		if d := f.run.maxDuration; d > 0 && d < expected {
			expected = d
		}
		stopProgress = eng.Progress(env.stderr, expected)
	}
	if plan.find {
		phaseErr := runFindPhases(ctx, eng, f, run)
		stopProgress()
		return reportFind(env, dir, f.run.quiet, finishProbe(env, eng, out, run, dir, f.run.quiet, phaseErr))
	}
	_, phaseErr := eng.Open(ctx, probe.OpenPhase{
		Label: "probe", Kind: "probe", Phase: plan.phase, Pacer: plan.pacer, Duration: plan.duration,
		Fleet: strat.NewFleet(f.run.seed), Strategy: strategyLabel(strat),
	})
	stopProgress()
	return finishProbe(env, eng, out, run, dir, f.run.quiet, phaseErr)
}

// strategyLabel is the records' strategy field: "" for no retries.
func strategyLabel(s *backoff.Strategy) string {
	if s.Name() == "none" {
		return ""
	}
	return s.Label()
}

// finishProbe is the end of a probe run: flush the attempt log, complete and write run.json,
// show the totals, warn loudly when the generator fell behind, and map an interrupt to its
// exit code. It is the one place the report step belongs.
func finishProbe(env *cliEnv, eng *probe.Engine, out *record.Writer, run *record.Run, dir string, quiet bool, phaseErr error) error {
	closeErr := eng.Close()
	if err := out.Close(); closeErr == nil {
		closeErr = err
	}
	eng.FillRun(run, time.Now())
	if err := record.WriteRun(dir, run); err != nil && closeErr == nil {
		closeErr = err
	}
	st := eng.Stats()
	if !quiet {
		printProbeTotals(env.stdout, st)
		fmt.Fprintf(env.stdout, "\n%d attempts in %s/%s; run described in %s/run.json (%s)\n",
			st.Attempts+st.Rejected, dir, record.AttemptsFile, dir, run.StopReason)
	}
	if st.Dropped > 0 {
		fmt.Fprintf(env.stderr, "ratelab: WARNING: the load generator fell behind: %d hits were due but never sent (dropped) because --max-inflight %d attempts were in flight; the achieved rate is below the plan. Raise --max-inflight or lower the rate.\n",
			st.Dropped, eng.MaxInflight())
	}
	if st.Late > 0 {
		fmt.Fprintf(env.stderr, "ratelab: WARNING: %d of %d attempts started more than %s after they were due (a busy machine, or --max-inflight %d reached); each record keeps both times.\n",
			st.Late, st.Attempts, record.LateThreshold, eng.MaxInflight())
	}
	switch {
	case errors.Is(phaseErr, probe.ErrInterrupted):
		return errInterrupted
	case phaseErr != nil:
		return fmt.Errorf("probe: %w", phaseErr)
	case closeErr != nil:
		return fmt.Errorf("probe: %w", closeErr)
	}
	return nil
}

// mockRecord returns the embedded mock's configuration as run.json holds it, and the limits it
// enforces, known in advance.
func mockRecord(cfg mockserver.Config) (json.RawMessage, []record.KnownLimit) {
	var tree any
	var raw json.RawMessage
	if err := yaml.Unmarshal([]byte(cfg.String()), &tree); err == nil {
		raw, _ = json.Marshal(tree)
	}
	return raw, mockKnownLimits(cfg)
}

// mockKnownLimits lists the limits an embedded mock enforces, per DESIGN.md's mock semantics:
// a window algorithm admits rate × window per window; a bucket holds --burst (default one
// window's quota) and refills at the rate.
func mockKnownLimits(cfg mockserver.Config) []record.KnownLimit {
	dims := []struct {
		name string
		l    mockserver.Limit
	}{
		{"requests", cfg.Limits.Requests}, {"tokens", cfg.Limits.Tokens},
		{"input_tokens", cfg.Limits.InputTokens}, {"output_tokens", cfg.Limits.OutputTokens},
	}
	var out []record.KnownLimit
	for _, d := range dims {
		if d.l.PerMinute <= 0 {
			continue
		}
		alg, window := d.l.Algorithm, d.l.Window
		if alg == "" {
			alg = cfg.Algorithm
		}
		if window == 0 {
			window = cfg.Window
		}
		quota := int64(float64(d.l.PerMinute) * window.Minutes())
		k := record.KnownLimit{
			Dimension: d.name, Algorithm: string(alg), PerMinute: float64(d.l.PerMinute),
			Burst: quota, WindowS: window.Seconds(),
		}
		if d.l.Burst != nil {
			k.Burst = *d.l.Burst
		}
		if a := d.l.Advertise; a != nil {
			k.AdvertisedMin = float64(a.PerMinute)
		}
		out = append(out, k)
	}
	return out
}

// printProbeTotals prints the totals by outcome and the last-seen limit of each dimension.
func printProbeTotals(w io.Writer, st probe.Stats) {
	t := tablewriter.NewWriter(w)
	t.Header("outcome", "attempts")
	rows := [][]string{
		{"2xx", fmt.Sprint(st.OK)},
		{"429 rate limited", fmt.Sprint(st.RateLimited)},
		{"529 overloaded", fmt.Sprint(st.Overloaded)},
		{"other status", fmt.Sprint(st.Other)},
		{"transport error", fmt.Sprint(st.TransportErrors)},
	}
	if st.Rejected > 0 {
		rows = append(rows, []string{"rejected by strategy", fmt.Sprint(st.Rejected)})
	}
	rows = append(rows,
		[]string{"dropped (never sent)", fmt.Sprint(st.Dropped)},
		[]string{"late (> " + record.LateThreshold.String() + ")", fmt.Sprint(st.Late)},
	)
	t.Bulk(rows)
	t.Footer("total sent", fmt.Sprint(st.Attempts))
	t.Render()

	var lim [][]string
	for d, s := range st.Limits {
		if !s.Present() {
			continue
		}
		row := []string{ratelimit.Dimension(d).String(), "-", "-", "-"}
		if s.Has(ratelimit.HasLimit) {
			row[1] = fmt.Sprint(s.Limit)
		}
		if s.Has(ratelimit.HasRemaining) {
			row[2] = fmt.Sprint(s.Remaining)
		}
		if s.Has(ratelimit.HasReset) {
			row[3] = s.Reset.Round(time.Millisecond).String()
		}
		lim = append(lim, row)
	}
	if len(lim) == 0 {
		fmt.Fprintln(w, "\nno rate-limit headers seen")
		return
	}
	fmt.Fprintf(w, "\nlast-seen limits (%s headers):\n", st.Dialect)
	t = tablewriter.NewWriter(w)
	t.Header("dimension", "limit", "remaining", "reset in")
	t.Bulk(lim)
	t.Render()
}
