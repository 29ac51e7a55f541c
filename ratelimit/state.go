// Package ratelimit turns the rate-limit headers of an HTTP response into one normalized,
// per-dimension state (limit, remaining, time until reset, retry-after), whatever dialect the
// server speaks, and writes that state back out in any dialect. The probe reads every response
// through Parse; the mock server writes every response through Write, so both ends agree.
package ratelimit

import (
	"slices"
	"time"
)

// Dimension names one budget a server meters: requests, or tokens of some kind.
type Dimension uint8

// The dimensions ratelab tracks. Their String forms are the names used in attempt records and
// summary.json.
const (
	Requests Dimension = iota
	Tokens
	InputTokens
	OutputTokens
	// NumDimensions is the number of dimensions; a Snapshot holds one State per dimension.
	NumDimensions
)

var dimensionNames = [NumDimensions]string{"requests", "tokens", "input_tokens", "output_tokens"}

// String returns the dimension's record name: requests, tokens, input_tokens or output_tokens.
func (d Dimension) String() string { return enumName(dimensionNames[:], d) }

// ParseDimension maps a record name back to its Dimension.
func ParseDimension(s string) (Dimension, bool) { return enumLookup[Dimension](dimensionNames[:], s) }

// Dialect names a family of rate-limit headers.
type Dialect uint8

// The dialects ratelab reads and writes.
const (
	// DialectNone means no rate-limit headers were seen (or, for the mock, none are sent).
	DialectNone Dialect = iota
	// DialectAnthropic is anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset},
	// reset as an RFC 3339 instant when the budget is fully replenished.
	DialectAnthropic
	// DialectOpenAI is x-ratelimit-{limit,remaining,reset}-{requests,tokens}, reset as a Go duration.
	DialectOpenAI
	// DialectIETF is the structured RateLimit-Policy / RateLimit fields of
	// draft-ietf-httpapi-ratelimit-headers -08 and later.
	DialectIETF
	// DialectIETFLegacy is the split RateLimit-Limit / -Remaining / -Reset fields of drafts up to -06
	// (and the -07 RateLimit dictionary when read).
	DialectIETFLegacy
	// DialectXRateLimit is the GitHub-style X-RateLimit-* (or X-Rate-Limit-*) family, reset as epoch seconds.
	DialectXRateLimit
	numDialects
)

var dialectNames = [numDialects]string{"none", "anthropic", "openai", "ietf", "ietf-legacy", "x-ratelimit"}

// String returns the dialect's flag and record name.
func (d Dialect) String() string { return enumName(dialectNames[:], d) }

// ParseDialect maps a flag value (none, anthropic, openai, ietf, ietf-legacy, x-ratelimit) to a Dialect.
func ParseDialect(s string) (Dialect, bool) { return enumLookup[Dialect](dialectNames[:], s) }

// enumName is e's name in names, "unknown" past its end.
func enumName[E ~uint8](names []string, e E) string {
	if int(e) < len(names) {
		return names[e]
	}
	return "unknown"
}

// enumLookup maps a name in names back to its value.
func enumLookup[E ~uint8](names []string, s string) (E, bool) {
	if i := slices.Index(names, s); i >= 0 {
		return E(i), true
	}
	return 0, false
}

// Dialects lists every dialect name, for help texts and error messages.
func Dialects() []string { return dialectNames[:] }

// ResetKind records how a reset value was read, so analysis can tell a precise delta from a
// one-second-resolution timestamp.
type ResetKind uint8

// The readings of a reset value.
const (
	ResetUnknown  ResetKind = iota
	ResetRFC3339            // an absolute RFC 3339 instant (Anthropic)
	ResetDuration           // a Go duration string such as 6m0s or 2s81ms (OpenAI)
	ResetEpochS             // Unix epoch seconds (GitHub, X-RateLimit)
	ResetEpochMS            // Unix epoch milliseconds
	ResetDeltaS             // delay-seconds (IETF t=, legacy RateLimit-Reset)
	ResetHTTPDate           // an HTTP-date (IMF-fixdate, RFC 850 or asctime)
	numResetKinds
)

var resetKindNames = [numResetKinds]string{"", "rfc3339", "duration", "epoch-s", "epoch-ms", "delta-s", "http-date"}

// String returns the reading's record name ("" when unknown).
func (k ResetKind) String() string {
	if k < numResetKinds {
		return resetKindNames[k]
	}
	return ""
}

// ParseResetKind maps a record name back to its ResetKind.
func ParseResetKind(s string) ResetKind {
	for i, n := range resetKindNames {
		if n == s {
			return ResetKind(i)
		}
	}
	return ResetUnknown
}

// Field flags say which members of a State were present in the response.
const (
	HasLimit uint8 = 1 << iota
	HasRemaining
	HasReset
	HasWindow
)

// State is what one response said about one dimension. Flags says which fields are present;
// absent fields are zero and must not be read as zero.
type State struct {
	Limit     int64         // advertised quota (per window, or bucket capacity)
	Remaining int64         // quota left
	Reset     time.Duration // time until reset (Anthropic: until fully replenished), measured against the server's Date when the value was absolute
	Window    time.Duration // policy window when the dialect states one (IETF w=)
	ResetKind ResetKind
	Flags     uint8
}

// Has reports whether every flag in f is set.
func (s State) Has(f uint8) bool { return s.Flags&f == f }

// Present reports whether the response said anything about this dimension.
func (s State) Present() bool { return s.Flags != 0 }

// Snapshot is the normalized rate-limit content of one response.
type Snapshot struct {
	Dims    [NumDimensions]State
	Dialect Dialect // the dialect the limit headers were read from (DialectNone if none)

	RetryAfter    time.Duration // from retry-after-ms or Retry-After, clamped at 0
	HasRetryAfter bool

	// ShouldRetry is the x-should-retry header: +1 true, -1 false, 0 absent.
	ShouldRetry int8

	// BodyRetryAfter is a wait the error body names (Gemini's RetryInfo retryDelay, OpenAI's
	// "try again in 128ms"), valid when HasBodyRetryAfter. Parse reads headers only and leaves
	// it zero; the caller that reads the body sets it (api.ErrorHint). SDKs that read only
	// headers do not see it.
	BodyRetryAfter    time.Duration
	HasBodyRetryAfter bool
	// Terminal names a quota no retry inside a run can outlast, read from the body (the
	// Terminal* causes: daily-quota, insufficient-quota, spend-cap, request-too-large);
	// "" when none.
	Terminal string

	ServerDate    time.Time // the Date header, zero when absent or malformed
	HasServerDate bool

	// Malformed counts header values that were present but could not be read; they are ignored.
	Malformed int

	// Rounding is how Write rounds resets and token remaining values (a mock imitating a
	// server's precision); Parse leaves it zero.
	Rounding Rounding
}

// Hint returns the server's wait wherever it was said: retry-after-ms or Retry-After, else the
// error body's (BodyRetryAfter).
func (s *Snapshot) Hint() (time.Duration, bool) {
	if s.HasRetryAfter {
		return s.RetryAfter, true
	}
	return s.BodyRetryAfter, s.HasBodyRetryAfter
}

// Dim returns the state of dimension d.
func (s *Snapshot) Dim(d Dimension) State { return s.Dims[d] }
