// Command ratelab finds out what an HTTP API's rate limits really are and which client
// retry/backoff strategy does best against them. It ramps requests at a real API (Anthropic
// Messages, OpenAI chat completions, any HTTP endpoint) or at its bundled mock 429 server, records
// the rate-limit headers of every response, infers the effective limits and compares backoff
// strategies live or in virtual time, and writes tables, a Markdown report with PNG charts, and
// JSON/JSONL/CSV.
//
// This package only parses flags and dispatches; the work lives in probe/, scenario/, report/
// and mockserver/. Only main calls os.Exit; everything else returns errors, so the CLI is tested
// by calling Run with an argument slice.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/ratelab/ratelab/engine"
)

// Version is ratelab's version, recorded in run.json and summary.json.
const Version = "0.1.0"

// Exit codes (README, "Commands").
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitThreshold   = 3
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C stops the run and writes the partial report; a second one, with the
		// default behaviour restored, ends the process at once.
		<-ctx.Done()
		stop()
	}()
	stopProfile := startProfile(os.Getenv("RATELAB_CPUPROFILE"))
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}

// startProfile writes a CPU profile of the whole command to path when it is set (the
// environment variable RATELAB_CPUPROFILE, for bench/sim/run.sh -profile); it returns the
// function that ends it.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ratelab: RATELAB_CPUPROFILE=%s: %v\n", path, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what a command may touch of the outside world.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// isTerminal reports whether stdin/stderr is an interactive terminal.
	stdinTTY, stderrTTY bool
}

func commands() []command {
	return []command{
		{"run", "run a scenario file or a bundled scenario (default: quickstart)", runRun},
		{"probe", "ramp or auto-find against a target; infer its limits", runProbe},
		{"compare", "compare backoff strategies (live, sim, or both)", runCompare},
		{"plan", "replay a recorded workload, grown, against limits: how far does it fit?", runPlan},
		{"mock", "serve the mock API until interrupted", runMock},
		{"presets", "list the provider presets, their tiers and sources", runPresets},
		{"proxy", "record the traffic an application sends through it; infer its limits", runProxy},
		{"report", "re-render a run directory's report from its attempt log", runReport},
		{"scenarios", "list bundled scenarios", runScenarios},
		{"version", "print the version", runVersion},
	}
}

// Run is the whole CLI: it runs args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &cliEnv{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv,
		stdinTTY: isTerminal(stdin), stderrTTY: isTerminal(stderr)}
	return runWithEnv(ctx, env, args)
}

func runWithEnv(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 {
		printUsage(env.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if len(args) > 1 && name == "help" {
			return runWithEnv(ctx, env, []string{args[1], "--help"})
		}
		printUsage(env.stdout)
		return exitOK
	case "-v", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return exitCode(env, c.run(ctx, env, args[1:]))
		}
	}
	fmt.Fprintf(env.stderr, "ratelab: unknown command %q\n\n", name)
	printUsage(env.stderr)
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "ratelab %s: find an API's real rate limits and the backoff strategy that does best against them.\n\n", Version)
	fmt.Fprintln(w, "Usage: ratelab <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  # the quick start: the embedded mock, its limits found, five strategies raced (under a minute)
  ratelab run quickstart

  # find the limits of a mock with Anthropic's Tier 1 limits
  ratelab probe --target mock --find

  # which retry strategy does best for 20 clients sharing a key, simulated
  ratelab compare --clients 20 --requests 10

Run 'ratelab <command> --help' for a command's flags and examples.
Exit status: 0 done, 1 failed, 2 bad flags or scenario, 3 a threshold failed, 130 interrupted.
`)
}

// usageError is bad input on the command line or in a scenario/config file: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// thresholdError is a failed scenario threshold: exit code 3.
type thresholdError struct{ failed []string }

func (e *thresholdError) Error() string {
	return fmt.Sprintf("%d threshold(s) failed", len(e.failed))
}

// interrupted says what an interrupted run left (exit code 130): a partial report, or, when it
// was interrupted before it sent anything (while it asked for confirmation), nothing.
func interrupted(wrote bool) error {
	if wrote {
		return fmt.Errorf("%w; partial results written", engine.ErrInterrupted)
	}
	return fmt.Errorf("%w before anything was sent; nothing written", engine.ErrInterrupted)
}

// errHelpShown means --help was printed: exit code 0.
var errHelpShown = errors.New("help shown")

func exitCode(env *cliEnv, err error) int {
	var ue *usageError
	var te *thresholdError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case errors.Is(err, engine.ErrInterrupted):
		fmt.Fprintf(env.stderr, "ratelab: %v\n", err)
		return exitInterrupted
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "ratelab: %s\n", ue.msg)
		return exitUsage
	case errors.As(err, &te):
		fmt.Fprintf(env.stderr, "ratelab: %s:\n", te.Error())
		for _, f := range te.failed {
			fmt.Fprintf(env.stderr, "  - %s\n", f)
		}
		return exitThreshold
	default:
		fmt.Fprintf(env.stderr, "ratelab: %v\n", err)
		return exitFailure
	}
}
