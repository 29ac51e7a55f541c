package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// headroom is the share of the allowed rate recommended for client-side pacing: 10% below the
// limit leaves room for other traffic on the key and for the server's and client's clocks.
const headroom = 0.9

// allowedRate is the largest request rate the limits allow for this workload, in requests per
// minute, with the dimension that sets it and where the figure comes from. Limits configured on
// the embedded mock (run.json known_limits) take precedence, being the truth for that run; else
// the inferred binding constraint.
//
//	rate = min over limits d of per_minute_d / cost_d
//
// with cost_d the tokens of one request in d's units (1 for requests), from the run's mean
// tokens per successful attempt.
func allowedRate(run *record.Run, s *summary.Summary) (rpm float64, dim, source string, ok bool) {
	if len(run.Known) > 0 {
		in, out := valueOr(s.Totals.MeanInputTokens, 0), valueOr(s.Totals.MeanOutputTokens, 0)
		if a := s.Accounting; a != nil && a.OutputPrecharged != nil && *a.OutputPrecharged && run.Workload.MaxTokens > 0 {
			out = float64(run.Workload.MaxTokens)
		}
		for _, k := range run.Known {
			c := map[string]float64{"requests": 1, "input_tokens": in, "output_tokens": out, "tokens": in + out}[k.Dimension]
			if c <= 0 || k.PerMinute <= 0 {
				continue
			}
			if r := k.PerMinute / c; !ok || r < rpm {
				rpm, dim, ok = r, k.Dimension, true
			}
		}
		if ok {
			return rpm, dim, "the limit configured on the mock", true
		}
	}
	if b := s.Binding; b != nil && b.MaxRequestsPerMinute != nil && *b.MaxRequestsPerMinute > 0 {
		return *b.MaxRequestsPerMinute, b.Dimension, "the inferred binding limit", true
	}
	return 0, "", "", false
}

// recommendations are derived from the numbers: which strategy, what client-side rate, how many
// workers.
func recommendations(run *record.Run, s *summary.Summary, hasHeaders bool) []string {
	var out []string
	if s.Totals.Partial {
		out = append(out, "This run is partial: re-run it to completion before relying on the figures below.")
	}
	if r := strategyRecommendation(s); r != "" {
		out = append(out, r)
	}
	rpm, dim, source, ok := allowedRate(run, s)
	if !ok {
		out = append(out, "No limit was known or could be inferred, so no client-side rate can be recommended: run `ratelab probe --find` against this target first.")
	} else {
		target := headroom * rpm
		out = append(out, fmt.Sprintf("Pace all clients that share this key at about %s requests/min in total (one request every %s): %s of the %s requests/min that the %s limit allows (%s), leaving headroom for other traffic and clock skew.",
			human(target), seconds(60/target), percent(headroom), human(rpm), dim, source))
		lat, simulated := liveLatency(s), false
		if lat == nil {
			lat = simGenerationLatency(run, s)
			simulated = lat != nil
		}
		if lat == nil {
			out = append(out, "No concurrency is recommended: no live response time was measured (simulated responses take the mock's configured latency, not the API's), and workers = rate × response time needs one.")
		} else {
			cycle := *lat + run.Workload.ThinkS
			workers := int64(math.Max(1, math.Ceil(target/60*cycle)))
			verb := "s sustain"
			if workers == 1 {
				verb = " sustains"
			}
			rec := fmt.Sprintf("About %s concurrent worker%s that rate: workers = rate × (mean response time %s + think time %s) = %s/s × %s (Little's law). More workers add only queueing and 429s unless a client-side limiter paces them.",
				count(workers), verb, seconds(*lat), seconds(run.Workload.ThinkS), human(target/60), seconds(cycle))
			if simulated {
				rec += " The response time is simulated, from the generation time configured on the mock; measure it against the API before relying on it."
			}
			out = append(out, rec)
		}
	}
	if !hasHeaders && s.Totals.Attempts > 0 {
		out = append(out, "The server sent no rate-limit headers: header-pacing has nothing to read and retry-after falls back to jitter, so pace with a client-side limiter at the rate above.")
	}
	return out
}

// headline is the recommendation in one line, for the terminal's last line and report.md:
// "Use header-pacing; pace all clients sharing the key at about 1,080 requests/min in total."
func headline(run *record.Run, s *summary.Summary) string {
	var parts []string
	if g, ok := chosenGroup(s); ok {
		if i := bestIndex(g); i >= 0 {
			parts = append(parts, "use "+g.entries[i].Name)
		} else {
			parts = append(parts, "no strategy completed every request (raise the retry limits or lower the load)")
		}
	}
	if rpm, _, _, ok := allowedRate(run, s); ok {
		parts = append(parts, fmt.Sprintf("pace all clients sharing the key at about %s requests/min in total", human(headroom*rpm)))
	} else if s.Totals.Attempts > 0 {
		parts = append(parts, "no limit was known or inferred, so no rate can be recommended (run `ratelab probe --find` first)")
	}
	if len(parts) == 0 {
		return "None: the run has too little data."
	}
	h := strings.Join(parts, "; ") + "."
	if s.Totals.Partial {
		return "From a partial run (re-run it before relying on this): " + h
	}
	return capitalize(h)
}

// liveLatency is the mean response time of the run's successful live HTTP attempts, nil when
// none succeeded or none took measurable time.
func liveLatency(s *summary.Summary) *float64 {
	for _, m := range s.Totals.ByMode {
		if m.Mode != record.ModeSim && m.MeanOKLatencyS != nil && *m.MeanOKLatencyS > 0 {
			return m.MeanOKLatencyS
		}
	}
	return nil
}

// simGenerationLatency is the simulated attempts' mean successful response time when the run's
// mock was given a generation time (ttft or output_tps): then it is the time the user modelled
// replies to take, a figure to plan with; nil otherwise (the simulator's replies are instant).
func simGenerationLatency(run *record.Run, s *summary.Summary) *float64 {
	var mock struct {
		TTFT      string  `json:"ttft"`
		OutputTPS float64 `json:"output_tps"`
	}
	if len(run.Mock) == 0 || json.Unmarshal(run.Mock, &mock) != nil {
		return nil
	}
	if d, err := time.ParseDuration(mock.TTFT); (err != nil || d <= 0) && mock.OutputTPS <= 0 {
		return nil
	}
	for _, m := range s.Totals.ByMode {
		if m.Mode == record.ModeSim && m.MeanOKLatencyS != nil && *m.MeanOKLatencyS > 0 {
			return m.MeanOKLatencyS
		}
	}
	return nil
}

// chosenGroup is the group a strategy is recommended from: the one with the most clients, live
// before sim at equal counts.
func chosenGroup(s *summary.Summary) (strategyGroup, bool) {
	gs := groups(s)
	if len(gs) == 0 {
		return strategyGroup{}, false
	}
	return slices.MaxFunc(gs, func(a, b strategyGroup) int {
		if a.clients != b.clients {
			return a.clients - b.clients
		}
		return modeOrder(a.mode) - modeOrder(b.mode)
	}), true
}

// bestIndex is the index in g.entries of the fastest entry that completed every request, -1
// when none did.
func bestIndex(g strategyGroup) int {
	return slices.IndexFunc(g.entries, func(st *summary.Strategy) bool { return complete(st) && st.MakespanSeconds != nil })
}

// strategyRecommendation names the strategy to use: in the group with the most clients (live
// before sim), the fastest entry that completed every request, and a cheaper runner-up when one
// came within 10% of its makespan with at least 10% fewer attempts.
func strategyRecommendation(s *summary.Summary) string {
	g, ok := chosenGroup(s)
	if !ok {
		return ""
	}
	i := bestIndex(g)
	if i < 0 {
		return fmt.Sprintf("No strategy completed every request in %s (%s): raise the retry limits or lower the load before choosing one.", g.in(), whyNot(g))
	}
	best := g.entries[i]
	r := fmt.Sprintf("Use %s: in %s it completed all %s requests in %s with %s (amplification %s) and %s 429s.",
		best.Name, g.in(), count(best.Requests), g.took(*best.MakespanSeconds), g.attempts(best.Attempts),
		optHuman(best.Amplification), count(best.RateLimited))
	for _, st := range g.entries[i+1:] {
		if !complete(st) || st.MakespanSeconds == nil {
			continue
		}
		if *st.MakespanSeconds <= 1.1**best.MakespanSeconds && float64(st.Attempts) <= 0.9*float64(best.Attempts) {
			r += fmt.Sprintf(" Consider %s too: it finished within %s of that with %s fewer attempts, which matters when attempts cost money or quota.",
				st.Name, percent(*st.MakespanSeconds / *best.MakespanSeconds - 1), percent(1-float64(st.Attempts)/float64(best.Attempts)))
			break
		}
	}
	return r
}

// whyNot says how many requests each entry of a group that completed none of its requests in
// full did not finish, and why.
func whyNot(g strategyGroup) string {
	parts := make([]string, 0, len(g.entries))
	for _, st := range g.entries {
		if n := notSucceeded(st); n != "" {
			parts = append(parts, st.Name+": "+n)
		}
	}
	return strings.Join(parts, "; ")
}

// modeOrder prefers live evidence over simulated evidence.
func modeOrder(mode string) int {
	if mode == record.ModeLive {
		return 1
	}
	return 0
}
