package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// strategyGroup is the entries of one mode and client count, best rank first: the strategies
// that can be compared with each other.
type strategyGroup struct {
	mode    string
	clients int
	entries []*summary.Strategy
}

// groups returns the strategy groups ordered by mode, then client count.
func groups(s *summary.Summary) []strategyGroup {
	var gs []strategyGroup
	for i := range s.Strategies {
		st := &s.Strategies[i]
		j := slices.IndexFunc(gs, func(g strategyGroup) bool { return g.mode == st.Mode && g.clients == st.Clients })
		if j < 0 {
			gs = append(gs, strategyGroup{mode: st.Mode, clients: st.Clients})
			j = len(gs) - 1
		}
		gs[j].entries = append(gs[j].entries, st)
	}
	for _, g := range gs {
		slices.SortFunc(g.entries, func(a, b *summary.Strategy) int { return cmp.Compare(a.Rank, b.Rank) })
	}
	slices.SortFunc(gs, func(a, b strategyGroup) int {
		return cmp.Or(cmp.Compare(a.mode, b.mode), cmp.Compare(a.clients, b.clients))
	})
	return gs
}

// parts are a group's mode and clients in words: "simulated", "50 clients" ("" and "open
// arrivals" where they apply).
func (g strategyGroup) parts() (mode, who string) {
	who = "open arrivals"
	if g.clients > 0 {
		who = fmt.Sprintf("%s client%s", count(int64(g.clients)), plural(int64(g.clients)))
	}
	switch g.mode {
	case record.ModeSim:
		mode = "simulated"
	case record.ModeLive:
		mode = "live"
	}
	return mode, who
}

// where describes a group in prose: "simulated with 50 clients", "live with open arrivals".
func (g strategyGroup) where() string {
	mode, who := g.parts()
	return strings.TrimSpace(mode + " with " + who)
}

// in names a group after "in": "the simulation with 50 clients", "the live run with 20 clients".
func (g strategyGroup) in() string {
	_, who := g.parts()
	switch g.mode {
	case record.ModeSim:
		return "the simulation with " + who
	case record.ModeLive:
		return "the live run with " + who
	}
	return "the run with " + who
}

// tag names a group in parentheses: "simulated, 50 clients".
func (g strategyGroup) tag() string {
	mode, who := g.parts()
	if mode == "" {
		return who
	}
	return mode + ", " + who
}

// took is a duration of the group's clock in prose: virtual time says so.
func (g strategyGroup) took(sec float64) string {
	if g.mode == record.ModeSim {
		return seconds(sec) + " of virtual time"
	}
	return seconds(sec)
}

// attempts counts the group's attempts in prose: "20 simulated attempts", "1 HTTP attempt".
func (g strategyGroup) attempts(n int64) string {
	if g.mode == record.ModeSim {
		return count(n) + " simulated attempt" + plural(n)
	}
	return count(n) + " HTTP attempt" + plural(n)
}

// complete reports whether every logical request of the entry succeeded.
func complete(s *summary.Strategy) bool { return s.Failed == 0 && s.Unfinished == 0 && s.Requests > 0 }

// findings are the key findings drawn from the totals and the strategies (the inference adds its
// own before these).
func (b *Builder) findings(s *summary.Summary) []string {
	var out []string
	t := s.Totals
	if t.Partial {
		reason := t.StopReason
		if reason == "" {
			reason = "stopped early"
		}
		out = append(out, fmt.Sprintf("The run is partial (%s): every figure covers only what was recorded before it stopped.", reason))
	}
	if cause, ok := strings.CutPrefix(t.StopReason, "terminal refusal: "); ok {
		out = append(out, fmt.Sprintf("The run stopped at a terminal refusal (%s): every strategy stops on one, since the "+
			"quota resets long after any retry budget; a daily quota or a spend cap is not a per-minute rate, and the "+
			"figures below cover only the traffic before it.", strings.TrimSuffix(cause, "; no retry can succeed before it resets")))
	}
	if t.Dropped > 0 || t.Late > 0 {
		var parts []string
		if t.Dropped > 0 {
			parts = append(parts, fmt.Sprintf("%s scheduled attempt%s never sent", count(t.Dropped), plural(t.Dropped)))
		}
		if t.Late > 0 {
			parts = append(parts, fmt.Sprintf("%s sent more than 10 ms behind schedule", count(t.Late)))
		}
		out = append(out, fmt.Sprintf("The load generator fell behind (%s): the offered load was lower than planned.", strings.Join(parts, ", ")))
	}
	if t.Attempts == 0 {
		out = append(out, "The log holds no attempt, live or simulated, so nothing could be measured.")
	} else {
		for _, m := range t.ByMode {
			if m.Attempts == 0 {
				continue
			}
			mid := ""
			if m.StreamErrors > 0 {
				mid = fmt.Sprintf(", %s failed mid-stream after a 2xx", count(m.StreamErrors))
			}
			out = append(out, fmt.Sprintf("%s %s: %s succeeded, %s rate limited (429)%s, %s failed otherwise.",
				count(m.Attempts), attemptsNoun(m.Mode, m.Attempts), count(m.OK), count(m.RateLimited), mid, count(m.Overloaded+m.Errors)))
		}
		if t.WithHeaders == 0 {
			out = append(out, "No response carried rate-limit headers: limits can only be inferred from behaviour.")
		}
	}
	if t.ClientRejected > 0 {
		out = append(out, fmt.Sprintf("Client-side strategies held back %s attempt%s without sending them.", count(t.ClientRejected), plural(t.ClientRejected)))
	}
	if f := errorFinding(t.ErrorKinds); f != "" {
		out = append(out, f)
	}
	for _, g := range groups(s) {
		out = append(out, groupFindings(g)...)
	}
	if f := agreementFinding(s); f != "" {
		out = append(out, f)
	}
	return out
}

// groupFindings says which strategy finished first, how close it came to the bound, which one
// was slowest, which did not complete every request and why, and which provoked the fewest 429s.
func groupFindings(g strategyGroup) []string {
	first := g.entries[0]
	if first.MakespanSeconds == nil {
		return nil
	}
	var out []string
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s finished first: %s request%s in %s with %s (amplification %s",
		capitalize(g.where()), first.Name, count(first.Requests), plural(first.Requests), g.took(*first.MakespanSeconds),
		g.attempts(first.Attempts), optHuman(first.Amplification))
	if first.Latency != nil {
		fmt.Fprintf(&b, ", p95 latency %s", seconds(first.Latency.P95))
	}
	b.WriteString(")")
	if !complete(first) {
		fmt.Fprintf(&b, ", but %s and no strategy completed every request", notSucceeded(first))
	} else if lb := first.MakespanLowerBoundSeconds; lb != nil && *lb > 0 {
		allow := "the limits allow"
		if first.LowerBoundDimension == WorkersBound {
			allow = fmt.Sprintf("that %s workers allow at these reply times", count(int64(first.Clients)))
		}
		if r := *first.MakespanSeconds / *lb - 1; r < 0.0005 && r > -0.0005 {
			fmt.Fprintf(&b, ", at the %s lower bound %s", seconds(*lb), allow)
		} else if r >= 0 {
			fmt.Fprintf(&b, ", %s above the %s lower bound %s", percent(r), seconds(*lb), allow)
		} else {
			fmt.Fprintf(&b, ", %s below the %s lower bound: the limits the bound comes from are wrong", percent(-r), seconds(*lb))
		}
	}
	b.WriteString(".")
	var slowest *summary.Strategy
	for _, st := range g.entries[1:] {
		if complete(st) && st.MakespanSeconds != nil && (slowest == nil || *st.MakespanSeconds > *slowest.MakespanSeconds) {
			slowest = st
		}
	}
	if slowest != nil {
		fmt.Fprintf(&b, " The slowest to complete every request, %s, took %s with %s.", slowest.Name, g.took(*slowest.MakespanSeconds), g.attempts(slowest.Attempts))
	}
	out = append(out, b.String())
	var incomplete []string
	for _, st := range g.entries[1:] {
		if !complete(st) {
			incomplete = append(incomplete, st.Name+": "+notSucceeded(st))
		}
	}
	if len(incomplete) > 0 && complete(first) {
		out = append(out, fmt.Sprintf("Did not complete every request (%s): %s.", g.tag(), strings.Join(incomplete, "; ")))
	}
	if len(g.entries) > 1 {
		fewest := slices.MinFunc(g.entries, func(a, b *summary.Strategy) int {
			return cmp.Or(cmp.Compare(a.RateLimited, b.RateLimited), cmp.Compare(a.Rank, b.Rank))
		})
		most := slices.MaxFunc(g.entries, func(a, b *summary.Strategy) int {
			return cmp.Or(cmp.Compare(a.RateLimited, b.RateLimited), cmp.Compare(b.Rank, a.Rank))
		})
		if most.RateLimited > fewest.RateLimited {
			out = append(out, fmt.Sprintf("Fewest 429s (%s): %s (%s of %s); most: %s (%s of %s).",
				g.tag(), fewest.Name, count(fewest.RateLimited), g.attempts(fewest.Attempts), most.Name, count(most.RateLimited), count(most.Attempts)))
		}
	}
	return out
}

// agreementFinding says how far each strategy's simulated runs agree with its live ones at the
// same client count (summary.Agreements): the worst difference in attempts and in makespan.
func agreementFinding(s *summary.Summary) string {
	as := summary.Agreements(s)
	if len(as) == 0 {
		return ""
	}
	worstA, worstM := -1.0, -1.0
	var nameA, nameM string
	for _, a := range as {
		if a.AttemptsDiff > worstA {
			worstA, nameA = a.AttemptsDiff, a.Name
		}
		if a.HasMakespan && a.MakespanDiff > worstM {
			worstM, nameM = a.MakespanDiff, a.Name
		}
	}
	f := fmt.Sprintf("Simulated and live runs agree within %s on attempts (worst: %s)", percent(worstA), nameA)
	if worstM >= 0 {
		f += fmt.Sprintf(" and within %s on makespan (worst: %s)", percent(worstM), nameM)
	}
	return f + "."
}

// attemptsNoun names attempts of a mode in prose: live ones were HTTP requests, simulated ones
// never left the process.
func attemptsNoun(mode string, n int64) string {
	if mode == record.ModeSim {
		return "simulated attempt" + plural(n) + " (virtual time, no HTTP request sent)"
	}
	return "live HTTP attempt" + plural(n)
}

// percent formats a ratio as a percentage ("6.2%").
func percent(r float64) string {
	if math.IsInf(r, 0) {
		return "∞%"
	}
	return human(100*r) + "%"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
