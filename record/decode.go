package record

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ratelab/ratelab/internal/jsonscan"
	"github.com/ratelab/ratelab/ratelimit"
)

// decodeJSON reads one attempts.jsonl object into a, exactly as UnmarshalJSON would, but several
// times faster on the lines ratelab writes: a hand-rolled single pass with no reflection and no
// allocation but the strings kept. Whenever the line holds anything the fast path does not
// reproduce exactly — a string escape, invalid UTF-8, a key that matches a field only
// case-insensitively, a duplicate key, a number of the wrong kind, a type mismatch, a syntax
// error, limits with differing dialects — it defers to UnmarshalJSON, so results and error
// messages are always encoding/json's (FuzzDecodeJSON checks this).
func (a *Attempt) decodeJSON(data []byte) error {
	var fast Attempt
	if decodeFast(&fast, data) {
		*a = fast
		return nil
	}
	return a.UnmarshalJSON(data)
}

// Top-level keys, as bits for duplicate detection.
const (
	kRun = 1 << iota
	kMode
	kStrategy
	kPhase
	kFleet
	kClient
	kRequest
	kAttempt
	kScheduled
	kSent
	kLatency
	kStatus
	kError
	kInput
	kOutput
	kMaxTokens
	kRetryAfter
	kShouldRetry
	kFinal
	kClientRejected
	kLimits
	kServerDate
	kMalformed
	kContentType
	kGaveUp
	kModel
	kClientID
	kObserved
	kStream
	kTTFT
	kStreamMs
	kStreamEvents
	kStreamError
	kRetryHint
	kTerminal
	kCacheRead
	kCacheCreation
)

var attemptKeys = []string{"run", "mode", "strategy", "phase", "fleet", "client", "request", "attempt",
	"scheduled_s", "sent_s", "latency_ms", "status", "error", "input_tokens", "output_tokens", "max_tokens",
	"retry_after_s", "should_retry", "final", "client_rejected", "limits", "server_date_s", "malformed_headers",
	"content_type", "gave_up", "model", "client_id", "observed", "stream", "ttft_ms", "stream_ms", "stream_events",
	"stream_error", "retry_hint_s", "terminal", "cache_read_input_tokens", "cache_creation_input_tokens"}

var limitKeys = []string{"limit", "remaining", "reset_s", "reset_kind", "window_s", "dialect"}

// scanner reads one attempts.jsonl line for the fast path: a jsonscan.Scanner whose readers
// return false for anything the fast path does not reproduce exactly (escapes, invalid UTF-8,
// numbers of the wrong kind), so that the caller defers to encoding/json.
type scanner struct {
	jsonscan.Scanner
}

// str reads a string without escapes, valid UTF-8, and returns its bytes (aliasing the input).
func (s *scanner) str() ([]byte, bool) {
	raw, n, ok := s.Str()
	// An escape always unescapes shorter; encoding/json replaces invalid UTF-8 with U+FFFD.
	return raw, ok && n == len(raw) && utf8.Valid(raw)
}

// int64 reads an integer literal that fits in an int64.
func (s *scanner) int64() (int64, bool) {
	lit, ok := s.Number()
	if !ok {
		return 0, false
	}
	return jsonscan.Int(lit)
}

// float reads a number literal as encoding/json does (strconv.ParseFloat, 64 bits).
func (s *scanner) float() (float64, bool) {
	lit, ok := s.Number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	return f, err == nil
}

// foldsTo reports whether key could match one of known under encoding/json's case-insensitive
// field matching: any non-ASCII byte counts as a possible match (Unicode folding, e.g. 'ſ' and
// 'K' (Kelvin)), so the caller defers to encoding/json.
func foldsTo(key []byte, known []string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	for _, k := range known {
		if len(k) != len(key) {
			continue
		}
		eq := true
		for i := range key {
			c := key[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != k[i] {
				eq = false
				break
			}
		}
		if eq {
			return true
		}
	}
	return false
}

// decodeFast is the fast path of decodeJSON into a zero Attempt; false means "use encoding/json".
func decodeFast(a *Attempt, data []byte) bool {
	var s scanner
	s.Reset(data)
	if !s.BeginObject() {
		return false
	}
	var seen uint64
	dialectSet := false
	for first := true; ; {
		key, done, ok := s.member(&first)
		if done || !ok {
			return ok && s.End()
		}
		// A null leaves the field untouched, as encoding/json does for non-pointers.
		null := s.Null()
		var bit uint64
		switch string(key) {
		case "run":
			bit, ok = kRun, null || s.strField(&a.Run)
		case "mode":
			bit, ok = kMode, null || s.strField(&a.Mode)
		case "strategy":
			bit, ok = kStrategy, null || s.strField(&a.Strategy)
		case "phase":
			bit, ok = kPhase, null || s.strField(&a.Phase)
		case "error":
			bit, ok = kError, null || s.strField(&a.Error)
		case "content_type":
			bit, ok = kContentType, null || s.strField(&a.ContentType)
		case "gave_up":
			bit, ok = kGaveUp, null || s.strField(&a.GaveUp)
		case "model":
			bit, ok = kModel, null || s.strField(&a.Model)
		case "client_id":
			bit, ok = kClientID, null || s.strField(&a.ClientID)
		case "observed":
			bit, ok = kObserved, null || s.boolField(&a.Observed)
		case "terminal":
			bit, ok = kTerminal, null || s.strField(&a.Terminal)
		case "cache_read_input_tokens":
			bit, ok = kCacheRead, null || s.int64Field(&a.CacheReadTokens)
		case "cache_creation_input_tokens":
			bit, ok = kCacheCreation, null || s.int64Field(&a.CacheCreationTokens)
		case "retry_hint_s":
			bit, ok = kRetryHint, null || s.durField(&a.RetryHint, float64(time.Second))
			a.HasRetryHint = !null
		case "fleet":
			bit, ok = kFleet, null || s.intField(&a.Fleet)
		case "client":
			bit, ok = kClient, null || s.intField(&a.Client)
		case "attempt":
			bit, ok = kAttempt, null || s.intField(&a.Number)
		case "status":
			bit, ok = kStatus, null || s.intField(&a.Status)
		case "malformed_headers":
			bit, ok = kMalformed, null || s.intField(&a.MalformedHdrs)
		case "request":
			bit, ok = kRequest, null || s.int64Field(&a.Request)
		case "input_tokens":
			bit, ok = kInput, null || s.int64Field(&a.InputTokens)
		case "output_tokens":
			bit, ok = kOutput, null || s.int64Field(&a.OutputTokens)
		case "max_tokens":
			bit, ok = kMaxTokens, null || s.int64Field(&a.MaxTokens)
		case "scheduled_s":
			bit, ok = kScheduled, null || s.durField(&a.Scheduled, float64(time.Second))
		case "sent_s":
			bit, ok = kSent, null || s.durField(&a.Sent, float64(time.Second))
		case "latency_ms":
			bit, ok = kLatency, null || s.durField(&a.Latency, float64(time.Millisecond))
		case "retry_after_s":
			bit, ok = kRetryAfter, null || s.durField(&a.RetryAfter, float64(time.Second))
			a.HasRetryAfter = !null
		case "server_date_s":
			bit, ok = kServerDate, null || s.timeField(&a.ServerDate)
			a.HasServerDate = !null
		case "should_retry":
			bit = kShouldRetry
			if !null {
				var v bool
				v, ok = s.Bool()
				a.ShouldRetry = -1
				if v {
					a.ShouldRetry = 1
				}
			}
		case "final":
			bit, ok = kFinal, null || s.boolField(&a.Final)
		case "client_rejected":
			bit, ok = kClientRejected, null || s.boolField(&a.ClientRejected)
		case "limits":
			bit, ok = kLimits, null || s.limits(a, &dialectSet)
		case "stream":
			bit, ok = kStream, null || s.boolField(&a.Stream)
		case "ttft_ms":
			bit, ok = kTTFT, null || s.durField(&a.TTFT, float64(time.Millisecond))
			a.HasTTFT = !null
		case "stream_ms":
			bit, ok = kStreamMs, null || s.durField(&a.StreamDuration, float64(time.Millisecond))
		case "stream_events":
			bit, ok = kStreamEvents, null || s.intField(&a.StreamEvents)
		case "stream_error":
			bit, ok = kStreamError, null || s.strField(&a.StreamError)
		default:
			if foldsTo(key, attemptKeys) {
				return false
			}
			ok = null || s.Skip()
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
	}
}

// member advances to the next member of the object being read: its key, or done at the closing
// brace. ok is false on a syntax error and for a key with an escape, which encoding/json would
// unescape before matching it.
func (s *scanner) member(first *bool) (key []byte, done, ok bool) {
	key, more := s.NextMember(first)
	if !more {
		return nil, true, !s.Failed()
	}
	return key, false, bytes.IndexByte(key, '\\') < 0
}

// The field readers read a value that is not null.

func (s *scanner) strField(dst *string) bool {
	v, ok := s.str()
	*dst = string(v)
	return ok
}

func (s *scanner) intField(dst *int) bool {
	v, ok := s.int64()
	*dst = int(v)
	return ok && int64(int(v)) == v
}

func (s *scanner) int64Field(dst *int64) (ok bool) {
	*dst, ok = s.int64()
	return ok
}

func (s *scanner) floatField(dst *float64) (ok bool) {
	*dst, ok = s.float()
	return ok
}

// durField reads a number in unit (nanoseconds per logged unit) as a duration.
func (s *scanner) durField(dst *time.Duration, unit float64) bool {
	f, ok := s.float()
	*dst = scaled(f, unit)
	return ok
}

// timeField reads Unix seconds as a time, to the millisecond.
func (s *scanner) timeField(dst *time.Time) bool {
	f, ok := s.float()
	*dst = secondsToTime(f)
	return ok
}

func (s *scanner) boolField(dst *bool) (ok bool) {
	*dst, ok = s.Bool()
	return ok
}

// limits reads the limits object: dimension name → state. Unknown dimensions are validated like
// known ones (encoding/json decodes every entry) and then dropped. Duplicate dimensions and
// known dimensions naming different dialects go to the slow path (the map's random iteration
// order decides the dialect there).
func (s *scanner) limits(a *Attempt, dialectSet *bool) bool {
	if !s.BeginObject() {
		return false
	}
	var seenDims uint8
	for first := true; ; {
		name, done, ok := s.member(&first)
		if done || !ok {
			return ok
		}
		st, dialect, ok := s.limitState()
		if !ok {
			return false
		}
		if d, known := ratelimit.ParseDimension(string(name)); known {
			if seenDims&(1<<d) != 0 {
				return false
			}
			seenDims |= 1 << d
			a.Limits[d] = st
			if dl, ok := ratelimit.ParseDialect(string(dialect)); ok {
				if *dialectSet && a.Dialect != dl {
					return false
				}
				a.Dialect, *dialectSet = dl, true
			}
		}
	}
}

// limitState reads one dimension's object (or null, the zero state).
func (s *scanner) limitState() (st ratelimit.State, dialect []byte, ok bool) {
	if s.Null() {
		return st, nil, true
	}
	if !s.BeginObject() {
		return st, nil, false
	}
	var seen uint8
	var resetS float64
	var hasReset bool
	var resetKind []byte
	for first := true; ; {
		key, done, ok := s.member(&first)
		if done || !ok {
			if !ok {
				return st, nil, false
			}
			break
		}
		null := s.Null()
		var bit uint8
		switch string(key) {
		case "limit":
			bit, ok = 1, null || s.int64Field(&st.Limit)
			st.Flags |= flagIf(!null, ratelimit.HasLimit)
		case "remaining":
			bit, ok = 2, null || s.int64Field(&st.Remaining)
			st.Flags |= flagIf(!null, ratelimit.HasRemaining)
		case "reset_s":
			bit, ok = 4, null || s.floatField(&resetS)
			hasReset = !null
		case "reset_kind":
			bit = 8
			if !null {
				resetKind, ok = s.str()
			}
		case "window_s":
			bit = 16
			if !null {
				var w float64
				w, ok = s.float()
				st.Window, st.Flags = secondsToDuration(w), st.Flags|ratelimit.HasWindow
			}
		case "dialect":
			bit = 32
			if !null {
				dialect, ok = s.str()
			}
		default:
			if foldsTo(key, limitKeys) {
				return st, nil, false
			}
			ok = null || s.Skip()
		}
		if !ok || seen&bit != 0 {
			return st, nil, false
		}
		seen |= bit
	}
	if hasReset {
		st.Reset, st.Flags = secondsToDuration(resetS), st.Flags|ratelimit.HasReset
		st.ResetKind = ratelimit.ParseResetKind(string(resetKind))
	}
	return st, dialect, true
}

// flagIf returns f when cond holds, else 0.
func flagIf(cond bool, f uint8) uint8 {
	if cond {
		return f
	}
	return 0
}
