package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// Write sets the rate-limit fields of a response in dialect d, the way the real servers send
// them. s.Dims holds the exact state of each dimension (Reset is the time from now until the
// reset; Window is used by the IETF dialects when HasWindow is set); s.RetryAfter is written
// when s.HasRetryAfter. Other Snapshot members are ignored.
//
//   - anthropic: lower-case anthropic-ratelimit-<dim>-{limit,remaining,reset} for requests,
//     tokens, input-tokens and output-tokens; reset as the RFC 3339 UTC instant now+Reset
//     rounded up to the whole second (the instant by which the budget is fully replenished);
//     token remaining rounded to the nearest thousand as Anthropic documents (requests exact);
//     retry-after in whole seconds rounded up.
//   - openai: lower-case x-ratelimit-{limit,remaining,reset}-{requests,tokens}; reset rounded
//     up to the millisecond and written in OpenAI's duration form (see AppendOpenAIDuration);
//     retry-after in whole seconds rounded up. retry-after-ms is not written: it is sent by
//     Azure OpenAI, not documented for api.openai.com.
//   - ietf: RateLimit-Policy and RateLimit lists with one item per dimension, named by its
//     record name: "requests";q=50;w=60 and "requests";r=49;t=2 (t rounded up, w only when the
//     window is known, q/r clamped to [0, 999999999999999]); Retry-After in whole seconds.
//   - ietf-legacy: RateLimit-Limit, -Remaining, -Reset (delay-seconds, rounded up) for the most
//     constraining dimension (lowest remaining/limit; requests on ties), plus the ≤ -06
//     RateLimit-Policy: 100;w=60 when the window is known; Retry-After.
//   - x-ratelimit: for the requests dimension only, X-RateLimit-Limit, -Remaining, -Reset (Unix
//     epoch seconds of now+Reset, rounded up), -Used (limit−remaining) and -Resource: requests;
//     Retry-After.
//   - none: nothing at all, not even Retry-After.
//
// s.Rounding changes the rounding of resets and of token remaining values, to imitate servers
// that differ (see ResetRounding and RemainingRounding); its zero value is what is described
// above.
//
// Fields are set by assigning map keys directly, lower case where the provider sends lower
// case (over HTTP/2 every name is lower case anyway) and canonical otherwise, replacing any
// earlier value under the same key. Negative remaining values are written as 0.
func Write(h http.Header, d Dialect, now time.Time, s *Snapshot) {
	var arr [512]byte // values are appended here, on the stack, then copied into one string
	var w fieldWriter
	b := arr[:0]
	switch d {
	case DialectAnthropic, DialectOpenAI:
		var fs numFields
		fs.collect(d, now, s)
		for i := range fs.n {
			f := &fs.f[i]
			b = w.end(appendNum(b, f.kind, f.n), slotKeys[f.slot])
		}
	case DialectIETF:
		b = w.ietf(b, s)
	case DialectIETFLegacy:
		b = w.ietfLegacy(b, s)
	case DialectXRateLimit:
		b = w.xRateLimit(b, now, s)
	default:
		return
	}
	w.flush(h, b)
}

// maxWrittenFields bounds the fields one Write sets (anthropic: 12 + retry-after).
const maxWrittenFields = 16

// fieldWriter records where each value ends in the value buffer its methods append to and
// return (the buffer is passed by value so that it can stay on Write's stack); flush then sets
// every field with one string and one slice allocation.
type fieldWriter struct {
	keys [maxWrittenFields]string
	ends [maxWrittenFields]int
	n    int
}

// end closes the value appended since the previous end and names its field.
func (w *fieldWriter) end(b []byte, key string) []byte {
	w.keys[w.n], w.ends[w.n] = key, len(b)
	w.n++
	return b
}

// count writes the decimal integer n as the value of key.
func (w *fieldWriter) count(b []byte, key string, n int64) []byte {
	return w.end(strconv.AppendInt(b, n, 10), key)
}

func (w *fieldWriter) flush(h http.Header, b []byte) {
	if w.n == 0 {
		return
	}
	all := string(b)
	vals := make([]string, w.n)
	start := 0
	for i := range w.n {
		vals[i] = all[start:w.ends[i]]
		h[w.keys[i]] = vals[i : i+1 : i+1]
		start = w.ends[i]
	}
}

// retryAfter writes the retry-after field in whole seconds, rounded up.
func (w *fieldWriter) retryAfter(b []byte, key string, s *Snapshot) []byte {
	if s.HasRetryAfter {
		b = w.count(b, key, ceilSeconds(s.RetryAfter))
	}
	return b
}

// ceilSeconds returns d in whole seconds rounded up (0 for d ≤ 0), so a positive wait is at
// least 1.
func ceilSeconds(d time.Duration) int64 { return ceilIn(d, time.Second) }

// ceilIn returns d in whole units rounded up (0 for d ≤ 0).
func ceilIn(d, unit time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	n := int64(d / unit)
	if d%unit != 0 {
		n++
	}
	return n
}

// ceilInstant returns now+d rounded up to the whole second, in UTC.
func ceilInstant(now time.Time, d time.Duration) time.Time {
	t := now.Add(max(d, 0))
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return time.Unix(sec, 0).UTC()
}

// ceilUnix returns the instant now+d (d clamped at 0) rounded up to the whole second, in Unix
// seconds, for now = sec + nsec/1e9 with 0 ≤ nsec < 1e9 (ceilInstant(now, d).Unix() without
// the time.Time arithmetic):
//
//	ceilUnix = sec + ⌊d/1s⌋ + ⌈(nsec + d mod 1s)/1s⌉, the last term 0, 1 or 2
func ceilUnix(sec, nsec int64, d time.Duration) int64 {
	d = max(d, 0)
	frac := nsec + int64(d%time.Second)
	return sec + int64(d/time.Second) + (frac+int64(time.Second)-1)/int64(time.Second)
}

// nonNegative clamps n to [0, sfMaxInteger], the range every dialect can carry.
func nonNegative(n int64) int64 { return min(max(n, 0), sfMaxInteger) }

// roundThousand rounds a non-negative n to the nearest thousand (halves up).
func roundThousand(n int64) int64 { return (n + 500) / 1000 * 1000 }

var anthropicKeys = [NumDimensions][3]string{
	{"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"},
	{"anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"},
	{"anthropic-ratelimit-input-tokens-limit", "anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"},
	{"anthropic-ratelimit-output-tokens-limit", "anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset"},
}

// appendRFC3339Millis appends the Unix instant ms (milliseconds) as RFC 3339 UTC with the
// fraction of a second when there is one, trailing zeros dropped: 2026-01-05T09:00:07.37Z.
func appendRFC3339Millis(b []byte, ms int64) []byte {
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	b = appendRFC3339Seconds(b, sec)
	if frac == 0 {
		return b
	}
	return append(appendFraction(b[:len(b)-1], frac), 'Z')
}

// appendRFC3339Seconds appends the Unix instant sec as RFC 3339 UTC with whole seconds,
// 2006-01-02T15:04:05Z, as time.Time.AppendFormat(b, time.RFC3339) does for a UTC time, about
// three times faster. The civil date comes from the day count by H. Hinnant's civil_from_days:
//
//	z = days + 719468; era = ⌊z/146097⌋; doe = z − 146097·era            (day of the 400-year era)
//	yoe = (doe − doe/1460 + doe/36524 − doe/146096) / 365                 (year of the era)
//	doy = doe − (365·yoe + yoe/4 − yoe/100); mp = (5·doy + 2)/153          (March-based month)
//	day = doy − (153·mp + 2)/5 + 1; month = mp < 10 ? mp+3 : mp−9; year = yoe + 400·era + (month ≤ 2)
//
// Years outside 0000–9999 fall back to AppendFormat.
func appendRFC3339Seconds(b []byte, sec int64) []byte {
	const minSec, maxSec = -62167219200, 253402300799 // 0000-01-01T00:00:00Z, 9999-12-31T23:59:59Z
	if sec < minSec || sec > maxSec {
		return time.Unix(sec, 0).UTC().AppendFormat(b, time.RFC3339)
	}
	days, rem := sec/86400, sec%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T')
	h, m, s := rem/3600, rem/60%60, rem%60
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':',
		byte('0'+s/10), byte('0'+s%10), 'Z')
}

var openAIKeys = [2][3]string{
	{"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"},
	{"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"},
}

// AppendOpenAIDuration appends d, rounded up to the millisecond, in the form OpenAI's
// x-ratelimit-reset-* fields use: Go's time.Duration.String layout (h, m and s components,
// minutes and seconds always present once a larger unit is) with the fraction of a second
// written as a separate millisecond component instead of decimals: 12ms, 1s, 2s81ms, 6m0s,
// 1h0m0s, 5h50m0s30ms; 0 is 0s. time.ParseDuration reads every form back exactly.
func AppendOpenAIDuration(b []byte, d time.Duration) []byte {
	return appendOpenAIMillis(b, ceilIn(d, time.Millisecond))
}

// appendOpenAIMillis appends ms milliseconds in AppendOpenAIDuration's form (0s for ms ≤ 0).
func appendOpenAIMillis(b []byte, ms int64) []byte {
	if ms <= 0 {
		return append(b, "0s"...)
	}
	if ms < 1000 {
		return append(strconv.AppendInt(b, ms, 10), "ms"...)
	}
	h, m, sec, frac := ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000
	if h > 0 {
		b = append(strconv.AppendInt(b, h, 10), 'h')
	}
	if h > 0 || m > 0 {
		b = append(strconv.AppendInt(b, m, 10), 'm')
	}
	b = append(strconv.AppendInt(b, sec, 10), 's')
	if frac > 0 {
		b = append(strconv.AppendInt(b, frac, 10), "ms"...)
	}
	return b
}

func (w *fieldWriter) ietf(b []byte, s *Snapshot) []byte {
	b = w.sfList(b, s, "Ratelimit-Policy", HasLimit)
	b = w.sfList(b, s, "Ratelimit", HasRemaining)
	return w.retryAfter(b, "Retry-After", s)
}

// sfList appends key's structured-field list, one member per dimension with flag (HasLimit:
// the policy, "requests";q=50;w=60; HasRemaining: the state, "requests";r=49;t=2), nothing
// when no dimension has it. (A callback per list would move Write's buffer to the heap.)
func (w *fieldWriter) sfList(b []byte, s *Snapshot, key string, flag uint8) []byte {
	n := 0
	for d := range NumDimensions {
		st := &s.Dims[d]
		if !st.Has(flag) {
			continue
		}
		if n > 0 {
			b = append(b, ", "...)
		}
		n++
		b = append(b, '"')
		b = append(b, d.String()...)
		b = append(b, '"')
		if flag == HasLimit {
			b = append(b, ";q="...)
			b = strconv.AppendInt(b, nonNegative(st.Limit), 10)
			if st.Has(HasWindow) {
				b = append(b, ";w="...)
				b = strconv.AppendInt(b, min(max(ceilSeconds(st.Window), 1), sfMaxInteger), 10)
			}
			continue
		}
		b = append(b, ";r="...)
		b = strconv.AppendInt(b, s.Rounding.remaining(DialectIETF, d, st.Remaining), 10)
		if st.Has(HasReset) {
			// t is an Integer: whole seconds, truncated or rounded up.
			t := ceilSeconds(st.Reset)
			if s.Rounding.Reset == ResetTruncate {
				t = max(int64(st.Reset/time.Second), 0)
			}
			b = append(b, ";t="...)
			b = strconv.AppendInt(b, min(t, sfMaxInteger), 10)
		}
	}
	if n > 0 {
		b = w.end(b, key)
	}
	return b
}

// mostConstraining returns the present dimension with the lowest remaining/limit fraction
// (requests, then the lower index, on ties); requests when no dimension states both.
func mostConstraining(s *Snapshot) (Dimension, bool) {
	best, found := Requests, false
	var bestRem, bestLim int64
	for d := range NumDimensions {
		st := &s.Dims[d]
		if !st.Has(HasLimit|HasRemaining) || st.Limit <= 0 {
			continue
		}
		rem := max(st.Remaining, 0)
		// rem/limit < bestRem/bestLim, cross-multiplied in float64 to avoid int64 overflow.
		if !found || float64(rem)*float64(bestLim) < float64(bestRem)*float64(st.Limit) {
			best, bestRem, bestLim, found = d, rem, st.Limit, true
		}
	}
	if found {
		return best, true
	}
	if s.Dims[Requests].Present() {
		return Requests, true
	}
	for d := range NumDimensions {
		if s.Dims[d].Present() {
			return d, true
		}
	}
	return Requests, false
}

func (w *fieldWriter) ietfLegacy(b []byte, s *Snapshot) []byte {
	if d, ok := mostConstraining(s); ok {
		st := &s.Dims[d]
		if st.Has(HasLimit) {
			b = w.count(b, "Ratelimit-Limit", nonNegative(st.Limit))
		}
		if st.Has(HasRemaining) {
			b = w.count(b, "Ratelimit-Remaining", s.Rounding.remaining(DialectIETFLegacy, d, st.Remaining))
		}
		if st.Has(HasReset) {
			ms := s.Rounding.resetMillis(st.Reset, false) // a Duration is below 1e10 s: never clamped
			b = w.end(appendSecondsMillis(b, ms), "Ratelimit-Reset")
		}
		if st.Has(HasLimit | HasWindow) {
			b = strconv.AppendInt(b, nonNegative(st.Limit), 10)
			b = append(b, ";w="...)
			b = strconv.AppendInt(b, min(max(ceilSeconds(st.Window), 1), sfMaxInteger), 10)
			b = w.end(b, "Ratelimit-Policy")
		}
	}
	return w.retryAfter(b, "Retry-After", s)
}

func (w *fieldWriter) xRateLimit(b []byte, now time.Time, s *Snapshot) []byte {
	st := &s.Dims[Requests]
	if st.Present() {
		if st.Has(HasLimit) {
			b = w.count(b, "X-Ratelimit-Limit", nonNegative(st.Limit))
		}
		if st.Has(HasRemaining) {
			b = w.count(b, "X-Ratelimit-Remaining", nonNegative(st.Remaining))
		}
		if st.Has(HasReset) {
			if s.Rounding.Reset == ResetAsDialect || s.Rounding.Reset == ResetUp {
				b = w.count(b, "X-Ratelimit-Reset", ceilUnix(now.Unix(), int64(now.Nanosecond()), st.Reset))
			} else {
				b = w.end(appendSecondsMillis(b, s.Rounding.instantMillis(now, st.Reset, false)), "X-Ratelimit-Reset")
			}
		}
		if st.Has(HasLimit | HasRemaining) {
			b = w.count(b, "X-Ratelimit-Used", max(nonNegative(st.Limit)-nonNegative(st.Remaining), 0))
		}
		b = append(b, "requests"...)
		b = w.end(b, "X-Ratelimit-Resource")
	}
	return w.retryAfter(b, "Retry-After", s)
}
