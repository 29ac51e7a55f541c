package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ratelab/ratelab/probe/record"
)

// ErrorKind counts the records that failed one way: by their error text — transport failures
// (the probe gives each common breakage one stable text without addresses: timeouts, resets,
// EOFs, refused connections), 2xx answers whose body was an error or not JSON, requests a
// strategy held past its bounds — or, for a failed status without one, by status and content
// type ("HTTP 500 text/html"; simulated ones say so). Every attempt counted as overloaded or
// errors in the totals has a kind.
type ErrorKind struct {
	Error string `json:"error"`
	Count int64  `json:"count"`
}

const (
	// maxErrorKinds bounds the distinct texts a summary tracks; later new texts count as other.
	maxErrorKinds = 64
	// maxErrorKindsShown is how many kinds summary.json lists and the findings name.
	maxErrorKindsShown = 8
	// maxErrorText shortens a text used as a kind, in bytes.
	maxErrorText = 160
)

// errorTally counts records by error text, within maxErrorKinds distinct texts.
type errorTally struct {
	counts map[string]int64
	other  int64
}

func (e *errorTally) add(a *record.Attempt) {
	text := a.Error
	if text == "" {
		if text = statusKind(a); text == "" {
			return
		}
	}
	if len(text) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	if e.counts == nil {
		e.counts = make(map[string]int64)
	}
	if _, ok := e.counts[text]; !ok && len(e.counts) >= maxErrorKinds {
		e.other++
		return
	}
	e.counts[text]++
}

// statusKind names a failed attempt that carries no error text by its status and content type
// ("HTTP 500 text/html", "HTTP 529 application/json (simulated)"); "" for successes, 429s and
// local rejections.
func statusKind(a *record.Attempt) string {
	o := a.Outcome()
	if a.ClientRejected || o == record.OutcomeOK || o == record.OutcomeRateLimited {
		return ""
	}
	k := "HTTP " + strconv.Itoa(a.Status)
	if a.Status == 0 {
		k = "transport error (no detail recorded)"
	}
	if a.ContentType != "" {
		k += " " + a.ContentType
	}
	if a.Mode == record.ModeSim {
		k += " (simulated)"
	}
	return k
}

// kinds returns the most frequent texts first (ties by text), at most maxErrorKindsShown, the
// rest folded into one "other errors" entry; nil when no record carried an error.
func (e *errorTally) kinds() []ErrorKind {
	if len(e.counts) == 0 {
		return nil
	}
	out := make([]ErrorKind, 0, len(e.counts))
	for text, n := range e.counts {
		out = append(out, ErrorKind{text, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Error < out[j].Error
	})
	other := e.other
	if len(out) > maxErrorKindsShown {
		for _, k := range out[maxErrorKindsShown:] {
			other += k.Count
		}
		out = out[:maxErrorKindsShown]
	}
	if other > 0 {
		out = append(out, ErrorKind{"other errors", other})
	}
	return out
}

// errorFinding is the findings line that names what went wrong, most frequent first.
func errorFinding(kinds []ErrorKind) string {
	if len(kinds) == 0 {
		return ""
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s × %s", count(k.Count), k.Error)
	}
	return "Failures by kind: " + strings.Join(parts, "; ") + "."
}
