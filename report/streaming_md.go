package report

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/ratelab/ratelab/summary"
)

// streamingMarkdown writes the Streaming section of report.md: nothing when the run streamed
// nothing.
func streamingMarkdown(b *bytes.Buffer, s *summary.Summary) {
	if s.Streaming == nil {
		return
	}
	b.WriteString("\n## Streaming\n\n")
	t := table{header: []string{"Segment", "Streams", "Completed", "Failed", "TTFT p50", "TTFT p95", "TTFT p99",
		"ITL p50", "Tokens/s p50", "Tokens/s from send p50", "Aggregate tokens/s"},
		right: []bool{false, true, true, true, true, true, true, true, true, true, true}}
	row := func(name string, m *summary.Streaming) {
		q := func(x *summary.Quantiles, f func(*summary.Quantiles) float64) string {
			if x == nil {
				return "–"
			}
			return seconds(f(x))
		}
		p50 := func(x *summary.Quantiles) float64 { return x.P50 }
		t.rows = append(t.rows, []string{name, fmt.Sprint(m.Streams), fmt.Sprint(m.Completed), fmt.Sprint(m.Failed),
			q(m.TTFT, p50), q(m.TTFT, func(x *summary.Quantiles) float64 { return x.P95 }),
			q(m.TTFT, func(x *summary.Quantiles) float64 { return x.P99 }),
			q(m.InterTokenLatency, p50), optHuman(m.OutputTPS), optHuman(m.OutputTPSFromSend), optHuman(m.AggregateOutputTPS)})
	}
	row("whole run", s.Streaming)
	for _, st := range s.Strategies {
		if st.Streaming != nil {
			row(fmt.Sprintf("%s (%s, %d clients)", st.Name, st.Mode, st.Clients), st.Streaming)
		}
	}
	t.markdown(b)
	b.WriteString("\nTTFT is send to the first content delta; ITL (inter-token latency) is (last event − first delta) / " +
		"(output tokens − 1) of completed streams. Tokens/s is the per-request decode rate from the first token " +
		"(as the mock's --output-tps and Artificial Analysis define it); from send divides the output tokens by send to " +
		"last event (as llmperf, GuideLLM and genai-perf do); aggregate is every streamed output token over the span from " +
		"the first send to the last event. Output tokens are the usage the stream reported.\n")
	if q := s.Streaming.TTFTFromScheduled; q != nil {
		fmt.Fprintf(b, "\nFrom the scheduled time (what a user of an open schedule waits, sender lateness included) TTFT was "+
			"p50 %s, p95 %s, p99 %s.\n", seconds(q.P50), seconds(q.P95), seconds(q.P99))
	}
	var fails []string
	for _, f := range s.Streaming.Failures {
		fails = append(fails, fmt.Sprintf("%s: %d", f.Kind, f.Count))
	}
	if len(fails) > 0 {
		fmt.Fprintf(b, "\nMid-stream failures (a 2xx whose stream broke off; not retried unless the strategy sets "+
			"retry-stream-errors=true, as the official SDKs never do): %s.\n", strings.Join(fails, ", "))
	} else {
		b.WriteString("\nNo stream failed after its status.\n")
	}
	if f := streamCapacity(s); f != "" {
		b.WriteString("\n" + f + "\n")
	}
}

// streamFindings are the key findings of a run that streamed: what a streaming user waited and
// got, the mid-stream failures, and the capacity the measured generation time implies.
func streamFindings(s *summary.Summary) []string {
	m := s.Streaming
	if m == nil {
		return nil
	}
	f := fmt.Sprintf("Streams: %d with a 2xx status, %d completed", m.Streams, m.Completed)
	if q := m.TTFT; q != nil {
		f += fmt.Sprintf("; time to first token p50 %s, p99 %s", seconds(q.P50), seconds(q.P99))
	}
	if m.OutputTPS != nil {
		f += fmt.Sprintf("; %s output tokens/s per request from the first token", human(*m.OutputTPS))
	}
	out := []string{f + "."}
	if m.Failed > 0 {
		var kinds []string
		for _, k := range m.Failures {
			kinds = append(kinds, fmt.Sprintf("%d %s", k.Count, k.Kind))
		}
		out = append(out, fmt.Sprintf("%d streams failed after their 200 (%s): the official SDKs raise these to the caller without retrying.",
			m.Failed, strings.Join(kinds, ", ")))
	}
	if c := streamCapacity(s); c != "" {
		out = append(out, c)
	}
	return out
}

// streamCapacity is the capacity finding from the measured generation time: how long a request
// holds a slot, and how many concurrent streams the output-token limit sustains (Little's law).
func streamCapacity(s *summary.Summary) string {
	m := s.Streaming
	if m == nil || m.Generation == nil || m.MeanOutputTokens == nil || *m.MeanOutputTokens <= 0 {
		return ""
	}
	hold, out := m.Generation.P50, *m.MeanOutputTokens
	limit, source := outputLimit(s)
	text := fmt.Sprintf("Capacity: at a median %s tokens/s and %s output tokens a stream holds its slot %s (median send to last event).",
		optHuman(m.OutputTPS), human(out), seconds(hold))
	if limit <= 0 {
		return text
	}
	perMin := limit / out
	streams, noun := math.Round(perMin/60*hold), "streams"
	if streams == 1 {
		noun = "stream"
	}
	return text + fmt.Sprintf(" The %s output-token limit of %s/min sustains %s requests/min, i.e. about %s concurrent %s (%s/s × %s, Little's law).",
		source, human(limit), human(perMin), human(streams), noun, human(perMin/60), seconds(hold))
}
