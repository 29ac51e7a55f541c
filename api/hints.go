package api

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ratelab/ratelab/ratelimit"
)

// Hint is what the body of an error response says about retrying, wherever the provider puts
// it: a wait (Gemini's google.rpc.RetryInfo retryDelay, OpenAI's and Azure's "try again in
// 128ms" / "retry after 6 seconds" in the message) and a terminal cause.
type Hint struct {
	RetryAfter    time.Duration // the wait the body names, valid when HasRetryAfter
	HasRetryAfter bool
	// From says where the wait was read: "retryDelay" or "message".
	From string
	// Terminal is one of the ratelimit.Terminal* causes, "" when the body names none.
	Terminal string
	// Detail is what named the terminal cause, as the body has it (a quotaId, an error code, a
	// message fragment), at most 100 runes.
	Detail string
}

// maxHint bounds a wait read from a body (a year); a longer or malformed one is ignored.
const maxHint = 366 * 24 * time.Hour

var (
	// goDurationHint is OpenAI's "try again in 128ms" / "18.642s" / "6m0s" / "1h2m3.5s".
	goDurationHint = regexp.MustCompile(`(?i)try again in ((?:[0-9]+(?:\.[0-9]+)?(?:ms|h|m|s))+)`)
	// secondsHint is Azure's "Please retry after 6 seconds" / "Try again in 2 seconds".
	secondsHint = regexp.MustCompile(`(?i)(?:retry after|try again in) ([0-9]+(?:\.[0-9]+)?) ?(?:seconds?|secs?)\b`)
	// dailyMessage is a per-day limit in words: OpenAI's "requests per day (RPD)", "tokens per
	// day (TPD)", Bedrock's "Too many tokens per day".
	dailyMessage = regexp.MustCompile(`(?i)\bper day\b|\(RPD\)|\(TPD\)`)
	// userSpendLimit is Anthropic's 400 for an organization's own spend limit.
	userSpendLimit = regexp.MustCompile(`(?i)reached your specified (?:workspace )?API usage limits`)
)

// ErrorHint reads the retry hint and the terminal cause from the body of a refused response
// (any status that is not 2xx) of any provider: Anthropic, OpenAI and Azure OpenAI
// ({"error":{…}}), Gemini ({"error":{"status":"RESOURCE_EXHAUSTED","details":[…]}}) and
// Bedrock ({"message":…}). A body that is not JSON gives the zero Hint. It never panics.
func ErrorHint(body []byte) Hint {
	var h Hint
	if len(body) == 0 || !gjson.ValidBytes(body) {
		return h
	}
	root := gjson.ParseBytes(body)
	e := root.Get("error")
	var msg string
	switch {
	case e.IsObject():
		msg = e.Get("message").String()
		h.codes(e.Get("code"), e.Get("type"), e.Get("details.error_code"), e.Get("status"))
		h.google(e.Get("details"))
	case e.Type == gjson.String:
		msg = e.Str
	default:
		msg = root.Get("message").String() // Bedrock
		if msg == "" {
			msg = root.Get("Message").String()
		}
	}
	h.message(msg)
	return h
}

// Apply records the hint in s: its wait as s.BodyRetryAfter, its terminal cause as s.Terminal.
func (h Hint) Apply(s *ratelimit.Snapshot) {
	s.BodyRetryAfter, s.HasBodyRetryAfter, s.Terminal = h.RetryAfter, h.HasRetryAfter, h.Terminal
}

// MessageHint is ErrorHint of an error given as its type and message (a simulated reply, whose
// body is never written out).
func MessageHint(typ, msg string) Hint {
	var h Hint
	h.codes(gjson.Result{Type: gjson.String, Str: typ})
	h.message(msg)
	return h
}

// codes reads the error codes that name a terminal cause.
func (h *Hint) codes(vals ...gjson.Result) {
	for _, v := range vals {
		if v.Type != gjson.String {
			continue
		}
		switch v.Str {
		case "insufficient_quota":
			h.terminal(ratelimit.TerminalInsufficientQuota, v.Str)
		case "organization_spend_limit_exceeded", "project_spend_limit_exceeded", "enforced_spend_limit_reached":
			h.terminal(ratelimit.TerminalSpendCap, v.Str)
		}
	}
}

// google reads the details of a google.rpc.Status: RetryInfo's retryDelay and the quotaIds of
// QuotaFailure (a daily quota when one names PerDay; its retryDelay does not shorten it).
func (h *Hint) google(details gjson.Result) {
	if !details.IsArray() {
		return
	}
	details.ForEach(func(_, d gjson.Result) bool {
		typ := d.Get(`@type`).String()
		switch {
		case strings.HasSuffix(typ, "google.rpc.RetryInfo"):
			if w, ok := protoDuration(d.Get("retryDelay")); ok && !h.HasRetryAfter {
				h.RetryAfter, h.HasRetryAfter, h.From = w, true, "retryDelay"
			}
		case strings.HasSuffix(typ, "google.rpc.QuotaFailure"):
			d.Get("violations").ForEach(func(_, v gjson.Result) bool {
				id := v.Get("quotaId").String()
				if id == "" {
					id = v.Get("quotaMetric").String()
				}
				if strings.Contains(strings.ToLower(id), "perday") || strings.Contains(strings.ToLower(id), "per_day") {
					h.terminal(ratelimit.TerminalDailyQuota, id)
				}
				return true
			})
		}
		return true
	})
}

// message reads the wait and the terminal cause a message states in words.
func (h *Hint) message(msg string) {
	if msg == "" {
		return
	}
	// The regular expressions backtrack over the whole message: look for their words first
	// (the simulator reads every refusal's message).
	lower := strings.ToLower(msg)
	if !h.HasRetryAfter && (strings.Contains(lower, "try again in") || strings.Contains(lower, "retry after")) {
		if m := goDurationHint.FindStringSubmatch(msg); m != nil {
			if d, err := time.ParseDuration(m[1]); err == nil && d >= 0 && d <= maxHint {
				h.RetryAfter, h.HasRetryAfter, h.From = d, true, "message"
			}
		} else if m := secondsHint.FindStringSubmatch(msg); m != nil {
			if f, err := strconv.ParseFloat(m[1], 64); err == nil && f*float64(time.Second) <= float64(maxHint) {
				h.RetryAfter, h.HasRetryAfter, h.From = time.Duration(math.Round(f*1e9)), true, "message"
			}
		}
	}
	switch {
	case (strings.Contains(lower, "per day") || strings.Contains(msg, "(RPD)") || strings.Contains(msg, "(TPD)")) && dailyMessage.MatchString(msg):
		h.terminal(ratelimit.TerminalDailyQuota, dailyMessage.FindString(msg))
	case strings.Contains(lower, "reached your specified") && userSpendLimit.MatchString(msg):
		h.terminal(ratelimit.TerminalSpendCap, userSpendLimit.FindString(msg))
	case strings.HasPrefix(msg, "Request too large for"):
		h.terminal(ratelimit.TerminalRequestTooLarge, "Request too large")
	}
}

// terminal sets the cause unless one was read already (the first, most specific, wins).
func (h *Hint) terminal(cause, detail string) {
	if h.Terminal == "" {
		h.Terminal, h.Detail = cause, clip(detail, maxErrorRunes)
	}
}

// protoDuration reads a google.protobuf.Duration in its JSON form ("26s", "0.2s", "38.2s") or
// as an object {seconds, nanos}.
func protoDuration(v gjson.Result) (time.Duration, bool) {
	switch {
	case v.Type == gjson.String && strings.HasSuffix(v.Str, "s"):
		f, err := strconv.ParseFloat(strings.TrimSuffix(v.Str, "s"), 64)
		if err != nil || !(f >= 0) || f*float64(time.Second) > float64(maxHint) {
			return 0, false
		}
		return time.Duration(math.Round(f * 1e9)), true
	case v.IsObject():
		s, n := v.Get("seconds").Float(), v.Get("nanos").Float()
		d := s*1e9 + n
		if !(d >= 0) || d > float64(maxHint) {
			return 0, false
		}
		return time.Duration(d), true
	}
	return 0, false
}

// String describes the hint for a record or a test: "wait 26s (retryDelay); terminal:
// daily-quota (GenerateRequestsPerDay…)".
func (h Hint) String() string {
	var parts []string
	if h.HasRetryAfter {
		parts = append(parts, fmt.Sprintf("wait %s (%s)", h.RetryAfter, h.From))
	}
	if h.Terminal != "" {
		parts = append(parts, fmt.Sprintf("terminal: %s (%s)", h.Terminal, h.Detail))
	}
	return strings.Join(parts, "; ")
}
