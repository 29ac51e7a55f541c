package main

import (
	"context"

	"github.com/ratelab/ratelab/internal/strictyaml"
)

const runAbout = `Runs a scenario: a YAML file, or a bundled scenario by name (ratelab scenarios lists them;
default quickstart). Its phases (probe, compare) run in order against its target, the embedded
mock or a real API with the key from the environment variable the file names, into one output
directory: run.json, attempts.jsonl, summary.json, report.md, charts and attempts.csv. Thresholds
in the file's expect: section are checked against the results, printed and marked in the report.
The flags override the file.`

// runRun is `ratelab run [SCENARIO]`.
func runRun(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("run", "ratelab run [SCENARIO] [flags]", runAbout)
	var rf runFlags
	rf.register(fs, "the scenario's output.dir, or out/<name>")
	fs.example("the quick start: find the embedded mock's limits, then race five strategies (under a minute)",
		"ratelab run")
	fs.example("a bundled scenario, only the report",
		"ratelab run no-headers --quiet")
	fs.example("your own file, copied from a bundled one and edited",
		"ratelab scenarios quickstart > mine.yaml && ratelab run mine.yaml --out out/today --seed 7")
	fs.note("An invalid scenario exits 2 with every problem as file:line:column: field: message; every field is "+
		"documented in scenarios/README.md. "+failuresNote, exitNote)
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	arg := "quickstart"
	switch fs.NArg() {
	case 0:
	case 1:
		arg = fs.Arg(0)
	default:
		return usageErrorf("run: want at most one SCENARIO, got %d arguments (see 'ratelab run --help')", fs.NArg())
	}
	s, err := loadScenario(arg)
	if err != nil {
		return runScenarioError(err)
	}
	if err := s.Apply(rf.overrides()); err != nil {
		return runScenarioError(err)
	}
	shard, stop, err := rf.runOptions(env)
	if err != nil {
		return err
	}
	defer stop()
	return execute(ctx, env, s, "run", nil, shard)
}

// runScenarioError maps a scenario that does not load to exit 2, one problem per line.
func runScenarioError(err error) error {
	if se, ok := err.(*strictyaml.Error); ok {
		return scenarioError("run", se, nil)
	}
	return usageErrorf("run: %v", err)
}
