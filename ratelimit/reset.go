package ratelimit

import (
	"math"
	"net/http"
	"time"
)

// Thresholds of the bare-number reset heuristic: a value above EpochMillisThreshold is Unix epoch
// milliseconds, above EpochSecondsThreshold Unix epoch seconds, otherwise a delay in seconds.
// (1e9 s is September 2001; no server advertises a 31-year window.)
const (
	EpochSecondsThreshold = 1e9
	EpochMillisThreshold  = 1e12
)

// maxBareNumber bounds a bare reset or retry-after number so that converting it to a Duration or
// an epoch instant cannot overflow; larger values are treated as malformed (epoch milliseconds
// up to 1e15 reach the year 33658).
const maxBareNumber = 1e15

// secondsToDuration converts non-negative seconds to a Duration, saturating at the largest
// Duration; negative values clamp to 0.
func secondsToDuration(s float64) time.Duration {
	switch {
	case s <= 0:
		return 0
	case s >= float64(math.MaxInt64)/1e9:
		return math.MaxInt64
	}
	return time.Duration(s * 1e9)
}

// secs converts whole seconds to a Duration, clamping negatives to 0 and saturating.
func secs(n int64) time.Duration { return secondsToDuration(float64(n)) }

// clampDelta returns t−base, or 0 when t is not after base (a reset in the past has happened).
func clampDelta(t, base time.Time) time.Duration {
	if d := t.Sub(base); d > 0 {
		return d
	}
	return 0
}

// ParseReset reads a reset value in any of the forms servers use and returns the time until
// the reset, measured against base (the response's Date when present, so clock skew between
// client and server cancels), together with the reading it used:
//
//   - a bare number n (integer or decimal): n > 1e12 is Unix epoch milliseconds, n > 1e9 Unix
//     epoch seconds, otherwise delay-seconds (ResetEpochMS, ResetEpochS, ResetDeltaS);
//   - an RFC 3339 instant such as 2025-01-12T23:11:59Z or with an offset (ResetRFC3339);
//   - a Go duration string such as 1s, 6m0s, 2s81ms, 2m52.8s, 12ms (ResetDuration);
//   - an HTTP-date in IMF-fixdate, RFC 850 or asctime form (ResetHTTPDate).
//
// Instants in the past and negative values give 0. ok is false when v is none of these.
func ParseReset(v string, base time.Time) (until time.Duration, kind ResetKind, ok bool) {
	v = trimOWS(v)
	if v == "" {
		return 0, ResetUnknown, false
	}
	if n, isNum := parseBareNumber(v); isNum {
		switch {
		case math.Abs(n) >= maxBareNumber:
			return 0, ResetUnknown, false
		case n > EpochMillisThreshold:
			ms := math.Floor(n)
			t := time.UnixMilli(int64(ms)).Add(time.Duration((n - ms) * 1e6))
			return clampDelta(t, base), ResetEpochMS, true
		case n > EpochSecondsThreshold:
			s := math.Floor(n)
			t := time.Unix(int64(s), int64((n-s)*1e9))
			return clampDelta(t, base), ResetEpochS, true
		default:
			return secondsToDuration(n), ResetDeltaS, true
		}
	}
	if looksRFC3339(v) {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return 0, ResetUnknown, false
		}
		return clampDelta(t, base), ResetRFC3339, true
	}
	if c := v[0]; (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' {
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, ResetUnknown, false
		}
		return max(d, 0), ResetDuration, true
	}
	t, ok := parseHTTPDate(v)
	if !ok {
		return 0, ResetUnknown, false
	}
	return clampDelta(t, base), ResetHTTPDate, true
}

// looksRFC3339 reports whether v has the date-time shape of RFC 3339 (YYYY-MM-DDThh…).
func looksRFC3339(v string) bool {
	return len(v) >= 20 && v[4] == '-' && v[7] == '-' && (v[10] == 'T' || v[10] == 't' || v[10] == ' ')
}

// ParseRetryAfter reads a Retry-After value: delay-seconds (integer, or a decimal as several
// servers and every official SDK accept) or an HTTP-date in any of the three forms RFC 9110
// requires recipients to accept (IMF-fixdate, RFC 850, asctime), which is turned into a delay
// measured against base. Negative delays and dates in the past give 0; huge values saturate.
// ok is false when v is neither form.
func ParseRetryAfter(v string, base time.Time) (time.Duration, bool) {
	v = trimOWS(v)
	if n, ok := parseBareNumber(v); ok {
		return secondsToDuration(n), true
	}
	t, ok := parseHTTPDate(v)
	if !ok {
		return 0, false
	}
	return clampDelta(t, base), true
}

// parseRetryAfterMs reads the non-standard retry-after-ms field (decimal milliseconds) that the
// official SDKs prefer over Retry-After. Negative values give 0.
func parseRetryAfterMs(v string) (time.Duration, bool) {
	n, ok := parseBareNumber(v)
	if !ok {
		return 0, false
	}
	return secondsToDuration(n / 1e3), true
}

// parseShouldRetry reads x-should-retry: +1 for true, -1 for false (ASCII case-insensitive).
func parseShouldRetry(v string) (int8, bool) {
	v = trimOWS(v)
	switch {
	case equalFold(v, "true"):
		return 1, true
	case equalFold(v, "false"):
		return -1, true
	}
	return 0, false
}

// parseHTTPDate parses an HTTP-date with the semantics of net/http.ParseTime (IMF-fixdate,
// RFC 850, asctime). The IMF-fixdate form every current server sends is parsed by hand, without
// allocation and several times faster; anything else falls back to http.ParseTime.
func parseHTTPDate(v string) (time.Time, bool) {
	if t, ok := parseIMFFixdate(v); ok {
		return t, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

var (
	shortDayNames   = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	shortMonthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
)

// parseIMFFixdate parses exactly "Mon, 02 Jan 2006 15:04:05 GMT", accepting what
// time.Parse(http.TimeFormat, v) accepts: day and month names in any ASCII case (the weekday is
// checked for spelling, not against the date), the day within its month, hour < 24, minute and
// second < 60, and "GMT" literally.
func parseIMFFixdate(v string) (time.Time, bool) {
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
		v[19] != ':' || v[22] != ':' || v[25:] != " GMT" {
		return time.Time{}, false
	}
	okDay := false
	for _, n := range shortDayNames {
		if equalFold(v[:3], n) {
			okDay = true
			break
		}
	}
	if !okDay {
		return time.Time{}, false
	}
	month := 0
	for i, n := range shortMonthNames {
		if equalFold(v[8:11], n) {
			month = i + 1
			break
		}
	}
	day, ok1 := digits(v[5:7])
	year, ok2 := digits(v[12:16])
	hour, ok3 := digits(v[17:19])
	minute, ok4 := digits(v[20:22])
	sec, ok5 := digits(v[23:25])
	if month == 0 || !ok1 || !ok2 || !ok3 || !ok4 || !ok5 ||
		day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

// daysIn returns the number of days of month (1–12) in the proleptic Gregorian year.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
