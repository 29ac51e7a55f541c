package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/summary"
)

// runReport re-renders a run directory's summary.json, report.md, charts and attempts.csv from its
// run.json and attempts.jsonl, then prints the key findings and tables.
func runReport(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("report", "ratelab report [flags] DIR",
		"Re-renders a run directory's report, summary.json, report.md, PNG charts and attempts.csv, from "+
			"its run.json and attempts.jsonl, then prints the key findings and tables. Every figure comes from "+
			"the attempt log, so the same inputs always give byte-identical summary.json, report.md and "+
			"attempts.csv, an interrupted run's partial report included.")
	quiet := fs.Bool("quiet", false, "print nothing but errors")
	fs.example("re-render the quick start's report and print its findings", "ratelab report out/quickstart")
	fs.example("only rewrite the files", "ratelab report --quiet out/probe-20250101-120000")
	mf := addMergeFlags(fs)
	fs.note("Exit status: 0 done, 1 the files could not be read or written, 2 DIR is not a run directory.")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if mf.merge {
		return runMerge(env, mf, fs.Args(), *quiet)
	}
	switch fs.NArg() {
	case 0:
		return usageErrorf("report: missing DIR, the run directory holding run.json and attempts.jsonl (usage: ratelab report DIR)")
	case 1:
	default:
		return usageErrorf("report: one DIR expected, got %d arguments (usage: ratelab report DIR)", fs.NArg())
	}
	dir := fs.Arg(0)
	if err := checkRunDir(dir); err != nil {
		return err
	}
	s, err := report.Generate(dir, report.Options{})
	if err != nil {
		return err
	}
	if *quiet {
		return nil
	}
	return printReport(env, dir, s)
}

// printReport prints a generated report's findings and tables.
func printReport(env *cliEnv, dir string, s *summary.Summary) error {
	w := env.stdout
	for _, f := range s.Findings {
		fmt.Fprintf(w, "- %s\n", f)
	}
	fmt.Fprintln(w)
	if err := report.PrintTables(w, s); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nReport: %s\n", filepath.Join(dir, report.MarkdownFile))
	return nil
}

// checkRunDir turns a missing directory or input file into a usage error naming it.
func checkRunDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageErrorf("report: directory %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("report: %w", err)
	case !st.IsDir():
		return usageErrorf("report: %s is not a directory (want a run directory holding run.json and attempts.jsonl)", dir)
	}
	for _, f := range []string{"run.json", record.AttemptsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); errors.Is(err, fs.ErrNotExist) {
			return usageErrorf("report: %s is missing: %s is not a ratelab run directory (it needs run.json and %s)",
				filepath.Join(dir, f), dir, record.AttemptsFile)
		}
	}
	return nil
}
