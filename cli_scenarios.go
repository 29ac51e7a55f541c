package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ratelab/ratelab/scenarios"
)

// runScenarios lists the bundled scenarios, or prints one of them so it can be copied and edited.
func runScenarios(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("scenarios", "ratelab scenarios [flags] [NAME]",
		"Lists the scenarios bundled with ratelab, one line each. With NAME, prints that scenario's YAML, "+
			"to keep and edit. Every field is documented in scenarios/README.md.")
	check := fs.Bool("check", false, "load and validate every bundled scenario (or NAME) and report problems")
	fs.example("list them", "ratelab scenarios")
	fs.example("copy one, edit it, run it", "ratelab scenarios quickstart > mine.yaml && ratelab run mine.yaml")
	fs.example("validate them all", "ratelab scenarios --check")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageErrorf("scenarios: want at most one NAME, got %d arguments (see 'ratelab scenarios --help')", fs.NArg())
	}
	if fs.NArg() == 1 && !*check {
		data, err := scenarios.Open(fs.Arg(0))
		if err != nil {
			return usageErrorf("scenarios: %v", err)
		}
		_, err = env.stdout.Write(data)
		return err
	}
	infos, err := scenarios.List()
	if err != nil {
		return err
	}
	if *check {
		return checkScenarios(env, infos, fs.Args())
	}
	width := 0
	for _, in := range infos {
		width = max(width, len(in.Name))
	}
	fmt.Fprintln(env.stdout, "Bundled scenarios (run one with: ratelab run NAME; print its file with: ratelab scenarios NAME):")
	fmt.Fprintln(env.stdout)
	for _, in := range infos {
		fmt.Fprintf(env.stdout, "  %-*s  %s\n", width, in.Name, in.Description)
	}
	return nil
}

// checkScenarios loads every bundled scenario (or the one named) with the real hooks and
// reports each one's problems; any problem is a usage error (exit 2).
func checkScenarios(env *cliEnv, infos []scenarios.Info, names []string) error {
	if len(names) == 1 {
		if _, err := scenarios.Open(names[0]); err != nil {
			return usageErrorf("scenarios: %v", err)
		}
	}
	failed := 0
	for _, in := range infos {
		if len(names) == 1 && strings.TrimSuffix(names[0], ".yaml") != in.Name {
			continue
		}
		if _, err := scenarios.Load(in.Name); err != nil {
			failed++
			fmt.Fprintf(env.stdout, "FAIL %s\n", in.Name)
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintf(env.stdout, "     %s\n", line)
			}
			continue
		}
		fmt.Fprintf(env.stdout, "ok   %s\n", in.Name)
	}
	if failed > 0 {
		return usageErrorf("scenarios: %d bundled scenario(s) do not load", failed)
	}
	return nil
}
