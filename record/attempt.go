// Package record defines the run's record: one Attempt per HTTP attempt (attempts.jsonl) and one
// Run describing the run (run.json). Every figure ratelab reports is derived from these two files,
// so live runs, simulated runs and `ratelab report` share one analysis path. The package also
// streams attempts to disk and reads them back without holding a run in memory.
package record

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ratelab/ratelab/ratelimit"
)

// Modes of a run, recorded on every attempt.
const (
	ModeLive = "live"
	ModeSim  = "sim"
)

// Attempt is one HTTP attempt (or, in the simulator, one virtual attempt). Times are offsets
// since the run started. The attempts.jsonl keys and units are the contract (sent_s in seconds,
// latency_ms in milliseconds, …): keys may be added, never renamed; the log keeps whole
// microseconds (whole milliseconds for retry waits and the server date).
type Attempt struct {
	Run      string // phase or strategy label
	Mode     string // ModeLive or ModeSim
	Strategy string // backoff strategy name, "" outside compare
	Phase    string // probe phase (e.g. "ramp", "burst", "sustain"), "" outside probe
	Fleet    int    // number of clients in this run segment (sweep point), 0 when open-model

	Client  int   // client index, 0-based (0 for open-model traffic)
	Request int64 // logical request id, unique within the run
	Number  int   // 1-based attempt number within the logical request

	Scheduled time.Duration // when the attempt was due (for attempt 1, the logical request's scheduled time)
	Sent      time.Duration // when it was actually sent
	Latency   time.Duration // send to end of response body
	Status    int           // HTTP status, 0 on transport error
	Error     string        // transport or decoding error, "" when none
	// ContentType is the media type of a failed response's body (status neither 2xx nor 429),
	// without parameters: "text/html" from a proxy's error page tells it from the API's JSON.
	ContentType string

	InputTokens  int64 // usage reported by the server (0 when unknown)
	OutputTokens int64
	MaxTokens    int64 // the request's max_tokens, 0 when not applicable
	// CacheReadTokens and CacheCreationTokens are the prompt tokens read from and written to
	// the provider's prompt cache (Anthropic's cache_read_input_tokens and
	// cache_creation_input_tokens, which InputTokens excludes; OpenAI's cached_tokens, which
	// InputTokens includes).
	CacheReadTokens     int64
	CacheCreationTokens int64

	RetryAfter    time.Duration // retry-after the client read, valid when HasRetryAfter
	HasRetryAfter bool
	ShouldRetry   int8 // x-should-retry: +1, -1, 0 absent
	// RetryHint is a wait the error body named (Gemini's retryDelay, OpenAI's "try again in
	// 128ms"), valid when HasRetryHint; header-reading clients do not see it.
	RetryHint    time.Duration
	HasRetryHint bool
	// Terminal is the terminal cause the error body named (daily-quota, insufficient-quota,
	// spend-cap, request-too-large), "" when none.
	Terminal string
	Final    bool // no further attempt followed for this logical request
	// GaveUp says why the logical request ended without success, on its final attempt ("" when
	// it succeeded): the strategy's or the engine's reason, e.g. "max attempts 3 reached".
	GaveUp         string
	ServerDate     time.Time // the Date header (whole seconds in HTTP), valid when HasServerDate
	HasServerDate  bool
	Dialect        ratelimit.Dialect
	Limits         [ratelimit.NumDimensions]ratelimit.State
	MalformedHdrs  int  // rate-limit header values present but unreadable
	ClientRejected bool // the strategy refused to send (local throttling); no HTTP attempt was made

	// Observed marks an attempt `ratelab proxy` recorded from an application's own traffic.
	Observed bool
	Model    string // the request's model, "" when not recorded
	ClientID string // observed traffic: a hash of the API key and the caller's client header
	// Stream fields, written only for a streamed request (Stream true). TTFT is send to the
	// first content delta (valid when HasTTFT); StreamDuration send to the last event; StreamEvents
	// the events read; StreamError the kind of a mid-stream failure ("overloaded_error",
	// "closed", "stalled", …), "" when the stream completed.
	Stream         bool
	TTFT           time.Duration
	HasTTFT        bool
	StreamDuration time.Duration
	StreamEvents   int
	StreamError    string
}

// SetLimits copies the rate-limit content of a parsed response into the attempt.
func (a *Attempt) SetLimits(s *ratelimit.Snapshot) {
	a.Dialect = s.Dialect
	a.Limits = s.Dims
	a.MalformedHdrs = s.Malformed
	if s.HasRetryAfter {
		a.RetryAfter = s.RetryAfter
		a.HasRetryAfter = true
	}
	a.ShouldRetry = s.ShouldRetry
	if s.HasBodyRetryAfter {
		a.RetryHint, a.HasRetryHint = s.BodyRetryAfter, true
	}
	a.Terminal = s.Terminal
	if s.HasServerDate {
		a.ServerDate = s.ServerDate
		a.HasServerDate = true
	}
}

// Outcome classes of an attempt.
const (
	OutcomeOK          = "ok"
	OutcomeRateLimited = "rate_limited"
	OutcomeOverloaded  = "overloaded"
	OutcomeError       = "error"
	// OutcomeStreamError is a 2xx whose stream failed after the status (Attempt.StreamError).
	OutcomeStreamError = "stream_error"
)

// Outcome classifies the attempt: ok (2xx), stream_error (a 2xx whose stream failed mid-way),
// rate_limited (429), overloaded (529 or 503) or error.
func (a *Attempt) Outcome() string {
	switch {
	case a.Status >= 200 && a.Status < 300 && a.StreamError != "":
		return OutcomeStreamError
	case a.Status >= 200 && a.Status < 300:
		return OutcomeOK
	case a.Status == 429:
		return OutcomeRateLimited
	case a.Status == 529 || a.Status == 503:
		return OutcomeOverloaded
	default:
		return OutcomeError
	}
}

// Seconds is d in float seconds, for arithmetic that needs floats (fits, means, charts). For a
// time read from attempts.jsonl (whole microseconds) it is exactly the number the log holds,
// which d.Seconds() need not be (it adds whole and fractional seconds in two roundings).
func Seconds(d time.Duration) float64 { return float64(d) / 1e9 }

// Millis is d in float milliseconds, exactly the logged number for whole microseconds.
func Millis(d time.Duration) float64 { return float64(d) / 1e6 }

// End is when the attempt's response ended, since the run started.
func (a *Attempt) End() time.Duration { return a.Sent + a.Latency }

// AppendJSON appends the attempt as one JSON object (no newline) to buf. It is the fast path
// used by the recorder; MarshalJSON wraps it.
func (a *Attempt) AppendJSON(buf []byte) []byte {
	buf = append(buf, `{"run":`...)
	buf = appendString(buf, a.Run)
	buf = appendOptString(buf, `,"mode":`, a.Mode)
	buf = appendOptString(buf, `,"strategy":`, a.Strategy)
	buf = appendOptString(buf, `,"phase":`, a.Phase)
	buf = appendOptInt(buf, `,"fleet":`, int64(a.Fleet))
	buf = appendInt(buf, `,"client":`, int64(a.Client))
	buf = appendInt(buf, `,"request":`, a.Request)
	buf = appendInt(buf, `,"attempt":`, int64(a.Number))
	buf = append(buf, `,"scheduled_s":`...)
	buf = appendMicros(buf, a.Scheduled, 6)
	buf = append(buf, `,"sent_s":`...)
	buf = appendMicros(buf, a.Sent, 6)
	buf = append(buf, `,"latency_ms":`...)
	buf = appendMicros(buf, a.Latency, 3)
	buf = appendInt(buf, `,"status":`, int64(a.Status))
	buf = appendOptString(buf, `,"error":`, a.Error)
	buf = appendOptString(buf, `,"content_type":`, a.ContentType)
	buf = appendInt(buf, `,"input_tokens":`, a.InputTokens)
	buf = appendInt(buf, `,"output_tokens":`, a.OutputTokens)
	buf = appendOptInt(buf, `,"max_tokens":`, a.MaxTokens)
	buf = append(buf, `,"retry_after_s":`...)
	if a.HasRetryAfter {
		buf = appendMillis(buf, a.RetryAfter)
	} else {
		buf = append(buf, "null"...)
	}
	if a.ShouldRetry != 0 {
		buf = append(buf, `,"should_retry":`...)
		buf = strconv.AppendBool(buf, a.ShouldRetry > 0)
	}
	if a.Final {
		buf = append(buf, `,"final":true`...)
	}
	buf = appendOptString(buf, `,"gave_up":`, a.GaveUp)
	if a.ClientRejected {
		buf = append(buf, `,"client_rejected":true`...)
	}
	buf = append(buf, `,"limits":{`...)
	first := true
	for d := ratelimit.Dimension(0); d < ratelimit.NumDimensions; d++ {
		s := a.Limits[d]
		if !s.Present() {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, d.String()...)
		buf = append(buf, `":{`...)
		inner := false
		sep := func() {
			if inner {
				buf = append(buf, ',')
			}
			inner = true
		}
		if s.Flags&ratelimit.HasLimit != 0 {
			sep()
			buf = appendInt(buf, `"limit":`, s.Limit)
		}
		if s.Flags&ratelimit.HasRemaining != 0 {
			sep()
			buf = appendInt(buf, `"remaining":`, s.Remaining)
		}
		if s.Flags&ratelimit.HasReset != 0 {
			sep()
			buf = append(buf, `"reset_s":`...)
			buf = appendFloat(buf, s.Reset.Seconds(), 3)
			if s.ResetKind != ratelimit.ResetUnknown {
				buf = append(buf, `,"reset_kind":"`...)
				buf = append(buf, s.ResetKind.String()...)
				buf = append(buf, '"')
			}
		}
		if s.Flags&ratelimit.HasWindow != 0 {
			sep()
			buf = append(buf, `"window_s":`...)
			buf = appendFloat(buf, s.Window.Seconds(), 3)
		}
		sep()
		buf = append(buf, `"dialect":"`...)
		buf = append(buf, a.Dialect.String()...)
		buf = append(buf, `"}`...)
	}
	buf = append(buf, '}')
	if a.HasServerDate {
		buf = append(buf, `,"server_date_s":`...)
		buf = appendFixed(buf, unixMilli(a.ServerDate), 3)
	}
	buf = appendOptInt(buf, `,"malformed_headers":`, int64(a.MalformedHdrs))
	buf = appendOptString(buf, `,"model":`, a.Model)
	buf = appendOptString(buf, `,"client_id":`, a.ClientID)
	if a.Observed {
		buf = append(buf, `,"observed":true`...)
	}
	if a.Stream {
		buf = a.appendStream(buf)
	}
	if a.HasRetryHint {
		buf = append(buf, `,"retry_hint_s":`...)
		buf = appendMillis(buf, a.RetryHint)
	}
	buf = appendOptString(buf, `,"terminal":`, a.Terminal)
	buf = appendOptInt(buf, `,"cache_read_input_tokens":`, a.CacheReadTokens)
	buf = appendOptInt(buf, `,"cache_creation_input_tokens":`, a.CacheCreationTokens)
	return append(buf, '}')
}

// appendStream writes the stream fields, every one of them (ttft_ms null when no content
// arrived), so a reader can tell a streamed attempt by its keys.
func (a *Attempt) appendStream(buf []byte) []byte {
	buf = append(buf, `,"stream":true,"ttft_ms":`...)
	if a.HasTTFT {
		buf = appendMicros(buf, a.TTFT, 3)
	} else {
		buf = append(buf, "null"...)
	}
	buf = append(buf, `,"stream_ms":`...)
	buf = appendMicros(buf, a.StreamDuration, 3)
	buf = appendInt(buf, `,"stream_events":`, int64(a.StreamEvents))
	buf = append(buf, `,"stream_error":`...)
	return appendString(buf, a.StreamError)
}

// MarshalJSON implements json.Marshaler with the attempts.jsonl field names.
func (a Attempt) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// secondsToDuration and msToDuration read a logged number back into a duration, to the
// nanosecond (saturating far outside any run's range).
func secondsToDuration(s float64) time.Duration { return scaled(s, float64(time.Second)) }

func msToDuration(ms float64) time.Duration { return scaled(ms, float64(time.Millisecond)) }

func scaled(v, unit float64) time.Duration {
	ns := math.Round(v * unit)
	switch {
	case ns != ns: // NaN
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}

// secondsToTime reads logged Unix seconds (three decimals) back into a time, to the millisecond.
func secondsToTime(s float64) time.Time {
	return time.UnixMilli(int64(scaled(s, 1e3))).UTC()
}

// unixMilli is t in whole Unix milliseconds, rounded.
func unixMilli(t time.Time) int64 { return t.Round(time.Millisecond).UnixMilli() }

// appendInt writes key (`,"name":`) and n.
func appendInt(buf []byte, key string, n int64) []byte {
	return strconv.AppendInt(append(buf, key...), n, 10)
}

// appendOptInt writes key and n unless n is 0 (a field omitted when zero).
func appendOptInt(buf []byte, key string, n int64) []byte {
	if n == 0 {
		return buf
	}
	return appendInt(buf, key, n)
}

// appendOptString writes key and v unless v is empty (a field omitted when empty).
func appendOptString(buf []byte, key, v string) []byte {
	if v == "" {
		return buf
	}
	return appendString(append(buf, key...), v)
}

// appendMicros writes d in whole microseconds as seconds (dec 6) or milliseconds (dec 3).
func appendMicros(buf []byte, d time.Duration, dec int) []byte {
	return appendFixed(buf, int64(d.Round(time.Microsecond)/time.Microsecond), dec)
}

// appendMillis writes d in whole milliseconds as seconds with three decimals.
func appendMillis(buf []byte, d time.Duration) []byte {
	return appendFixed(buf, int64(d.Round(time.Millisecond)/time.Millisecond), 3)
}

// appendFixed writes n/10^dec in decimal without trailing zeros or a bare point (12, 12.5,
// 12.000001): the text strconv's shortest float form gives for the same value, so logs written
// from float seconds re-encode unchanged.
func appendFixed(buf []byte, n int64, dec int) []byte {
	u := uint64(n)
	if n < 0 {
		buf = append(buf, '-')
		u = -u
	}
	var pow uint64 = 1
	for range dec {
		pow *= 10
	}
	buf = strconv.AppendUint(buf, u/pow, 10)
	frac := u % pow
	if frac == 0 {
		return buf
	}
	for frac%10 == 0 {
		frac /= 10
		dec--
	}
	var digits [20]byte
	for i := dec - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	buf = append(buf, '.')
	return append(buf, digits[:dec]...)
}

// appendFloat writes f with at most prec decimals and no trailing zeros; NaN and ±Inf (never
// expected) are written as 0 so the line stays valid JSON.
func appendFloat(buf []byte, f float64, prec int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(buf, '0')
	}
	return AppendRounded(buf, f, prec)
}

// appendString appends s as a JSON string.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			buf = append(buf, fmt.Sprintf(`\u%04x`, r)...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// CompareSent orders attempts by their send time, for sorting a log into the order attempts
// were sent (slices.SortStableFunc keeps simultaneous ones in log order).
func CompareSent(a, b Attempt) int {
	switch {
	case a.Sent < b.Sent:
		return -1
	case a.Sent > b.Sent:
		return 1
	}
	return 0
}
