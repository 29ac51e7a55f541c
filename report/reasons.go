package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// maxReasons bounds the distinct reasons a strategy entry tracks; later new ones count as other.
const maxReasons = 16

// reasonTally counts a strategy entry's unsucceeded requests by reason.
type reasonTally map[string]int64

func (r *reasonTally) add(reason string) {
	if *r == nil {
		*r = make(reasonTally)
	}
	if _, ok := (*r)[reason]; !ok && len(*r) >= maxReasons {
		reason = "other reasons"
	}
	(*r)[reason]++
}

// list returns the reasons, most frequent first (ties by text); nil when there are none.
func (r reasonTally) list() []summary.Reason {
	if len(r) == 0 {
		return nil
	}
	out := make([]summary.Reason, 0, len(r))
	for k, n := range r {
		out = append(out, summary.Reason{Reason: k, Count: n})
	}
	slices.SortFunc(out, func(a, b summary.Reason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}

// giveUpReason says in a capacity planner's words why the logical request whose final attempt
// is a ended without success: from the engine's gave_up text, or for a log written before it
// was recorded, from the attempt count against the strategy's max-attempts.
//
//	"max attempts 3 reached (last status 429)"            → "gave up after 3 attempts (max-attempts 3)"
//	"max elapsed 15m0s: next attempt would be due …"      → "gave up at max-elapsed 15m0s"
//	"status 400 is not retryable"                          → "HTTP 400 is not retryable"
//	"retry-after 3m0s over the 2m0s cap: the SDK gives up" → "retry-after over the 2m0s cap: the SDK gives up"
//	"terminal: daily quota exhausted (daily-quota, …)"      → "stopped at a terminal refusal: daily quota exhausted (…)"
func giveUpReason(a *record.Attempt, params map[string]any) string {
	r := a.GaveUp
	word := func(s string, i int) string {
		f := strings.Fields(s)
		if i < len(f) {
			return strings.TrimSuffix(f[i], ":")
		}
		return "?"
	}
	switch {
	case r == "":
		if n := maxAttempts(params); n > 0 && a.Number >= n {
			return fmt.Sprintf("gave up after %d attempt%s (max-attempts %d)", a.Number, plural(int64(a.Number)), n)
		}
		return "gave up (this log does not record why)"
	case strings.HasPrefix(r, "max attempts "):
		n := word(r, 2)
		s := "s"
		if n == "1" {
			s = ""
		}
		return fmt.Sprintf("gave up after %s attempt%s (max-attempts %s)", n, s, n)
	case strings.HasPrefix(r, "max elapsed "):
		return "gave up at max-elapsed " + word(r, 2)
	case strings.HasPrefix(r, "status ") && strings.Contains(r, "x-should-retry: false"):
		return "HTTP " + word(r, 1) + " with x-should-retry: false"
	case strings.HasPrefix(r, "status ") && strings.HasSuffix(r, "is not retryable"):
		return "HTTP " + word(r, 1) + " is not retryable"
	case strings.HasPrefix(r, "retry-after ") && strings.Contains(r, " over the "):
		return "retry-after over the " + r[strings.Index(r, " over the ")+len(" over the "):]
	case strings.HasPrefix(r, "terminal: "):
		return "stopped at a terminal refusal: " + strings.TrimPrefix(r, "terminal: ")
	case strings.HasPrefix(r, "gave up after "):
		if i := strings.Index(r, " ("); i > 0 {
			return r[:i]
		}
	}
	return r
}

// maxAttempts reads a strategy's max-attempts parameter from run.json's segment params (0 when
// absent or unbounded).
func maxAttempts(params map[string]any) int {
	for _, k := range []string{"max-attempts", "max_attempts"} {
		switch v := params[k].(type) {
		case float64:
			return int(v)
		case int:
			return v
		case string:
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return 0
}

// unfinishedReason says why logical requests have no final attempt in the log: the run stopped
// before they finished.
func unfinishedReason(run *record.Run) string {
	switch r := run.StopReason; {
	case r != "" && r != "completed":
		return "unfinished: the run stopped first (" + r + ")"
	case run.Partial:
		return "unfinished: the run stopped first"
	}
	return "unfinished: no final attempt in the log"
}

// notSucceeded is the entry's failure reasons in prose: "46 of 200 did not succeed: 40 gave up
// after 3 attempts (max-attempts 3), 6 HTTP 400 is not retryable".
func notSucceeded(s *summary.Strategy) string {
	n := s.Requests - s.Succeeded
	if n <= 0 {
		return ""
	}
	out := fmt.Sprintf("%s of %s did not succeed", count(n), count(s.Requests))
	if len(s.FailureReasons) == 0 {
		return out
	}
	parts := make([]string, len(s.FailureReasons))
	for i, r := range s.FailureReasons {
		parts[i] = count(r.Count) + " " + r.Reason
	}
	return out + ": " + strings.Join(parts, ", ")
}

// shortReason is the entry's most frequent failure reason for a chart label: "46/200 gave up
// after 3 attempts", "7/1,000 gave up at max-elapsed 15m0s (+2 more)".
func shortReason(s *summary.Strategy) string {
	n := s.Requests - s.Succeeded
	if n <= 0 {
		return ""
	}
	out := fmt.Sprintf("%s/%s not succeeded", compact(n), compact(s.Requests))
	if len(s.FailureReasons) > 0 {
		r := s.FailureReasons[0].Reason
		if i := strings.Index(r, " ("); i > 0 {
			r = r[:i]
		}
		out = fmt.Sprintf("%s/%s %s", compact(n), compact(s.Requests), r)
		if len(s.FailureReasons) > 1 {
			out += fmt.Sprintf(" (+%d more reasons)", len(s.FailureReasons)-1)
		}
	}
	return out
}
