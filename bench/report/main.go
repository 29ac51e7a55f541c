// Command reportbench measures how fast `ratelab report` renders a large run. It writes a
// synthetic, deterministic run directory (run.json and an attempts.jsonl of N compare attempts
// with Anthropic headers on three dimensions, ~450 bytes a line), then renders it with
// report.Generate and prints the wall time and the process's peak RSS (getrusage).
//
//	go run ./bench/report gen DIR 1000000    # write the log
//	go run ./bench/report render DIR         # render it, print seconds and peak RSS
//
// bench/report/run.sh does both and repeats the render, quoting medians.
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "reportbench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "gen":
		n, err := strconv.Atoi(args[2])
		if err != nil || n <= 0 {
			return fmt.Errorf("gen: attempts %q: want a positive integer", args[2])
		}
		return generate(args[1], n)
	case len(args) == 2 && args[0] == "render":
		start := time.Now()
		if _, err := report.Generate(args[1], report.Options{}); err != nil {
			return err
		}
		wall := time.Since(start)
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return err
		}
		// Linux reports ru_maxrss in kilobytes.
		fmt.Printf("render %.2f s, peak RSS %.0f MB\n", wall.Seconds(), float64(ru.Maxrss)/1024)
		return nil
	}
	return fmt.Errorf("usage: reportbench gen DIR N | reportbench render DIR")
}

var strategies = []string{"exponential", "full-jitter", "equal-jitter", "decorrelated-jitter", "header-pacing"}

// generate writes n attempts: 5 strategies × 2 client counts, each segment 1/10 of the attempts
// at 100 attempts per second against a 50-request bucket, retries with geometric counts.
func generate(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(42, 1))
	run := &record.Run{Command: "compare", ToolVersion: "bench", Seed: 42,
		Started:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Target:   record.Target{API: "anthropic", URL: "mock", Model: "claude-bench", Embedded: true},
		Workload: record.Workload{PromptTokens: 32, MaxTokens: 16, Clients: []int{50, 200}},
		Known:    []record.KnownLimit{{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 3000, Burst: 50, WindowS: 60}},
	}
	w, err := record.Create(dir)
	if err != nil {
		return err
	}
	const rate = 100.0
	perSeg := n / (2 * len(strategies))
	var req int64
	t := 0.0
	written := 0
	for _, fleet := range []int{50, 200} {
		for si, strategy := range strategies {
			count := perSeg
			if fleet == 200 && si == len(strategies)-1 {
				count = n - written // the remainder
			}
			seg := record.Segment{Label: fmt.Sprintf("%s/sim/%d", strategy, fleet), Kind: "compare",
				Strategy: strategy, Mode: record.ModeSim, Clients: fleet, StartS: t}
			attempt := 0
			var a record.Attempt
			for i := 0; i < count; i++ {
				sent := time.Duration(math.Round(t*1e6)) * time.Microsecond
				if attempt == 0 {
					req++
					attempt = 1
					a.Scheduled = sent
				} else {
					a.Scheduled = sent
				}
				ok := rng.Float64() < 0.6 || attempt >= 8 || i == count-1
				a = record.Attempt{Run: seg.Label, Mode: record.ModeSim, Strategy: strategy, Fleet: fleet,
					Client: int(req % int64(fleet)), Request: req, Number: attempt, Scheduled: a.Scheduled, Sent: sent,
					Latency: time.Duration(math.Round(200+300*rng.Float64())) * time.Millisecond, MaxTokens: 16, Dialect: ratelimit.DialectAnthropic,
					ServerDate: time.Unix(1767225600+int64(t), 0).UTC(), HasServerDate: true}
				rem := int64(rng.IntN(50))
				a.Limits[ratelimit.Requests] = ratelimit.State{Limit: 50, Remaining: rem, Reset: time.Duration(50-rem) * 20 * time.Millisecond,
					ResetKind: ratelimit.ResetRFC3339, Flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
				a.Limits[ratelimit.InputTokens] = ratelimit.State{Limit: 30000, Remaining: 30000 - rem*32, Reset: time.Second,
					ResetKind: ratelimit.ResetRFC3339, Flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
				a.Limits[ratelimit.OutputTokens] = ratelimit.State{Limit: 8000, Remaining: 8000 - rem*16, Reset: time.Second,
					ResetKind: ratelimit.ResetRFC3339, Flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
				if ok {
					a.Status, a.InputTokens, a.OutputTokens, a.Final = 200, 30+int64(rng.IntN(5)), 16, true
					attempt = 0
				} else {
					a.Status, a.RetryAfter, a.HasRetryAfter = 429, time.Second, true
					attempt++
				}
				if err := w.Write(&a); err != nil {
					return err
				}
				written++
				t += 1 / rate
			}
			seg.EndS = t
			run.Segments = append(run.Segments, seg)
			t = math.Ceil(t) + 1
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	run.DurationS, run.StopReason = t, "completed"
	run.Ended = run.Started.Add(time.Duration(t * float64(time.Second)))
	return record.WriteRun(dir, run)
}
