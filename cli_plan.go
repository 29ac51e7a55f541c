package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/planner"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/summary"
	"github.com/ratelab/ratelab/workload"
)

const planAbout = `Replays a recorded workload — an attempts.jsonl (any ratelab run, or the proxy's recording) or
a CSV with a header row timestamp,input_tokens,output_tokens[,cache_read_tokens,model,client] —
grown by each --scale factor, against the limits (--limits DIR of a run, --limits PRESET, or the
limit flags), under each retry strategy, in virtual time. Each scale replicates the trace: that
many times its requests over the same span of time, so a daily peak stays as long and grows
taller. Per scale and strategy it reports the share of requests refused at least once, the delay
the limits added (p50/p95/p99), the requests that failed, the binding dimension and the
headroom at the busiest minute; then the largest scale that meets --slo and the strategy that
reaches it. Writes summary.json (plan, plan_max_scale), report.md and two charts.`

// defaultPlanStrategies are the strategies a plan compares when --strategies is not given.
const defaultPlanStrategies = "full-jitter,retry-after,header-pacing"

// planFlags are the flags of `ratelab plan`.
type planFlags struct {
	trace, limits, model, apiName   string
	scales, strategies, slo         string
	arrivals                        string
	inputSize, outputSize, cacheDst string
	out                             string
	seed                            int64
	quiet                           bool
	workers                         int
	mock                            *mockFlags
}

func (f *planFlags) register(fs *flagSet) {
	fs.StringVar(&f.trace, "trace", "", "the recorded workload: an attempts.jsonl or a CSV trace (required)")
	fs.StringVar(&f.limits, "limits", "", "the limits: a run directory (its inferred limits) or a preset NAME[:TIER] such as anthropic:tier-1 (default: the limit flags)")
	fs.StringVar(&f.model, "model", "", "with a preset: the model whose limits apply (default: the preset's fallback class)")
	fs.StringVar(&f.apiName, "api", "anthropic", "the API the requests go to: anthropic or openai (its headers, its token accounting)")
	fs.StringVar(&f.scales, "scale", "1,2,4,8", "growth factors to try, comma-separated, e.g. 1,1.5,2,3")
	fs.StringVar(&f.strategies, "strategies", defaultPlanStrategies, "retry strategies, comma-separated (see ratelab compare --list)")
	fs.StringVar(&f.slo, "slo", planner.DefaultSLO, "what a scale must meet: p50-delay, p95-delay, p99-delay (durations), fail, refused (shares)")
	fs.StringVar(&f.arrivals, "arrivals", "trace", "arrival model: trace (the recorded times), poisson or constant (at the trace's mean rate)")
	fs.StringVar(&f.inputSize, "input-size", "trace", "prompt size: trace, empirical, N, uniform:LO-HI or lognormal:MEDIAN,SIGMA")
	fs.StringVar(&f.outputSize, "output-size", "trace", "output size, in the same forms")
	fs.StringVar(&f.cacheDst, "cache-read-size", "trace", "prompt tokens read from the cache, in the same forms (not charged to input limits)")
	fs.StringVar(&f.out, "out", "", "output directory (default runs/plan-TIMESTAMP)")
	fs.Int64Var(&f.seed, "seed", DefaultSeed, "seed for every random choice: the same seed gives the same plan")
	fs.BoolVar(&f.quiet, "quiet", false, "no table on the terminal")
	fs.IntVar(&f.workers, "workers", 0, "simulations run at once (default: the number of CPUs)")
	f.mock = addMockFlags(fs)
	for n, v := range map[string]string{"trace": "FILE", "limits": "DIR|PRESET", "scale": "LIST", "strategies": "LIST",
		"slo": "SLO", "arrivals": "MODEL", "input-size": "SIZE", "output-size": "SIZE", "cache-read-size": "SIZE", "out": "DIR"} {
		fs.value(n, v)
	}
}

// runPlan is `ratelab plan`.
func runPlan(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("plan", "ratelab plan --trace FILE [--limits DIR|PRESET | limit flags] [flags]", planAbout)
	f := &planFlags{}
	f.register(fs)
	fs.example("a recording grown 1×–8× against a run's inferred limits",
		"ratelab plan --trace runs/rec/attempts.jsonl --limits runs/probe-1 --scale 1,2,4,8")
	fs.example("a CSV exported from your logs against a provider tier, with an SLO",
		"ratelab plan --trace day.csv --limits anthropic:tier-2 --model claude-sonnet-4-5 --slo p95-delay=2s,fail=0.1%")
	fs.example("against given limits, prompts twice as long as recorded",
		"ratelab plan --trace day.csv --rpm 4000 --itpm 2000000 --input-size lognormal:2000,0.7")
	fs.group("Plan", "trace", "limits", "model", "api", "scale", "strategies", "slo", "arrivals", "input-size", "output-size",
		"cache-read-size", "workers")
	fs.group("Run", "out", "seed", "quiet")
	groupMock(fs, "Limits (without --limits)", "Simulated responses")
	if err := parseFlagsNoArgs(env, fs, args); err != nil {
		return err
	}
	o, src, err := f.options(fs)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := planner.Run(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(false)
		}
		return fmt.Errorf("plan: %w", err)
	}
	dir := f.out
	if dir == "" {
		dir = path.Join(scenario.DefaultOutRoot, "plan-"+start.Format("20060102-150405"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plan: create output directory: %w", err)
	}
	s := planSummary(o, res)
	run := &record.Run{Command: "plan", Target: record.Target{URL: f.trace}, Notes: []string{
		fmt.Sprintf("Trace %s: %s requests over %s; limits: %s; arrivals: %s; sizes: input %s, output %s.",
			f.trace, groupInt(o.Trace.Len()), o.Trace.Duration().Round(time.Second), src, o.Replay.Arrivals,
			o.Replay.Input, o.Replay.Output)}}
	if err := report.WritePlan(dir, run, s); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if !f.quiet {
		printPlan(env, s, dir, time.Since(start))
	}
	return nil
}

// options checks the flags and reads the trace and the limits; src names the limits.
func (f *planFlags) options(fs *flagSet) (planner.Options, string, error) {
	var o planner.Options
	if f.trace == "" {
		return o, "", usageErrorf("plan: --trace FILE is required: an attempts.jsonl recording or a CSV trace")
	}
	scales, err := parseScales(f.scales)
	if err != nil {
		return o, "", err
	}
	if o.SLO, err = planner.ParseSLO(f.slo); err != nil {
		return o, "", usageErrorf("--slo: %v", err)
	}
	specs, err := backoff.ParseList(f.strategies)
	if err != nil {
		return o, "", usageErrorf("--strategies: %v (see ratelab compare --list)", err)
	}
	for _, sp := range specs {
		st, err := backoff.New(sp)
		if err != nil {
			return o, "", usageErrorf("--strategies: %v (see ratelab compare --list)", err)
		}
		if slices.ContainsFunc(o.Strategies, func(x planner.Strategy) bool { return x.Label == sp.String() }) {
			return o, "", usageErrorf("--strategies: %s is listed twice", sp)
		}
		o.Strategies = append(o.Strategies, planner.Strategy{Label: sp.String(), S: st})
	}
	var which int
	if o.Replay, which, err = workload.ParseReplaySpec(f.arrivals, f.inputSize, f.outputSize, f.cacheDst); err != nil {
		return o, "", usageErrorf("--%s: %v", [...]string{"arrivals", "input-size", "output-size", "cache-read-size"}[which], err)
	}
	switch a := api.API(f.apiName); a {
	case api.Anthropic, api.OpenAI:
		o.API = a
	default:
		return o, "", usageErrorf("--api %q: want anthropic or openai", f.apiName)
	}
	src := "the limit flags"
	if f.limits != "" {
		for _, name := range f.mock.changed() {
			return o, "", usageErrorf("plan: --%s and --limits both set the limits; give one", name)
		}
		if st, err := os.Stat(f.limits); err == nil && st.IsDir() {
			o.Limits, err = planner.LimitsFromRun(f.limits)
			src = "inferred in " + f.limits
			if err != nil {
				return o, "", usageErrorf("%v", err)
			}
		} else {
			o.Limits, src, err = planner.LimitsFromPreset(f.limits, f.model)
			if err != nil {
				return o, "", usageErrorf("%v (or a run directory)", err)
			}
			src = "preset " + src
		}
	} else if o.Limits, err = f.mock.config(); err != nil {
		return o, "", err
	}
	o.Scales, o.Seed, o.Workers = scales, f.seed, f.workers
	o.Replay.Seed = uint64(f.seed)
	if o.Trace, err = workload.ReadTrace(f.trace); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return o, "", usageErrorf("--trace %s: %v", f.trace, pe.Err)
		}
		return o, "", usageErrorf("--trace: %v", err)
	}
	return o, src, nil
}

// parseScales reads --scale: positive factors, no repeats.
func parseScales(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || !(v > 0) || v > 1e4 {
			return nil, usageErrorf("--scale %q: want growth factors above 0 (at most 10000), comma-separated, e.g. 1,2,4,8", s)
		}
		if slices.Contains(out, v) {
			return nil, usageErrorf("--scale %q: %g is listed twice", s, v)
		}
		out = append(out, v)
	}
	return out, nil
}

// planSummary is a plan's summary.json.
func planSummary(o planner.Options, res *planner.Result) *summary.Summary {
	s := &summary.Summary{Schema: summary.Schema, ToolVersion: Version, Seed: o.Seed, Command: "plan",
		Target: summary.Target{API: string(o.API), Simulated: true}}
	s.Limits, s.Strategies, s.Findings = []summary.Limit{}, []summary.Strategy{}, []string{}
	s.Plan, s.PlanSLO, s.PlanMaxScale, s.PlanBest = res.Entries, res.SLO, res.MaxScale, res.Best
	return s
}

// printPlan prints the plan's table and answer.
func printPlan(env *cliEnv, s *summary.Summary, dir string, took time.Duration) {
	var rows [][]string
	for _, e := range s.Plan {
		head := "—"
		if e.Headroom != nil {
			head = fmt.Sprintf("%+.0f%%", *e.Headroom*100)
		}
		ok := ""
		switch {
		case e.MeetsSLO:
			ok = "✓"
		case e.Stopped != "":
			ok = "✗ stopped early"
		}
		rows = append(rows, []string{strconv.FormatFloat(e.Scale, 'g', -1, 64) + "×", e.Strategy, groupInt(int(e.Requests)),
			fmt.Sprintf("%.1f%%", e.RefusedShare*100), fmt.Sprintf("%.2f%%", e.FailedShare*100),
			fmt.Sprintf("%.2f", e.AddedDelay.P50), fmt.Sprintf("%.2f", e.AddedDelay.P95), fmt.Sprintf("%.2f", e.AddedDelay.P99),
			e.Binding, head, ok})
	}
	_ = report.WriteTable(env.stdout, "Capacity plan (SLO "+s.PlanSLO+")",
		[]string{"scale", "strategy", "requests", "refused", "failed", "p50 s", "p95 s", "p99 s", "binding", "headroom", "SLO"},
		[]bool{true, false, true, true, true, true, true, true, false, true, false}, rows)
	for _, e := range s.Plan {
		if e.Stopped != "" {
			fmt.Fprintln(env.stdout, "Stopped early: the SLO was missed for certain; the figures cover the requests until then (report.md).")
			break
		}
	}
	if s.PlanBest != nil {
		fmt.Fprintf(env.stdout, "\nThe workload fits up to ×%g of its recorded volume with %s.\n", s.PlanBest.Scale, s.PlanBest.Strategy)
	} else {
		fmt.Fprintln(env.stdout, "\nNo tested scale meets the SLO under any strategy.")
	}
	fmt.Fprintf(env.stderr, "ratelab: plan written to %s in %s\n", dir, took.Round(10*time.Millisecond))
}

// groupInt writes n with thousands separators.
func groupInt(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// changed returns the limit flags the user gave.
func (f *mockFlags) changed() []string {
	var out []string
	for _, name := range []string{"rpm", "tpm", "itpm", "otpm", "algorithm", "window", "burst", "config"} {
		if f.fs.Changed(name) {
			out = append(out, name)
		}
	}
	return out
}
