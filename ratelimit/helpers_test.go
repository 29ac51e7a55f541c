package ratelimit

import (
	"net/http"
	"strings"
	"time"
)

// headerBlock builds a header the way net/http does (canonical keys, one value per line, in
// order) from "Name: value" lines as they appear in a captured response.
func headerBlock(block string) http.Header {
	h := http.Header{}
	for line := range strings.Lines(block) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return h
}

// rawHeaderBlock builds a header with the names exactly as written (no canonicalization), as a
// hand-built map or Write's lower-case keys look.
func rawHeaderBlock(block string) http.Header {
	h := http.Header{}
	for line := range strings.Lines(block) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		h[name] = append(h[name], strings.TrimSpace(value))
	}
	return h
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
