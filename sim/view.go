package sim

import (
	"net/http"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/ratelimit"
)

// response is one simulated response as the mock's HTTP front end would send it: the reply of the
// account model, the endpoint, the instant the request arrived (the instant Handle ran and the
// header values are written against) and the instant the response was written and received
// (arrival + latency; no network time).
type response struct {
	reply    *account.Reply
	endpoint account.Endpoint
	arrival  time.Time
	received time.Time
}

// viewer computes what a live client parses from a simulated response. exact builds the very
// header the mock's HTTP front end writes and parses it with ratelimit.Parse; fast computes the
// same Snapshot directly for the dialects whose Write→Parse round trip is simple (anthropic,
// openai, none). TestViewFastMatchesExact checks that both agree on many replies.
type viewer struct {
	h http.Header // reused by exact
}

// see fills dst with what a live client reads from r: the fast path when it covers the dialect,
// else the exact round trip.
func (v *viewer) see(dst *ratelimit.Snapshot, r *response) {
	if !fastView(dst, r) {
		v.exact(dst, r)
	}
}

// exact writes the response's header as mockserver's HTTP front end does and parses it as the
// live engine does:
//
//   - ratelimit.Write(h, reply.Dialect, arrival, &reply.Limits): the handler writes the header
//     values after the latency but computed at the arrival instant;
//   - Date: the instant the response is written, in IMF-fixdate (whole seconds), as net/http's
//     server adds it;
//   - x-should-retry on Anthropic endpoints' errors: true for 429 and 5xx, false otherwise;
//   - ratelimit.Parse(h, received).
func (v *viewer) exact(dst *ratelimit.Snapshot, r *response) {
	if v.h == nil {
		v.h = make(http.Header, 16)
	}
	clear(v.h)
	ratelimit.Write(v.h, r.reply.Dialect, r.arrival, &r.reply.Limits)
	v.h["Date"] = []string{r.received.UTC().Format(http.TimeFormat)}
	switch shouldRetry(r) {
	case 1:
		v.h["x-should-retry"] = []string{"true"}
	case -1:
		v.h["x-should-retry"] = []string{"false"}
	}
	*dst = ratelimit.Parse(v.h, r.received)
}

// shouldRetry is the x-should-retry header the front end sends with r: +1 (true) or −1 (false)
// on the errors of the Anthropic endpoints, 0 (absent) otherwise.
func shouldRetry(r *response) int8 {
	if r.reply.Status == http.StatusOK {
		return 0
	}
	if r.endpoint != account.EndpointMessages && r.endpoint != account.EndpointCountTokens {
		return 0
	}
	if r.reply.Status == http.StatusTooManyRequests || r.reply.Status >= 500 {
		return 1
	}
	return -1
}

// sfMaxInteger is the largest integer a structured field (and every writer) carries.
const sfMaxInteger = 999_999_999_999_999

// fastView computes exact's result without building a header, for the anthropic, openai and
// none dialects; false for the others. Each line mirrors one step of ratelimit.Write and Parse:
//
//	limit, remaining:  clamped to [0, 999999999999999]; anthropic rounds token remaining to the
//	                   nearest thousand (halves up)
//	anthropic reset:   ⌈arrival + reset⌉ to the second, minus the Date header's instant
//	                   ⌊received⌋ to the second, at least 0 (ResetRFC3339)
//	openai reset:      reset rounded up to the millisecond, at least 0 (ResetDuration)
//	retry-after:       ⌈retry-after⌉ in whole seconds
//	Date:              ⌊received⌋ to the second
func fastView(dst *ratelimit.Snapshot, r *response) bool {
	d := r.reply.Dialect
	if d != ratelimit.DialectAnthropic && d != ratelimit.DialectOpenAI && d != ratelimit.DialectNone {
		return false
	}
	if r.reply.Limits.Rounding != (ratelimit.Rounding{}) && d != ratelimit.DialectNone {
		return false // a mock imitating another precision: the exact round trip
	}
	src := &r.reply.Limits
	*dst = ratelimit.Snapshot{}
	date := time.Unix(r.received.Unix(), 0).UTC()
	dst.ServerDate, dst.HasServerDate = date, true
	dst.ShouldRetry = shouldRetry(r)
	if d == ratelimit.DialectNone {
		return true
	}
	if src.HasRetryAfter {
		dst.RetryAfter, dst.HasRetryAfter = time.Duration(ceilSeconds(src.RetryAfter))*time.Second, true
	}
	got := false
	for i := range ratelimit.NumDimensions {
		if d == ratelimit.DialectOpenAI && i != ratelimit.Requests && i != ratelimit.Tokens {
			continue
		}
		st := &src.Dims[i]
		out := &dst.Dims[i]
		if st.Has(ratelimit.HasLimit) {
			out.Limit, out.Flags = clampCount(st.Limit), out.Flags|ratelimit.HasLimit
		}
		if st.Has(ratelimit.HasRemaining) {
			rem := clampCount(st.Remaining)
			if d == ratelimit.DialectAnthropic && i != ratelimit.Requests {
				rem = (rem + 500) / 1000 * 1000
			}
			out.Remaining, out.Flags = rem, out.Flags|ratelimit.HasRemaining
		}
		if st.Has(ratelimit.HasReset) {
			if d == ratelimit.DialectAnthropic {
				reset := ceilInstant(r.arrival, st.Reset)
				out.Reset, out.ResetKind = max(reset.Sub(date), 0), ratelimit.ResetRFC3339
			} else {
				out.Reset, out.ResetKind = ceilMillis(st.Reset), ratelimit.ResetDuration
			}
			out.Flags |= ratelimit.HasReset
		}
		got = got || out.Flags != 0
	}
	if got {
		dst.Dialect = d
	} else {
		dst.Dims = [ratelimit.NumDimensions]ratelimit.State{}
	}
	return true
}

// clampCount clamps n to [0, sfMaxInteger] as every writer does.
func clampCount(n int64) int64 { return min(max(n, 0), sfMaxInteger) }

// ceilSeconds is d in whole seconds rounded up, 0 for d ≤ 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	n := int64(d / time.Second)
	if d%time.Second != 0 {
		n++
	}
	return n
}

// ceilMillis is d rounded up to the millisecond, 0 for d ≤ 0.
func ceilMillis(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	return ms * time.Millisecond
}

// ceilInstant is now+d (d clamped at 0) rounded up to the whole second.
func ceilInstant(now time.Time, d time.Duration) time.Time {
	t := now.Add(max(d, 0))
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return time.Unix(sec, 0)
}
