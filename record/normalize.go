package record

import (
	"math"
	"time"
	"unicode/utf8"

	"github.com/ratelab/ratelab/ratelimit"
)

// Normalize changes a into what writing it to attempts.jsonl and reading it back gives
// (AppendJSON, then UnmarshalJSON): times rounded to the decimals the log keeps, fields the log
// leaves out cleared, strings made valid UTF-8. A consumer fed attempts as they are written (a
// Writer's Tap) therefore computes exactly what a later re-read of the log computes, which keeps
// `ratelab report DIR` byte-identical to the report written during the run. TestNormalize and
// FuzzNormalize check it against the round trip.
func (a *Attempt) Normalize() {
	a.Run, a.Mode, a.Strategy = validUTF8(a.Run), validUTF8(a.Mode), validUTF8(a.Strategy)
	a.Phase, a.Error = validUTF8(a.Phase), validUTF8(a.Error)
	a.ContentType, a.GaveUp = validUTF8(a.ContentType), validUTF8(a.GaveUp)
	if a.Stream {
		a.StreamError = validUTF8(a.StreamError)
		a.StreamDuration = a.StreamDuration.Round(time.Microsecond)
		a.TTFT = a.TTFT.Round(time.Microsecond)
		if !a.HasTTFT {
			a.TTFT = 0
		}
	} else {
		a.TTFT, a.HasTTFT, a.StreamDuration, a.StreamEvents, a.StreamError = 0, false, 0, 0, ""
	}
	a.Terminal = validUTF8(a.Terminal)
	a.Scheduled = a.Scheduled.Round(time.Microsecond)
	a.Sent = a.Sent.Round(time.Microsecond)
	a.Latency = a.Latency.Round(time.Microsecond)
	if a.HasRetryAfter {
		a.RetryAfter = a.RetryAfter.Round(time.Millisecond)
	} else {
		a.RetryAfter = 0
	}
	if a.HasRetryHint {
		a.RetryHint = a.RetryHint.Round(time.Millisecond)
	} else {
		a.RetryHint = 0
	}
	if a.HasServerDate {
		a.ServerDate = time.UnixMilli(unixMilli(a.ServerDate)).UTC()
	} else {
		a.ServerDate = time.Time{}
	}
	switch {
	case a.ShouldRetry > 0:
		a.ShouldRetry = 1
	case a.ShouldRetry < 0:
		a.ShouldRetry = -1
	}
	dialect := ratelimit.DialectNone
	for d := range a.Limits {
		s := &a.Limits[d]
		if !s.Present() {
			*s = ratelimit.State{}
			continue
		}
		// Every dimension written carries the attempt's dialect; a name the reader does not
		// know leaves it unset.
		if dl, ok := ratelimit.ParseDialect(a.Dialect.String()); ok {
			dialect = dl
		}
		var n ratelimit.State
		if s.Flags&ratelimit.HasLimit != 0 {
			n.Limit, n.Flags = s.Limit, n.Flags|ratelimit.HasLimit
		}
		if s.Flags&ratelimit.HasRemaining != 0 {
			n.Remaining, n.Flags = s.Remaining, n.Flags|ratelimit.HasRemaining
		}
		if s.Flags&ratelimit.HasReset != 0 {
			n.Reset, n.Flags = roundDuration(s.Reset), n.Flags|ratelimit.HasReset
			n.ResetKind = ratelimit.ParseResetKind(s.ResetKind.String())
		}
		if s.Flags&ratelimit.HasWindow != 0 {
			n.Window, n.Flags = roundDuration(s.Window), n.Flags|ratelimit.HasWindow
		}
		*s = n
	}
	a.Dialect = dialect
}

// roundFloat is what appendFloat writes and strconv reads back: f rounded to prec decimals (the
// shortest decimal form written parses back to the same float64), 0 for NaN and ±Inf.
func roundFloat(f float64, prec int) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	p := math.Pow10(prec)
	return math.Round(f*p) / p
}

// roundDuration is a duration written in seconds with three decimals and read back.
func roundDuration(d time.Duration) time.Duration {
	return secondsToDuration(roundFloat(d.Seconds(), 3))
}

// validUTF8 replaces every byte of s that is not part of valid UTF-8 with U+FFFD, as
// appendString writes it (one replacement per byte).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
