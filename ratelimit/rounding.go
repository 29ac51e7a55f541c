package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ResetRounding is how a writer rounds the reset values it writes. Its value is the
// --reset-rounding flag spelling; "" writes each dialect as its provider does.
type ResetRounding string

// The reset roundings.
const (
	// ResetAsDialect writes resets as the dialect's provider does: anthropic, ietf,
	// ietf-legacy and x-ratelimit rounded up to whole seconds, openai to the millisecond.
	ResetAsDialect ResetRounding = ""
	// ResetUp rounds resets up to whole seconds (the reset never comes before the value says).
	ResetUp ResetRounding = "up"
	// ResetTruncate truncates resets to whole seconds, as servers that format a time with
	// second resolution do: the value says up to a second early.
	ResetTruncate ResetRounding = "truncate"
	// ResetFractional writes resets to the millisecond (rounded up) where the dialect can carry
	// a fraction: an RFC 3339 instant with milliseconds (anthropic), an OpenAI duration, a
	// decimal number of seconds (ietf-legacy) or epoch seconds (x-ratelimit, as Discord
	// sends). The IETF RateLimit field's t is an Integer by the draft, so ietf rounds it up.
	ResetFractional ResetRounding = "fractional"
)

// RemainingRounding is how a writer rounds the remaining values of token dimensions (requests
// are always exact). Its value is the --remaining-rounding flag spelling; "" writes each dialect
// as its provider does: Anthropic's token remaining to the nearest thousand, every other exact.
type RemainingRounding string

// The remaining roundings.
const (
	RemainingAsDialect RemainingRounding = ""
	// RemainingExact writes token remaining exactly, in every dialect.
	RemainingExact RemainingRounding = "exact"
	// RemainingThousands rounds token remaining to the nearest thousand (halves up), in every
	// dialect, as Anthropic documents for its own.
	RemainingThousands RemainingRounding = "thousands"
)

// ResetRoundings and RemainingRoundings list the flag values.
var (
	ResetRoundings     = []ResetRounding{ResetUp, ResetTruncate, ResetFractional}
	RemainingRoundings = []RemainingRounding{RemainingExact, RemainingThousands}
)

// Rounding is how a writer rounds the values it writes, so that a mock can imitate a server's
// precision. The zero value writes every dialect as its provider does.
type Rounding struct {
	Reset     ResetRounding
	Remaining RemainingRounding
}

// ParseResetRounding validates a flag value ("" is the dialect's own).
func ParseResetRounding(s string) (ResetRounding, error) { return parseRounding(s, ResetRoundings) }

// ParseRemainingRounding validates a flag value ("" is the dialect's own).
func ParseRemainingRounding(s string) (RemainingRounding, error) {
	return parseRounding(s, RemainingRoundings)
}

func parseRounding[T ~string](s string, vals []T) (T, error) {
	if s == "" {
		return "", nil
	}
	names := make([]string, len(vals))
	for i, v := range vals {
		if string(v) == s {
			return v, nil
		}
		names[i] = string(v)
	}
	return T(s), fmt.Errorf("unknown value %q: want one of %s", s, strings.Join(names, ", "))
}

// remaining returns the remaining value of dimension dim as dialect d writes it.
func (r Rounding) remaining(d Dialect, dim Dimension, n int64) int64 {
	n = nonNegative(n)
	if dim == Requests {
		return n
	}
	switch r.Remaining {
	case RemainingThousands:
		return roundThousand(n)
	case RemainingExact:
		return n
	}
	if d == DialectAnthropic {
		return roundThousand(n)
	}
	return n
}

// resetMillis returns d in whole milliseconds as a rounding that is not fractional would leave
// it in whole seconds: rounded up to the second (ResetUp and the dialect default of every
// dialect but openai), truncated (ResetTruncate), or to the millisecond rounded up.
func (r Rounding) resetMillis(d time.Duration, dialectMillis bool) int64 {
	switch {
	case r.Reset == ResetTruncate:
		return max(int64(d/time.Second), 0) * 1000
	case r.Reset == ResetUp || (r.Reset == ResetAsDialect && !dialectMillis):
		return ceilSeconds(d) * 1000
	}
	return ceilIn(d, time.Millisecond)
}

// instantMillis returns the instant now+d (d clamped at 0) in Unix milliseconds, rounded as
// resetMillis rounds a delay: up or down to the whole second, or up to the millisecond.
func (r Rounding) instantMillis(now time.Time, d time.Duration, dialectMillis bool) int64 {
	t := now.Add(max(d, 0))
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	switch {
	case r.Reset == ResetTruncate:
		return sec * 1000
	case r.Reset == ResetUp || (r.Reset == ResetAsDialect && !dialectMillis):
		if nsec > 0 {
			sec++
		}
		return sec * 1000
	}
	return sec*1000 + (nsec+int64(time.Millisecond)-1)/int64(time.Millisecond)
}

// appendSecondsMillis appends ms milliseconds as decimal seconds: 3, 2.5, 0.037, 1767603607.37
// (no trailing zeros).
func appendSecondsMillis(b []byte, ms int64) []byte {
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		b = appendFraction(b, frac)
	}
	return b
}

// appendFraction appends the fraction frac/1000 (0 < frac < 1000) as "." and one to three
// digits, trailing zeros dropped.
func appendFraction(b []byte, frac int64) []byte {
	b = append(b, '.', byte('0'+frac/100))
	if frac%100 != 0 {
		b = append(b, byte('0'+frac/10%10))
		if frac%10 != 0 {
			b = append(b, byte('0'+frac%10))
		}
	}
	return b
}
