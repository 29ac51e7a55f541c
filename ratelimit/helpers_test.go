package ratelimit

import (
	"net/http"
	"strings"
	"time"
)

// anthropicDocsLimits are the rate-limit fields of Anthropic's documented response, all four
// dimensions (headerBlock canonicalizes their names as net/http does).
const anthropicDocsLimits = `anthropic-ratelimit-requests-limit: 50
anthropic-ratelimit-requests-remaining: 49
anthropic-ratelimit-requests-reset: 2025-01-12T23:11:00Z
anthropic-ratelimit-input-tokens-limit: 30000
anthropic-ratelimit-input-tokens-remaining: 29000
anthropic-ratelimit-input-tokens-reset: 2025-01-12T23:11:01Z
anthropic-ratelimit-output-tokens-limit: 8000
anthropic-ratelimit-output-tokens-remaining: 8000
anthropic-ratelimit-output-tokens-reset: 2025-01-12T23:10:59Z
anthropic-ratelimit-tokens-limit: 38000
anthropic-ratelimit-tokens-remaining: 37000
anthropic-ratelimit-tokens-reset: 2025-01-12T23:11:01Z
`

// headerBlock builds a header the way net/http does (canonical keys, one value per line, in
// order) from "Name: value" lines as they appear in a captured response.
func headerBlock(block string) http.Header {
	h := http.Header{}
	eachHeaderLine(block, h.Add)
	return h
}

// rawHeaderBlock builds a header with the names exactly as written (no canonicalization), as a
// hand-built map or Write's lower-case keys look.
func rawHeaderBlock(block string) http.Header {
	h := http.Header{}
	eachHeaderLine(block, func(name, value string) { h[name] = append(h[name], value) })
	return h
}

// eachHeaderLine calls add with the trimmed name and value of each non-blank "Name: value" line.
func eachHeaderLine(block string, add func(name, value string)) {
	for line := range strings.Lines(block) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
}

// fullSnapshot is an Anthropic-sized snapshot: four dimensions with limit, remaining and reset,
// and a retry-after (thirteen header values), for the allocation tests.
func fullSnapshot() Snapshot {
	return Snapshot{
		Dims: [NumDimensions]State{
			Requests:     lrr(50, 49, time.Second, ResetUnknown),
			Tokens:       lrr(38000, 37000, time.Second, ResetUnknown),
			InputTokens:  lrr(30000, 29000, time.Second, ResetUnknown),
			OutputTokens: lrr(8000, 8000, time.Second, ResetUnknown),
		},
		RetryAfter: time.Second, HasRetryAfter: true,
	}
}

// lrr is a State with limit, remaining and reset.
func lrr(limit, remaining int64, reset time.Duration, kind ResetKind) State {
	return State{Limit: limit, Remaining: remaining, Reset: reset, ResetKind: kind, Flags: HasLimit | HasRemaining | HasReset}
}

// withWindow adds a window to st.
func withWindow(st State, w time.Duration) State {
	st.Window = w
	st.Flags |= HasWindow
	return st
}

// mustDate parses an HTTP-date for test expectations.
func mustDate(s string) time.Time {
	t, err := http.ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}
