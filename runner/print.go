package runner

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
	"github.com/ratelab/ratelab/report"
)

// printProbePhase writes one line per finished probe phase to stderr: what it did and how long
// it took (virtual and wall time for the simulator).
func (r *runState) printProbePhase(i int, p *probePlan, res probe.PhaseResult, st probe.Stats, stopReason string, wall time.Duration) {
	what := p.shape
	if p.find {
		what = "find"
	}
	line := fmt.Sprintf("[phase %d/%d] probe %s (%s): %s (%d 429s)", i+1, len(r.phases), what, p.mode,
		attemptsOf(p.mode, st.Attempts+st.Rejected), st.RateLimited)
	if p.mode == record.ModeSim {
		line += fmt.Sprintf(", %.2f s of wall-clock time", wall.Seconds())
	} else {
		line += fmt.Sprintf(" in %.1f s", wall.Seconds())
	}
	if stopReason == "" {
		stopReason = res.StopReason
	}
	if stopReason != "" {
		line += " — stopped: " + stopReason
	}
	fmt.Fprintln(r.o.Stderr, line)
}

// printSegment writes one line per finished compare segment to stderr: what it did and how
// long it took (virtual and wall time for the simulator).
func (r *runState) printSegment(j, n int, sp segmentPlan, res probe.PhaseResult, st probe.Stats, wall time.Duration) {
	who := "open arrivals"
	if sp.clients > 0 {
		who = "×" + strconv.Itoa(sp.clients)
	}
	took := fmt.Sprintf("%.1f s", (res.End - res.Start).Seconds())
	if sp.mode == record.ModeSim {
		took += fmt.Sprintf(" of virtual time in %.2f s of wall-clock time", wall.Seconds())
	}
	line := fmt.Sprintf("[%d/%d] %s %s %s: %d/%d requests ok, %s (%d 429s), %s",
		j+1, n, sp.strategy.label, sp.mode, who, res.Succeeded, res.Requests,
		attemptsOf(sp.mode, st.Attempts+st.Rejected), st.RateLimited, took)
	if res.StopReason != "" {
		line += " — stopped: " + res.StopReason
	}
	fmt.Fprintln(r.o.Stderr, line)
}

// attemptsOf counts attempts of a mode: "105 HTTP attempts", "200 simulated attempts".
func attemptsOf(mode string, n int64) string {
	noun := "HTTP attempt"
	if mode == record.ModeSim {
		noun = "simulated attempt"
	}
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// warn says loudly on stderr when the load generator fell behind.
func (r *runState) warn() {
	st := r.spent
	if st.Dropped > 0 {
		fmt.Fprintf(r.o.Stderr, "ratelab: WARNING: the load generator fell behind: %d hits were due but never sent (dropped) because max_inflight attempts were in flight; the achieved rate is below the plan. Raise --max-inflight (max_inflight) or lower the rate.\n",
			st.Dropped)
	}
	if st.Late > 0 {
		fmt.Fprintf(r.o.Stderr, "ratelab: WARNING: %d of %d attempts started more than %s after they were due (a busy machine, or the max_inflight cap reached); each record keeps both times.\n",
			st.Late, st.Attempts, record.LateThreshold)
	}
}

// printResults writes the end of the run to stdout: the probe phases' outcomes, the key
// findings, the limits and strategies tables, how far simulation and live runs agree, the
// thresholds, and where the report is.
func (r *runState) printResults(s *report.Summary) error {
	w := r.o.Stdout
	if r.ranProbe {
		if err := printProbeTotals(w, r.probeStats, r.probeModes()); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s in %s; run described in %s (%s)\n", recordedAttempts(s.Totals),
			filepath.Join(r.dir, record.AttemptsFile), filepath.Join(r.dir, "run.json"), r.rec.StopReason)
	}
	if f := report.KeyFindings(s); len(f) > 0 {
		fmt.Fprintln(w, "\nKey findings:")
		for _, line := range f {
			fmt.Fprintf(w, "- %s\n", line)
		}
	}
	fmt.Fprintln(w)
	if err := report.PrintTables(w, s); err != nil {
		return err
	}
	if err := printAgreement(w, s); err != nil {
		return err
	}
	if len(s.Thresholds) > 0 {
		fmt.Fprintln(w, "\nThresholds:")
		for _, t := range s.Thresholds {
			fmt.Fprintf(w, "  %s\n", t)
		}
	}
	fmt.Fprintf(w, "\nReport: %s\n", filepath.Join(r.dir, report.MarkdownFile))
	// The advice comes last, where the eye lands when the run ends.
	fmt.Fprintf(w, "Recommendation: %s\n", s.Recommendation)
	return nil
}

// recordedAttempts counts the attempt log's records by kind: "1,819 attempts (826 HTTP, 993
// simulated)".
func recordedAttempts(t report.Totals) string {
	n := t.Attempts + t.ClientRejected
	var parts []string
	if t.LiveAttempts > 0 {
		parts = append(parts, fmt.Sprintf("%d HTTP", t.LiveAttempts))
	}
	if t.SimulatedAttempts > 0 {
		parts = append(parts, fmt.Sprintf("%d simulated", t.SimulatedAttempts))
	}
	if t.ClientRejected > 0 {
		parts = append(parts, fmt.Sprintf("%d held back by the strategy", t.ClientRejected))
	}
	out := fmt.Sprintf("%d attempt records", n)
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, ", ") + ")"
	}
	return out
}

// probeModes names the kind of attempts the probe phases made: "HTTP", "simulated", or both.
func (r *runState) probeModes() string {
	live, sim := false, false
	for _, ph := range r.phases {
		if p := ph.probe; p != nil {
			live, sim = live || p.mode != record.ModeSim, sim || p.mode == record.ModeSim
		}
	}
	switch {
	case live && sim:
		return "HTTP and simulated"
	case sim:
		return "simulated"
	}
	return "HTTP"
}

// printProbeTotals prints the totals by outcome (of the probe phases' attempts, which are
// kinds: HTTP, simulated) and the last-seen limit of each dimension.
func printProbeTotals(w io.Writer, st probe.Stats, kinds string) error {
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
		[]string{"total sent", fmt.Sprint(st.Attempts)},
	)
	if err := report.WriteTable(w, "Probe totals ("+kinds+" attempts)", []string{"outcome", "attempts"}, []bool{false, true}, rows); err != nil {
		return err
	}

	var lim [][]string
	for d, s := range st.Limits {
		if !s.Present() {
			continue
		}
		row := []string{ratelimit.Dimension(d).String(), "—", "—", "—"}
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
		_, err := fmt.Fprintln(w, "\nNo rate-limit headers seen.")
		return err
	}
	fmt.Fprintln(w)
	return report.WriteTable(w, fmt.Sprintf("Last-seen limits (%s headers)", st.Dialect),
		[]string{"dimension", "limit", "remaining", "reset in"}, []bool{false, true, true, true}, lim)
}

// Agreement is one strategy's live and simulated results side by side, at one client count.
type Agreement struct {
	Name         string
	Clients      int // 0 for open arrivals
	LiveAttempts int64
	SimAttempts  int64
	LiveMakespan float64 // seconds; valid when HasMakespan
	SimMakespan  float64
	AttemptsDiff float64 // |sim − live| / live
	MakespanDiff float64 // |sim − live| / live
	HasMakespan  bool
}

// Agreements pairs each strategy's live and simulated entries at the same client count.
func Agreements(s *report.Summary) []Agreement {
	type key struct {
		name    string
		clients int
	}
	live := map[key]*report.Strategy{}
	for i := range s.Strategies {
		if st := &s.Strategies[i]; st.Mode == record.ModeLive {
			live[key{st.Name, st.Clients}] = st
		}
	}
	var out []Agreement
	for i := range s.Strategies {
		sm := &s.Strategies[i]
		l := live[key{sm.Name, sm.Clients}]
		if sm.Mode != record.ModeSim || l == nil {
			continue
		}
		a := Agreement{Name: sm.Name, Clients: sm.Clients, LiveAttempts: l.Attempts, SimAttempts: sm.Attempts,
			AttemptsDiff: relDiff(float64(sm.Attempts), float64(l.Attempts))}
		if sm.MakespanSeconds != nil && l.MakespanSeconds != nil {
			a.LiveMakespan, a.SimMakespan, a.HasMakespan = *l.MakespanSeconds, *sm.MakespanSeconds, true
			a.MakespanDiff = relDiff(a.SimMakespan, a.LiveMakespan)
		}
		out = append(out, a)
	}
	return out
}

// relDiff is |a − b| / b (0 when both are 0, +Inf when only b is).
func relDiff(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(a-b) / b
}

// printAgreement writes the sim-versus-live table and its worst differences, when the run has
// both.
func printAgreement(w io.Writer, s *report.Summary) error {
	as := Agreements(s)
	if len(as) == 0 {
		return nil
	}
	var rows [][]string
	worstA, worstM := 0.0, 0.0
	for _, a := range as {
		span := []string{"—", "—", "—"}
		if a.HasMakespan {
			span = []string{fmt.Sprintf("%.2f s", a.LiveMakespan), fmt.Sprintf("%.2f s", a.SimMakespan), pct(a.MakespanDiff)}
			worstM = max(worstM, a.MakespanDiff)
		}
		worstA = max(worstA, a.AttemptsDiff)
		clients := "open"
		if a.Clients > 0 {
			clients = strconv.Itoa(a.Clients)
		}
		rows = append(rows, append([]string{a.Name, clients, strconv.FormatInt(a.LiveAttempts, 10), strconv.FormatInt(a.SimAttempts, 10), pct(a.AttemptsDiff)}, span...))
	}
	fmt.Fprintln(w)
	return report.WriteTable(w, "Simulation vs live (same strategy, clients and seed)",
		[]string{"strategy", "clients", "attempts live", "sim", "Δ", "makespan live", "sim", "Δ"},
		[]bool{false, true, true, true, true, true, true, true}, rows,
		fmt.Sprintf("Simulation and live agree within %s on attempts and %s on makespan.", pct(worstA), pct(worstM)))
}

// pct formats a ratio as a percentage.
func pct(r float64) string {
	if math.IsInf(r, 0) {
		return "∞%"
	}
	return fmt.Sprintf("%.1f%%", 100*r)
}
