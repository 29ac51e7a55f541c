package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/runner"
	"github.com/ratelab/ratelab/scenario"
)

// runFlags are the flags every run command (probe, compare, run) shares.
type runFlags struct {
	fs           *flagSet
	out          string
	seed         int64
	quiet        bool
	yes          bool
	maxRequests  int64
	maxDuration  time.Duration
	budgetTokens int64
	shard        string // --shard i/n (see cli_shard.go)
	startAt      string // --start-at TIME
	metricsAddr  string // --metrics-addr ADDR (see cli_metrics.go)
}

// DefaultSeed is the seed of a run that names none.
const DefaultSeed = scenario.DefaultSeed

func (r *runFlags) register(fs *flagSet, outDefault string) {
	r.fs = fs
	fs.StringVar(&r.out, "out", "", "output directory (default "+outDefault+")")
	fs.Int64Var(&r.seed, "seed", DefaultSeed, "seed for every random choice: the same seed gives the same simulated result")
	fs.BoolVar(&r.quiet, "quiet", false, "no progress line and no tables on the terminal")
	fs.BoolVar(&r.yes, "yes", false, "do not ask before sending more than 20 requests to a non-loopback host")
	fs.Int64Var(&r.maxRequests, "max-requests", 0, "stop after this many HTTP attempts (0: no limit)")
	fs.DurationVar(&r.maxDuration, "max-duration", 0, "stop after this long, e.g. 5m (0: no limit)")
	fs.Int64Var(&r.budgetTokens, "budget-tokens", 0, "stop after this many tokens, input plus output (0: no limit)")
	fs.value("out", "DIR")
	r.registerShard(fs)
	fs.StringVar(&r.metricsAddr, "metrics-addr", "", "serve the run's live counters in Prometheus format at http://ADDR/metrics while it runs, e.g. 127.0.0.1:9464")
	fs.value("metrics-addr", "ADDR")
}

// groupRun shows the run flags under one title.
func groupRun(fs *flagSet) {
	fs.group("Run", "out", "seed", "quiet", "yes", "max-requests", "max-duration", "budget-tokens", "shard", "start-at", "metrics-addr")
}

// overrides returns the run flags the user gave, for a scenario file to take.
func (r *runFlags) overrides() scenario.Overrides {
	var o scenario.Overrides
	for _, f := range []struct {
		flag string
		set  func()
	}{
		{"out", func() { o.Out = &r.out }},
		{"seed", func() { o.Seed = &r.seed }},
		{"quiet", func() { o.Quiet = &r.quiet }},
		{"yes", func() { o.Yes = &r.yes }},
		{"max-requests", func() { o.MaxRequests = &r.maxRequests }},
		{"max-duration", func() { o.MaxDuration = &r.maxDuration }},
		{"budget-tokens", func() { o.BudgetTokens = &r.budgetTokens }},
	} {
		if r.fs.Changed(f.flag) {
			f.set()
		}
	}
	return o
}

// apply sets the run flags on a scenario built from flags: all of them, given or not.
func (r *runFlags) apply(s *scenario.Scenario, command string, now time.Time) {
	s.Seed, s.Yes = r.seed, r.yes
	s.Budget = scenario.Budget{MaxRequests: r.maxRequests, MaxDuration: scenario.Duration(r.maxDuration), BudgetTokens: r.budgetTokens}
	s.Output = scenario.Output{Dir: r.out, Quiet: r.quiet}
	if s.Output.Dir == "" {
		s.Output.Dir = path.Join(scenario.DefaultOutRoot, command+"-"+now.Format("20060102-150405"))
	}
}

// loadScenario loads the SCENARIO argument of `ratelab run` (a file or a bundled name).
func loadScenario(arg string) (*scenario.Scenario, error) { return scenario.LoadArg(arg) }

// executeFlags resolves a scenario built from flags and runs it: a problem is reported against the
// flag that set the field (fields maps scenario fields to flags).
func executeFlags(ctx context.Context, env *cliEnv, s *scenario.Scenario, command string, fields map[string]string, opts ...func(*runner.Options)) error {
	if err := s.Resolve(); err != nil {
		return flagScenarioError(command, err, fields)
	}
	return execute(ctx, env, s, command, fields, opts...)
}

// execute runs a resolved scenario and maps the outcome to the CLI's errors: an interrupt to
// exit 130, a setup or scenario problem to exit 2 (naming the flag, for flags map a field to
// its flag), a failed threshold to exit 3.
func execute(ctx context.Context, env *cliEnv, s *scenario.Scenario, command string, flags map[string]string, opts ...func(*runner.Options)) error {
	o := runner.Options{
		Command: command, Version: Version,
		Stdin: env.stdin, StdinTTY: env.stdinTTY,
		Stdout: env.stdout, Stderr: env.stderr, StderrTTY: env.stderrTTY,
		Getenv: env.getenv,
		FieldName: func(path string) string {
			if name := flagOf(flags, path); name != "" {
				return "--" + name
			}
			return path
		},
	}
	for _, opt := range opts {
		opt(&o)
	}
	res, err := runner.Run(ctx, s, o)
	var ce *runner.ConfigError
	var se *strictyaml.Error
	switch {
	case errors.Is(err, engine.ErrInterrupted):
		return interrupted(res != nil)
	case errors.As(err, &ce):
		if name := flagOf(flags, ce.Field); name != "" {
			ce.Field = "--" + name
			return usageErrorf("%v", ce)
		}
		return usageErrorf("%s: %v", command, ce)
	case errors.As(err, &se):
		return scenarioError(command, se, flags)
	case err != nil:
		return fmt.Errorf("%s: %w", command, err)
	}
	if failed := res.Failed(); len(failed) > 0 {
		return &thresholdError{failed: failed}
	}
	return nil
}

// scenarioError turns an invalid scenario into a usage error listing every problem, one per
// line: "file:line:col: path: message" for a file, "--flag: message" for a field a flag sets.
func scenarioError(command string, se *strictyaml.Error, flags map[string]string) error {
	lines := make([]string, len(se.Problems))
	for i, p := range se.Problems {
		if name := flagOf(flags, p.Path); name != "" {
			lines[i] = "--" + name + ": " + p.Msg
			continue
		}
		lines[i] = p.String()
	}
	if len(lines) == 1 && (flags != nil || strings.HasPrefix(lines[0], "--")) {
		return usageErrorf("%s: %s", command, lines[0])
	}
	return usageErrorf("%s: invalid scenario:\n%s", command, strings.Join(lines, "\n"))
}

// flagOf names the flag that sets the scenario field at path (a field inside it included), or
// "" when flags is nil or no flag does.
func flagOf(flags map[string]string, path string) string {
	for p := path; p != "" && flags != nil; p = parentField(p) {
		if name, ok := flags[p]; ok {
			return name
		}
	}
	return ""
}

// parentField drops the last segment of a field path: "a.b[2]" → "a.b" → "a" → "".
func parentField(p string) string {
	i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
	if i < 0 {
		return ""
	}
	return p[:i]
}

// targetFields maps the scenario fields the target, workload and run flags set to the flags.
var targetFields = map[string]string{
	"target.api": "api", "target.url": "target", "target.model": "model", "target.key_env": "api-key-env",
	"target.method": "method", "target.body": "body",
	"workload.prompt_tokens": "prompt-tokens", "workload.prompt_tokens_spread": "prompt-tokens-spread",
	"workload.max_tokens": "max-tokens", "workload.timeout": "timeout",
	"workload.stream": "stream", "workload.stream_idle_timeout": "stream-idle-timeout",
	"workload.cache_prefix_tokens": "cache-prefix-tokens", "workload.cache_hit_ratio": "cache-hit-ratio",
	"budget.max_requests": "max-requests", "budget.max_duration": "max-duration", "budget.budget_tokens": "budget-tokens",
	"--max-requests": "max-requests", "--max-duration": "max-duration", "--budget-tokens": "budget-tokens",
}

// withFields returns targetFields plus more.
func withFields(more map[string]string) map[string]string {
	out := make(map[string]string, len(targetFields)+len(more))
	for k, v := range targetFields {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// isTerminal reports whether f is an interactive terminal.
func isTerminal(f any) bool {
	if fd, ok := f.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(fd.Fd()))
	}
	return false
}
