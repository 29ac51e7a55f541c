package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/term"
)

// runFlags are the flags every run command (probe, compare, run) shares.
type runFlags struct {
	out          string
	seed         int64
	quiet        bool
	yes          bool
	maxRequests  int64
	maxDuration  time.Duration
	budgetTokens int64
}

// DefaultSeed is the seed of a run that names none.
const DefaultSeed = 1

func (r *runFlags) register(fs *flagSet) {
	fs.StringVar(&r.out, "out", "", "output directory (default out/"+fs.Name()+"-<timestamp>)")
	fs.Int64Var(&r.seed, "seed", DefaultSeed, "seed for every random choice (same seed, same simulated result)")
	fs.BoolVar(&r.quiet, "quiet", false, "no progress and no tables on the terminal")
	fs.BoolVar(&r.yes, "yes", false, "do not ask before sending more than 20 requests to a non-loopback host")
	fs.Int64Var(&r.maxRequests, "max-requests", 0, "stop after this many HTTP attempts (0: no limit)")
	fs.DurationVar(&r.maxDuration, "max-duration", 0, "stop after this long (0: no limit)")
	fs.Int64Var(&r.budgetTokens, "budget-tokens", 0, "stop after this many tokens consumed, input plus output (0: no limit)")
}

// outDir returns the output directory, creating it: --out, or out/<command>-<timestamp>.
func (r *runFlags) outDir(command string, now time.Time) (string, error) {
	dir := r.out
	if dir == "" {
		dir = fmt.Sprintf("out/%s-%s", command, now.Format("20060102-150405"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create output directory: %w", err)
	}
	return dir, nil
}

// isTerminal reports whether f is an interactive terminal.
func isTerminal(f any) bool {
	if fd, ok := f.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(fd.Fd()))
	}
	return false
}
