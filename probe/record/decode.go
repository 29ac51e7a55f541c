package record

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/ratelab/ratelab/probe/ratelimit"
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
)

var attemptKeys = []string{"run", "mode", "strategy", "phase", "fleet", "client", "request", "attempt",
	"scheduled_s", "sent_s", "latency_ms", "status", "error", "input_tokens", "output_tokens", "max_tokens",
	"retry_after_s", "should_retry", "final", "client_rejected", "limits", "server_date_s", "malformed_headers",
	"content_type", "gave_up"}

var limitKeys = []string{"limit", "remaining", "reset_s", "reset_kind", "window_s", "dialect"}

// maxSkipDepth bounds the nesting of skipped unknown values (encoding/json allows 10,000; deeper
// input goes to the slow path, which reports it).
const maxSkipDepth = 500

// scanner walks one JSON document. Every method returns false when the input is not something
// the fast path reproduces exactly.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips whitespace and returns the next byte (0 at the end).
func (s *scanner) next() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) consume(c byte) bool {
	if s.next() == c {
		s.i++
		return true
	}
	return false
}

// literal consumes word (true, false, null).
func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	return s.next() == 'n' && s.literal("null")
}

// str reads a string without escapes, valid UTF-8, and returns its bytes (aliasing the input).
func (s *scanner) str() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	start := s.i
	high := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			if high && !utf8.Valid(v) {
				return nil, false // encoding/json replaces invalid bytes with U+FFFD
			}
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			high = true
		}
		s.i++
	}
	return nil, false
}

// number reads a JSON number literal and reports whether it is an integer (no fraction or exponent).
func (s *scanner) number() (lit []byte, integer bool, ok bool) {
	s.ws()
	start := s.i
	b := s.b
	if s.i < len(b) && b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(b) && b[s.i] == '0':
		s.i++
	case s.i < len(b) && b[s.i] >= '1' && b[s.i] <= '9':
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
	default:
		return nil, false, false
	}
	integer = true
	if s.i < len(b) && b[s.i] == '.' {
		integer = false
		s.i++
		d := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
		if s.i == d {
			return nil, false, false
		}
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		integer = false
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		d := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
		if s.i == d {
			return nil, false, false
		}
	}
	return b[start:s.i], integer, true
}

// int64 reads an integer literal that fits in an int64.
func (s *scanner) int64() (int64, bool) {
	lit, integer, ok := s.number()
	if !ok || !integer {
		return 0, false
	}
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range lit {
		u = u*10 + uint64(c-'0')
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	case neg && u <= 1<<63:
		return -int64(u), true
	}
	return 0, false
}

// float reads a number literal as encoding/json does (strconv.ParseFloat, 64 bits).
func (s *scanner) float() (float64, bool) {
	lit, _, ok := s.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	return f, err == nil
}

// boolean reads true or false.
func (s *scanner) boolean() (bool, bool) {
	switch s.next() {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, false
}

// skip validates and skips any value (used for unknown keys).
func (s *scanner) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch s.next() {
	case '{':
		s.i++
		if s.consume('}') {
			return true
		}
		for {
			if s.next() != '"' || !s.skipString() || !s.consume(':') || !s.skip(depth+1) {
				return false
			}
			if s.consume(',') {
				continue
			}
			return s.consume('}')
		}
	case '[':
		s.i++
		if s.consume(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.consume(',') {
				continue
			}
			return s.consume(']')
		}
	case '"':
		return s.skipString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		_, _, ok := s.number()
		return ok
	}
}

// skipString skips a string, validating its escapes (its bytes are not kept, so UTF-8 validity
// does not matter, as for encoding/json).
func (s *scanner) skipString() bool {
	s.i++ // opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if s.i+4 >= len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
		s.i++
	}
	return false
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
	s := scanner{b: data}
	if !s.consume('{') {
		return false
	}
	var seen uint32
	dialectSet := false
	if !s.consume('}') {
		for {
			key, ok := s.str()
			if !ok || !s.consume(':') {
				return false
			}
			var bit uint32
			switch string(key) {
			case "run":
				bit, ok = kRun, s.strField(&a.Run)
			case "mode":
				bit, ok = kMode, s.strField(&a.Mode)
			case "strategy":
				bit, ok = kStrategy, s.strField(&a.Strategy)
			case "phase":
				bit, ok = kPhase, s.strField(&a.Phase)
			case "error":
				bit, ok = kError, s.strField(&a.Error)
			case "content_type":
				bit, ok = kContentType, s.strField(&a.ContentType)
			case "gave_up":
				bit, ok = kGaveUp, s.strField(&a.GaveUp)
			case "fleet":
				bit, ok = kFleet, s.intField(&a.Fleet)
			case "client":
				bit, ok = kClient, s.intField(&a.Client)
			case "attempt":
				bit, ok = kAttempt, s.intField(&a.Attempt)
			case "status":
				bit, ok = kStatus, s.intField(&a.Status)
			case "malformed_headers":
				bit, ok = kMalformed, s.intField(&a.MalformedHdrs)
			case "request":
				bit, ok = kRequest, s.int64Field(&a.Request)
			case "input_tokens":
				bit, ok = kInput, s.int64Field(&a.InputTokens)
			case "output_tokens":
				bit, ok = kOutput, s.int64Field(&a.OutputTokens)
			case "max_tokens":
				bit, ok = kMaxTokens, s.int64Field(&a.MaxTokens)
			case "scheduled_s":
				bit, ok = kScheduled, s.floatField(&a.ScheduledS)
			case "sent_s":
				bit, ok = kSent, s.floatField(&a.SentS)
			case "latency_ms":
				bit, ok = kLatency, s.floatField(&a.LatencyMs)
			case "retry_after_s":
				bit = kRetryAfter
				if !s.null() {
					a.RetryAfterS, ok = s.float()
					a.HasRetryAfter = true
				}
			case "server_date_s":
				bit = kServerDate
				if !s.null() {
					a.ServerDateS, ok = s.float()
					a.HasServerDate = true
				}
			case "should_retry":
				bit = kShouldRetry
				if !s.null() {
					var v bool
					v, ok = s.boolean()
					a.ShouldRetry = -1
					if v {
						a.ShouldRetry = 1
					}
				}
			case "final":
				bit, ok = kFinal, s.boolField(&a.Final)
			case "client_rejected":
				bit, ok = kClientRejected, s.boolField(&a.ClientRejected)
			case "limits":
				bit = kLimits
				ok = s.limits(a, &dialectSet)
			default:
				if foldsTo(key, attemptKeys) {
					return false
				}
				ok = s.skip(0)
			}
			if !ok || seen&bit != 0 {
				return false
			}
			seen |= bit
			if s.consume(',') {
				continue
			}
			if !s.consume('}') {
				return false
			}
			break
		}
	}
	s.ws()
	return s.i == len(s.b)
}

// The field readers leave the field untouched on null, as encoding/json does for non-pointers.

func (s *scanner) strField(dst *string) bool {
	if s.null() {
		return true
	}
	v, ok := s.str()
	*dst = string(v)
	return ok
}

func (s *scanner) intField(dst *int) bool {
	if s.null() {
		return true
	}
	v, ok := s.int64()
	*dst = int(v)
	return ok && int64(int(v)) == v
}

func (s *scanner) int64Field(dst *int64) bool {
	if s.null() {
		return true
	}
	v, ok := s.int64()
	*dst = v
	return ok
}

func (s *scanner) floatField(dst *float64) bool {
	if s.null() {
		return true
	}
	v, ok := s.float()
	*dst = v
	return ok
}

func (s *scanner) boolField(dst *bool) bool {
	if s.null() {
		return true
	}
	v, ok := s.boolean()
	*dst = v
	return ok
}

// limits reads the limits object: dimension name → state. Unknown dimensions are validated like
// known ones (encoding/json decodes every entry) and then dropped. Duplicate dimensions and
// known dimensions naming different dialects go to the slow path (the map's random iteration
// order decides the dialect there).
func (s *scanner) limits(a *Attempt, dialectSet *bool) bool {
	if s.null() {
		return true
	}
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	var seenDims uint8
	for {
		name, ok := s.str()
		if !ok || !s.consume(':') {
			return false
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
		if s.consume(',') {
			continue
		}
		return s.consume('}')
	}
}

// limitState reads one dimension's object (or null, the zero state).
func (s *scanner) limitState() (st ratelimit.State, dialect []byte, ok bool) {
	if s.null() {
		return st, nil, true
	}
	if !s.consume('{') {
		return st, nil, false
	}
	if s.consume('}') {
		return st, nil, true
	}
	var seen uint8
	var resetS float64
	var hasReset bool
	var resetKind []byte
	for {
		key, ok := s.str()
		if !ok || !s.consume(':') {
			return st, nil, false
		}
		var bit uint8
		switch string(key) {
		case "limit":
			bit = 1
			if !s.null() {
				st.Limit, ok = s.int64()
				st.Flags |= ratelimit.HasLimit
			}
		case "remaining":
			bit = 2
			if !s.null() {
				st.Remaining, ok = s.int64()
				st.Flags |= ratelimit.HasRemaining
			}
		case "reset_s":
			bit = 4
			if !s.null() {
				resetS, ok = s.float()
				hasReset = true
			}
		case "reset_kind":
			bit = 8
			if !s.null() {
				resetKind, ok = s.str()
			}
		case "window_s":
			bit = 16
			if !s.null() {
				var w float64
				w, ok = s.float()
				st.Window, st.Flags = secondsToDuration(w), st.Flags|ratelimit.HasWindow
			}
		case "dialect":
			bit = 32
			if !s.null() {
				dialect, ok = s.str()
			}
		default:
			if foldsTo(key, limitKeys) {
				return st, nil, false
			}
			ok = s.skip(1)
		}
		if !ok || seen&bit != 0 {
			return st, nil, false
		}
		seen |= bit
		if s.consume(',') {
			continue
		}
		if !s.consume('}') {
			return st, nil, false
		}
		break
	}
	if hasReset {
		st.Reset, st.Flags = secondsToDuration(resetS), st.Flags|ratelimit.HasReset
		st.ResetKind = ratelimit.ParseResetKind(string(resetKind))
	}
	return st, dialect, true
}
