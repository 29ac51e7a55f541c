package main

import (
	"fmt"

	"github.com/ratelab/ratelab/report"
)

// mergeFlags are report's flags for merging shard directories.
type mergeFlags struct {
	merge bool
	out   string
}

func addMergeFlags(fs *flagSet) *mergeFlags {
	f := &mergeFlags{}
	fs.BoolVar(&f.merge, "merge", false, "merge the run directories DIR… of one run's shards (--shard) into --out, aligning their clocks by the servers' Date headers, and report on the whole")
	fs.StringVar(&f.out, "out", "", "with --merge: the merged run's directory")
	fs.value("out", "DIR")
	fs.group("Report", "quiet")
	fs.group("Merging shards (ratelab report --merge --out DIR SHARD_DIR…)", "merge", "out")
	fs.example("merge the directories of a run spread over three hosts",
		"ratelab report --merge --out out/merged out/shard-0 out/shard-1 out/shard-2")
	return f
}

// runMerge is `ratelab report --merge --out OUT DIR…`.
func runMerge(env *cliEnv, f *mergeFlags, dirs []string, quiet bool) error {
	if f.out == "" {
		return usageErrorf("report --merge: --out DIR is required: where the merged run goes")
	}
	if len(dirs) < 2 {
		return usageErrorf("report --merge: want two or more shard directories, got %d", len(dirs))
	}
	for _, d := range dirs {
		if err := checkRunDir(d); err != nil {
			return err
		}
		if d == f.out {
			return usageErrorf("report --merge: --out %s is also an input: merge into a new directory", d)
		}
	}
	s, shards, err := report.Merge(f.out, dirs, report.Options{})
	if err != nil {
		return err
	}
	if quiet {
		return nil
	}
	for _, m := range shards {
		clock := "no Date headers"
		if m.Aligned {
			clock = fmt.Sprintf("clock %+.3f s ± %.3f s", m.Clock.Offset.Seconds(), m.Clock.Error.Seconds())
		}
		fmt.Fprintf(env.stdout, "merged %s: %d attempts, +%.3f s, %s\n", m.Dir, m.Attempt, m.Shift.Seconds(), clock)
	}
	fmt.Fprintln(env.stdout)
	return printReport(env, f.out, s)
}
