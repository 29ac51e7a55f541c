package main

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/report"
)

// hostOf returns the host (with port) of a URL, or the text itself when it does not parse.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}

// printSegment writes one line per finished segment to stderr: what it did and how long it took
// (virtual and wall time for the simulator).
func (c *comparison) printSegment(i int, sp segmentPlan, res probe.PhaseResult, st probe.Stats, wall time.Duration) {
	who := "open arrivals"
	if sp.clients > 0 {
		who = "×" + strconv.Itoa(sp.clients)
	}
	took := fmt.Sprintf("%.1f s", (res.End - res.Start).Seconds())
	if sp.mode == modeSim {
		took += fmt.Sprintf(" virtual in %.2f s", wall.Seconds())
	}
	line := fmt.Sprintf("[%d/%d] %s %s %s: %d/%d requests ok, %d attempts (%d 429s), %s",
		i+1, len(c.plan.segments()), sp.strategy.Label(), sp.mode, who, res.Succeeded, res.Requests,
		st.Attempts+st.Rejected, st.RateLimited, took)
	if res.StopReason != "" {
		line += " — stopped: " + res.StopReason
	}
	fmt.Fprintln(c.env.stderr, line)
}

// printResults writes the terminal tables (strategies ranked by makespan, with amplification
// and p95), how far simulation and live runs agree when both ran, and where the report is.
func (c *comparison) printResults(s *report.Summary) error {
	w := c.env.stdout
	fmt.Fprintln(w)
	if err := report.PrintTables(w, s); err != nil {
		return err
	}
	if len(c.plan.modes) == 2 {
		fmt.Fprintln(w)
		printAgreement(w, s)
	}
	fmt.Fprintf(w, "\nReport: %s\n", filepath.Join(c.dir, report.MarkdownFile))
	return nil
}

// agreement is one strategy's live and simulated results side by side.
type agreement struct {
	name              string
	clients           int
	liveAtt, simAtt   int64
	liveSpan, simSpan float64
	attDiff, spanDiff float64 // |sim − live| / live
	hasSpan           bool
}

// agreements pairs each strategy's live and simulated entries at the same client count.
func agreements(s *report.Summary) []agreement {
	type key struct {
		name    string
		clients int
	}
	live := map[key]*report.Strategy{}
	for i := range s.Strategies {
		if st := &s.Strategies[i]; st.Mode == modeLive {
			live[key{st.Name, st.Clients}] = st
		}
	}
	var out []agreement
	for i := range s.Strategies {
		sm := &s.Strategies[i]
		l := live[key{sm.Name, sm.Clients}]
		if sm.Mode != modeSim || l == nil {
			continue
		}
		a := agreement{name: sm.Name, clients: sm.Clients, liveAtt: l.Attempts, simAtt: sm.Attempts,
			attDiff: relDiff(float64(sm.Attempts), float64(l.Attempts))}
		if sm.MakespanSeconds != nil && l.MakespanSeconds != nil {
			a.liveSpan, a.simSpan, a.hasSpan = *l.MakespanSeconds, *sm.MakespanSeconds, true
			a.spanDiff = relDiff(a.simSpan, a.liveSpan)
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

// printAgreement writes the sim-versus-live table and its worst differences.
func printAgreement(w io.Writer, s *report.Summary) {
	as := agreements(s)
	if len(as) == 0 {
		return
	}
	fmt.Fprintln(w, "Simulation vs live (same strategy, clients and seed)")
	t := tablewriter.NewWriter(w)
	t.Header("strategy", "clients", "attempts live", "sim", "Δ", "makespan live", "sim", "Δ")
	worstA, worstM := 0.0, 0.0
	for _, a := range as {
		span := []string{"—", "—", "—"}
		if a.hasSpan {
			span = []string{fmt.Sprintf("%.2f s", a.liveSpan), fmt.Sprintf("%.2f s", a.simSpan), pct(a.spanDiff)}
			worstM = max(worstM, a.spanDiff)
		}
		worstA = max(worstA, a.attDiff)
		clients := "open"
		if a.clients > 0 {
			clients = strconv.Itoa(a.clients)
		}
		t.Append(append([]string{a.name, clients, strconv.FormatInt(a.liveAtt, 10), strconv.FormatInt(a.simAtt, 10), pct(a.attDiff)}, span...))
	}
	t.Render()
	fmt.Fprintf(w, "  Simulation and live agree within %s on attempts and %s on makespan.\n", pct(worstA), pct(worstM))
}

// pct formats a ratio as a percentage.
func pct(r float64) string {
	if math.IsInf(r, 0) {
		return "∞%"
	}
	return fmt.Sprintf("%.1f%%", 100*r)
}
