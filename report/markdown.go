package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// WriteMarkdown writes report.md: run facts, key findings, tables, charts (relative links, and
// why any was left out), recommendations and the resolved scenario. It depends only on its
// arguments, so the same run and summary give the same bytes.
func WriteMarkdown(w io.Writer, run *record.Run, s *summary.Summary, charts []Chart) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# ratelab report: %s against %s\n\n", dash(run.Command), targetProse(run))

	b.WriteString("## Run\n\n")
	facts := table{header: []string{"", ""}, right: []bool{false, false}}
	add := func(k, v string) { facts.rows = append(facts.rows, []string{k, v}) }
	add("Target", targetFact(run))
	add("Command", dash(run.Command))
	if name := scenarioName(run.Scenario); name != "" {
		add("Scenario", name)
	}
	add("Seed", fmt.Sprint(run.Seed))
	add("Tool version", dash(run.ToolVersion))
	if !run.Started.IsZero() {
		add("Started", run.Started.UTC().Format(time.RFC3339))
	}
	for _, f := range durationFacts(run) {
		add(f[0], f[1])
	}
	outcome := "complete"
	if run.Partial {
		outcome = "**partial**"
	}
	if run.StopReason != "" {
		outcome += " (" + run.StopReason + ")"
	}
	add("Outcome", outcome)
	facts.markdown(&b)
	for _, n := range run.Notes {
		fmt.Fprintf(&b, "\n> %s\n", n)
	}

	b.WriteString("\n## Key findings\n\n")
	bullets(&b, s.Findings, "Nothing to report: the run recorded no attempts.")
	thresholdsMarkdown(&b, s.Thresholds)

	b.WriteString("\n## Totals\n\n")
	totalsTable(s.Totals).markdown(&b)
	b.WriteString("\n" + totalsNote(s.Totals) + "\n")

	if s.Observed != nil {
		tb := observedTable(s.Observed)
		fmt.Fprintf(&b, "\n## %s\n\n", tb.title)
		tb.markdown(&b)
		b.WriteString("\n" + strings.Join(tb.notes, " ") + "\n")
	}

	for i, tb := range []table{limitsTable(s, true), bindingTable(s), strategiesTable(s, true)} {
		fmt.Fprintf(&b, "\n## %s\n\n", tb.title)
		if len(tb.rows) == 0 {
			b.WriteString(emptyReason(i, s) + "\n")
			continue
		}
		tb.markdown(&b)
		if len(tb.notes) > 0 {
			b.WriteString("\n")
			bullets(&b, tb.notes, "")
		}
		if i == 0 {
			var ev []string
			for _, l := range s.Limits {
				if l.Evidence != "" {
					ev = append(ev, fmt.Sprintf("%s: %s", l.Dimension, l.Evidence))
				}
			}
			if len(ev) > 0 {
				b.WriteString("\nEvidence:\n\n")
				bullets(&b, ev, "")
			}
		}
		if i == 2 {
			b.WriteString("\n" + strategiesNote(s) + "\n")
		}
	}

	streamingMarkdown(&b, s)
	PlanMarkdown(&b, s)

	b.WriteString("\n## Charts\n")
	var omitted []string
	for _, c := range charts {
		if c.Omitted != "" {
			omitted = append(omitted, fmt.Sprintf("`%s` left out: %s.", c.File, c.Omitted))
			continue
		}
		fmt.Fprintf(&b, "\n![%s](%s)\n", c.Title, c.File)
		if c.Note != "" {
			fmt.Fprintf(&b, "\n*%s* %s\n", c.File, c.Note)
		}
	}
	if len(omitted) > 0 {
		b.WriteString("\n")
		bullets(&b, omitted, "")
	}

	b.WriteString("\n## Recommendations\n\n")
	fmt.Fprintf(&b, "**%s**\n\n", s.Recommendation)
	bullets(&b, recommendations(run, s, s.Totals.WithHeaders > 0), "")

	heading, doc := "Resolved scenario", run.Scenario
	if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "null" {
		heading, doc = "Run configuration", runConfiguration(run)
	}
	fmt.Fprintf(&b, "\n## %s\n\n", heading)
	if y, err := jsonToYAML(doc); err == nil {
		fmt.Fprintf(&b, "```yaml\n%s```\n", y)
	} else {
		var ind bytes.Buffer
		if json.Indent(&ind, doc, "", "  ") != nil {
			ind.Reset()
			ind.Write(doc)
		}
		fmt.Fprintf(&b, "```json\n%s\n```\n", ind.String())
	}
	_, err := w.Write(b.Bytes())
	return err
}

// totalsTable is the Totals section: one row per mode (live HTTP attempts, simulated ones) and
// their sum when the run had both.
func totalsTable(t summary.Totals) table {
	tb := table{
		header: []string{"", "attempts", "ok", "429", "overloaded", "errors", "held back", "requests", "input tokens", "output tokens"},
		right:  []bool{false, true, true, true, true, true, true, true, true, true},
	}
	add := func(label string, m summary.ModeTotals) {
		tb.rows = append(tb.rows, []string{label, count(m.Attempts), count(m.OK), count(m.RateLimited), count(m.Overloaded),
			count(m.Errors), count(m.ClientRejected), count(m.Requests), count(m.InputTokens), count(m.OutputTokens)})
	}
	for _, m := range t.ByMode {
		label := "live (HTTP)"
		if m.Mode == record.ModeSim {
			label = "simulated"
		}
		add(label, m)
	}
	if len(t.ByMode) != 1 {
		add("total", summary.ModeTotals{Attempts: t.Attempts, OK: t.OK, RateLimited: t.RateLimited, Overloaded: t.Overloaded,
			Errors: t.Errors, ClientRejected: t.ClientRejected, Requests: t.Requests, InputTokens: t.InputTokens, OutputTokens: t.OutputTokens})
	}
	return tb
}

// strategiesNote explains the Strategies table's figures and units.
func strategiesNote(s *summary.Summary) string {
	note := "Latency is the completion latency of succeeded logical requests, from the request's scheduled time to the end of its final attempt; quantiles are nearest-rank from a log-bucketed histogram (within 0.4%). " +
		"Amplification is attempts per logical request; goodput is succeeded requests per second of makespan; fairness is Jain's index over the clients' goodput (1 = equal shares). " +
		"Peak attempts counts the attempts sent in the busiest whole second; peak retries the retries sent in the busiest 100 ms, where synchronized retry waves show."
	switch live, sim := hasMode(s, record.ModeLive), hasMode(s, record.ModeSim); {
	case live && sim:
		note += " Rows in live mode count HTTP attempts and wall-clock seconds; rows in sim mode count simulated attempts and seconds of virtual time."
	case sim:
		note += " Every row is simulated: attempts made in virtual time, none sent over the network, and seconds of virtual time."
	case live:
		note += " Attempts are HTTP requests; seconds are wall-clock time."
	}
	return note
}

// hasMode reports whether any strategy entry ran in mode.
func hasMode(s *summary.Summary, mode string) bool {
	return slices.ContainsFunc(s.Strategies, func(st summary.Strategy) bool { return st.Mode == mode })
}

// totalsNote explains the Totals table's rows and the load generator's lag.
func totalsNote(t summary.Totals) string {
	var parts []string
	for _, m := range t.ByMode {
		if m.Mode == record.ModeSim {
			parts = append(parts, "*simulated*: attempts made in virtual time against the mock's model, nothing sent over the network")
		} else {
			parts = append(parts, "*live (HTTP)*: requests sent over the network")
		}
	}
	parts = append(parts, "*held back*: attempts a client-side strategy refused to send")
	note := capitalize(strings.Join(parts, "; ")) + "."
	if t.Late > 0 || t.Dropped > 0 || t.LiveAttempts > 0 {
		note += fmt.Sprintf(" The load generator sent %s attempt%s more than 10 ms behind schedule and left %s scheduled attempt%s unsent (from run.json).",
			count(t.Late), plural(t.Late), count(t.Dropped), plural(t.Dropped))
	}
	return note
}

func bullets(b *bytes.Buffer, items []string, empty string) {
	if len(items) == 0 && empty != "" {
		b.WriteString(empty + "\n")
	}
	for _, it := range items {
		fmt.Fprintf(b, "- %s\n", it)
	}
}

// targetProse names the target in a heading: "the embedded mock", "the simulated mock", both,
// or the URL.
func targetProse(run *record.Run) string {
	switch {
	case run.Target.Simulated && run.Target.Embedded:
		return "the embedded mock (live and simulated)"
	case run.Target.Simulated:
		return "the simulated mock"
	case run.Target.Embedded || run.Target.URL == "mock":
		return "the embedded mock"
	case run.Target.URL != "":
		return run.Target.URL
	}
	return "an unnamed target"
}

func targetFact(run *record.Run) string {
	parts := []string{dash(run.Target.API) + " API", targetProse(run)}
	if run.Target.Model != "" {
		parts = append(parts, "model "+run.Target.Model)
	}
	return strings.Join(parts, ", ")
}

// scenarioName returns the resolved scenario's "name" field, "" when none.
func scenarioName(raw json.RawMessage) string {
	var v struct {
		Name string `json:"name"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.Name
}

// runConfiguration is what run.json says about a run that used no scenario file.
func runConfiguration(run *record.Run) json.RawMessage {
	cfg := struct {
		Command  string              `json:"command"`
		Target   record.Target       `json:"target"`
		Workload record.Workload     `json:"workload"`
		Mock     json.RawMessage     `json:"mock,omitempty"`
		Known    []record.KnownLimit `json:"known_limits,omitempty"`
		Segments []record.Segment    `json:"segments,omitempty"`
	}{run.Command, run.Target, run.Workload, run.Mock, run.Known, run.Segments}
	b, err := json.Marshal(cfg)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}

// jsonToYAML re-encodes a JSON document as block-style YAML, keeping its key order.
func jsonToYAML(doc []byte) (string, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return "", err
	}
	var clear func(*yaml.Node)
	clear = func(n *yaml.Node) {
		n.Style = 0
		for _, c := range n.Content {
			clear(c)
		}
	}
	clear(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}
