package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// TerminalWidth is the width the terminal tables are laid out for.
const TerminalWidth = 100

// table is a titled grid of cells, rendered to a terminal (tablewriter) or as GFM.
type table struct {
	title  string
	header []string
	rows   [][]string
	right  []bool   // right-align column i (numbers)
	notes  []string // sentences printed under the table
}

// limitsTable is advertised vs effective per dimension; the terminal form has shorter headers
// to fit 100 columns.
func limitsTable(s *summary.Summary, full bool) table {
	t := table{
		title:  "Limits",
		header: []string{"dimension", "advertised/min", "effective/min", "interval/min", "burst", "algorithm", "window", "source"},
		right:  []bool{false, true, true, true, true, false, true, false},
	}
	if !full {
		t.header = []string{"dimension", "adv./min", "eff./min", "interval", "burst", "algorithm", "window", "source"}
	}
	num := func(p *float64) string {
		switch {
		case p == nil:
			return "—"
		case full:
			return human(*p)
		}
		return compactF(*p)
	}
	for _, l := range s.Limits {
		interval := "—"
		if l.EffectiveLow != nil && l.EffectiveHigh != nil {
			interval = num(l.EffectiveLow) + "–" + num(l.EffectiveHigh)
		}
		window := "—"
		if l.WindowSeconds != nil {
			window = seconds(*l.WindowSeconds)
		}
		alg := l.Algorithm
		if alg == "" {
			alg = "unknown"
		}
		src := l.Source
		if src == "" {
			src = "—"
		}
		t.rows = append(t.rows, []string{l.Dimension, num(l.AdvertisedPerMinute), num(l.EffectivePerMinute),
			interval, num(l.Burst), alg, window, src})
		if l.Gap != "" {
			t.notes = append(t.notes, fmt.Sprintf("Gap (%s): %s", l.Dimension, l.Gap))
		}
	}
	return t
}

// bindingTable is the dimension that limits the workload first.
func bindingTable(s *summary.Summary) table {
	t := table{title: "Binding constraint", header: []string{"dimension", "max requests/min", "why"},
		right: []bool{false, true, false}}
	if b := s.Binding; b != nil {
		t.rows = append(t.rows, []string{b.Dimension, optHuman(b.MaxRequestsPerMinute), dash(b.Explanation)})
	}
	return t
}

// strategiesTable ranks the strategies within each mode and client count: every request served
// first, then the fewest unserved, then the makespan. The
// terminal form keeps the columns that fit 100 columns; the Markdown form has every metric.
func strategiesTable(s *summary.Summary, full bool) table {
	showMode, showClients := variesMode(s), variesClients(s)
	t := table{title: "Strategies (ranked by share of requests served, then makespan)"}
	if full {
		t.header = []string{"rank", "strategy", "mode", "clients", "requests", "succeeded", "failed", "unfinished", attemptsHeader(s),
			"amplification (attempts/request)", "429s", "makespan (s)", "lower bound (s)", "goodput (requests/s)", "p50 (s)", "p95 (s)", "p99 (s)", "max (s)",
			"fairness (Jain, 0–1)", "peak attempts in 1 s", "peak retries in 100 ms"}
		t.right = []bool{true, false, false, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true}
	} else {
		t.header = []string{"#", "strategy"}
		t.right = []bool{true, false}
		switch {
		case showMode && showClients:
			t.header = append(t.header, "run")
		case showMode:
			t.header = append(t.header, "mode")
		case showClients:
			t.header = append(t.header, "clients")
		}
		if showMode || showClients {
			t.right = append(t.right, false)
		}
		t.header = append(t.header, "ok/req", attemptsHeader(s), "ampl.", "429s", "makespan", "p95")
		t.right = append(t.right, true, true, true, true, true, true)
		if streamed(s) {
			t.header = append(t.header, "ttft p50")
			t.right = append(t.right, true)
		}
	}
	for _, g := range groups(s) {
		for _, st := range g.entries {
			var p50, p95, p99, pmax = "—", "—", "—", "—"
			if st.Latency != nil {
				p50, p95, p99, pmax = human(st.Latency.P50), human(st.Latency.P95), human(st.Latency.P99), human(st.Latency.Max)
			}
			if full {
				clients := "open"
				if st.Clients > 0 {
					clients = count(int64(st.Clients))
				}
				t.rows = append(t.rows, []string{fmt.Sprint(st.Rank), st.Name, dash(st.Mode), clients,
					count(st.Requests), count(st.Succeeded), count(st.Failed), count(st.Unfinished), count(st.Attempts),
					optHuman(st.Amplification), count(st.RateLimited), optHuman(st.MakespanSeconds),
					optHuman(st.MakespanLowerBoundSeconds), optHuman(st.GoodputPerSecond), p50, p95, p99, pmax,
					optHuman(st.Fairness), human(st.PeakAttemptsPerSecond), human(st.PeakRetriesPer100ms)})
				continue
			}
			row := []string{fmt.Sprint(st.Rank), st.Name}
			if showMode || showClients {
				row = append(row, runLabel(st, showMode, showClients))
			}
			makespan := "—"
			if st.MakespanSeconds != nil {
				makespan = span(*st.MakespanSeconds)
			}
			if st.Latency != nil {
				p95 = span(st.Latency.P95)
			}
			row = append(row, compact(st.Succeeded)+"/"+compact(st.Requests), compact(st.Attempts),
				optHuman(st.Amplification), compact(st.RateLimited), makespan, p95)
			if streamed(s) {
				ttft := "—"
				if st.TTFT.V != nil {
					ttft = span(st.TTFT.V.P50)
				}
				row = append(row, ttft)
			}
			t.rows = append(t.rows, row)
		}
		if lb := g.entries[0].MakespanLowerBoundSeconds; lb != nil {
			what := g.entries[0].LowerBoundDimension + " limit"
			if what == WorkersBound+" limit" {
				what = fmt.Sprintf("%s workers, each busy until its reply ended", count(int64(g.entries[0].Clients)))
			}
			t.notes = append(t.notes, fmt.Sprintf("Lower bound (%s): %s for %s requests (%s).",
				g.tag(), g.took(*lb), count(g.entries[0].Succeeded), what))
		}
		for _, st := range g.entries {
			if n := notSucceeded(st); n != "" {
				t.notes = append(t.notes, fmt.Sprintf("%s (%s): %s.", st.Name, g.tag(), n))
			}
		}
	}
	if len(s.Strategies) > 0 && !full {
		t.notes = append(t.notes, "ampl. = attempts per logical request; p95 = completion latency of succeeded requests from their scheduled time.")
	}
	return t
}

// attemptsHeader names the attempts column by what they were: HTTP requests, simulated
// attempts, or both (the mode column then tells).
func attemptsHeader(s *summary.Summary) string {
	switch live, sim := hasMode(s, record.ModeLive), hasMode(s, record.ModeSim); {
	case sim && !live:
		return "sim attempts"
	case live && !sim:
		return "HTTP attempts"
	}
	return "attempts"
}

// runLabel is the mode and client count of an entry ("sim ×50").
func runLabel(st *summary.Strategy, showMode, showClients bool) string {
	var parts []string
	if showMode {
		parts = append(parts, st.Mode)
	}
	if showClients {
		if st.Clients > 0 {
			parts = append(parts, "×"+count(int64(st.Clients)))
		} else {
			parts = append(parts, "open")
		}
	}
	return strings.Join(parts, " ")
}

func variesMode(s *summary.Summary) bool {
	return slices.ContainsFunc(s.Strategies, func(st summary.Strategy) bool { return st.Mode != s.Strategies[0].Mode })
}

func variesClients(s *summary.Summary) bool {
	return slices.ContainsFunc(s.Strategies, func(st summary.Strategy) bool { return st.Clients != s.Strategies[0].Clients })
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// PrintTables writes the terminal tables (limits, binding constraint, strategies) to w, each
// laid out for a 100-column terminal. A table with no rows is replaced by one sentence saying so.
func PrintTables(w io.Writer, s *summary.Summary) error {
	for i, t := range []table{limitsTable(s, false), bindingTable(s), strategiesTable(s, false)} {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := t.renderTerminal(w, emptyReason(i, s)); err != nil {
			return err
		}
	}
	return nil
}

// emptyReason says why table i (limits, binding, strategies) has no rows.
func emptyReason(i int, s *summary.Summary) string {
	switch i {
	case 0:
		return "No limit could be inferred from this run."
	case 1:
		return "No binding constraint could be determined."
	default:
		if s.Command == "probe" {
			return "No strategies were compared (a probe run)."
		}
		return "No strategies were compared in this run."
	}
}

// WriteTable draws a table in the style of the report's terminal tables (PrintTables): title
// above, header as given, columns right-aligned where right says so, at most TerminalWidth
// columns wide, notes wrapped below. Commands use it for their own tables so that every table
// of a run looks alike.
func WriteTable(w io.Writer, title string, header []string, right []bool, rows [][]string, notes ...string) error {
	if len(right) != len(header) {
		return fmt.Errorf("table %q: %d alignments for %d columns", title, len(right), len(header))
	}
	return table{title: title, header: header, right: right, rows: rows, notes: notes}.renderTerminal(w, "(none)")
}

// renderTerminal draws the table with tablewriter, its title above and its notes below.
func (t table) renderTerminal(w io.Writer, empty string) error {
	fmt.Fprintln(w, t.title)
	if len(t.rows) == 0 {
		_, err := fmt.Fprintln(w, "  "+empty)
		return err
	}
	align := make([]tw.Align, len(t.header))
	for i := range align {
		align[i] = tw.AlignLeft
		if t.right[i] {
			align[i] = tw.AlignRight
		}
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithMaxWidth(TerminalWidth),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAutoWrap(tw.WrapNormal),
	)
	tbl.Header(t.header)
	if err := tbl.Bulk(t.rows); err != nil {
		return err
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	for _, n := range t.notes {
		if _, err := fmt.Fprintln(w, wrap(n, TerminalWidth, "  ")); err != nil {
			return err
		}
	}
	return nil
}

// wrap breaks s into lines of at most width runes, each starting with indent.
func wrap(s string, width int, indent string) string {
	var lines []string
	line := indent
	for _, word := range strings.Fields(s) {
		if len([]rune(line))+len([]rune(word))+1 > width && strings.TrimSpace(line) != "" {
			lines = append(lines, strings.TrimRight(line, " "))
			line = indent
		}
		if strings.TrimSpace(line) != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

// markdown writes the table as GitHub-flavoured Markdown (without its title).
func (t table) markdown(w io.Writer) {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	fmt.Fprintf(w, "|")
	for _, h := range t.header {
		fmt.Fprintf(w, " %s |", esc(h))
	}
	fmt.Fprintf(w, "\n|")
	for i := range t.header {
		if t.right[i] {
			fmt.Fprint(w, "---:|")
		} else {
			fmt.Fprint(w, "---|")
		}
	}
	fmt.Fprintln(w)
	for _, r := range t.rows {
		fmt.Fprint(w, "|")
		for _, c := range r {
			fmt.Fprintf(w, " %s |", esc(c))
		}
		fmt.Fprintln(w)
	}
}

// streamed reports whether any strategy entry streamed (its stream figures are written).
func streamed(s *summary.Summary) bool {
	for i := range s.Strategies {
		if s.Strategies[i].TTFT.On {
			return true
		}
	}
	return false
}
