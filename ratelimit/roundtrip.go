package ratelimit

import "time"

// RoundTripFast fills dst with what Parse reads from the header that Write(h, d, arrival, src)
// writes, sent in a response received at received (with the Date field of a server answering
// then, and x-should-retry true for shouldRetry +1, false for −1, absent for 0), without building
// the header. It covers the anthropic, openai and none dialects at their own precision and
// returns false for the others (write the header and parse it). Each line mirrors one step of
// Write and Parse:
//
//	limit, remaining:  clamped to [0, 999999999999999]; anthropic rounds token remaining to the
//	                   nearest thousand (halves up)
//	anthropic reset:   ⌈arrival + reset⌉ to the second, minus the Date header's instant
//	                   ⌊received⌋ to the second, at least 0 (ResetRFC3339)
//	openai reset:      reset rounded up to the millisecond, at least 0 (ResetDuration)
//	retry-after:       ⌈retry-after⌉ in whole seconds
//	Date:              ⌊received⌋ to the second
//
// The simulator reads its replies through it, so that simulated clients see what live ones would.
func RoundTripFast(dst *Snapshot, d Dialect, src *Snapshot, arrival, received time.Time, shouldRetry int8) bool {
	if d != DialectAnthropic && d != DialectOpenAI && d != DialectNone {
		return false
	}
	if src.Rounding != (Rounding{}) && d != DialectNone {
		return false // a mock imitating another precision: the exact round trip
	}
	*dst = Snapshot{}
	date := time.Unix(received.Unix(), 0).UTC()
	dst.ServerDate, dst.HasServerDate = date, true
	dst.ShouldRetry = shouldRetry
	if d == DialectNone {
		return true
	}
	if src.HasRetryAfter {
		dst.RetryAfter, dst.HasRetryAfter = time.Duration(ceilSeconds(src.RetryAfter))*time.Second, true
	}
	got := false
	for i := range NumDimensions {
		if d == DialectOpenAI && i != Requests && i != Tokens {
			continue
		}
		st := &src.Dims[i]
		out := &dst.Dims[i]
		if st.Has(HasLimit) {
			out.Limit, out.Flags = nonNegative(st.Limit), out.Flags|HasLimit
		}
		if st.Has(HasRemaining) {
			rem := nonNegative(st.Remaining)
			if d == DialectAnthropic && i != Requests {
				rem = roundThousand(rem)
			}
			out.Remaining, out.Flags = rem, out.Flags|HasRemaining
		}
		if st.Has(HasReset) {
			if d == DialectAnthropic {
				reset := ceilInstant(arrival, st.Reset)
				out.Reset, out.ResetKind = max(reset.Sub(date), 0), ResetRFC3339
			} else {
				out.Reset, out.ResetKind = time.Duration(ceilIn(st.Reset, time.Millisecond))*time.Millisecond, ResetDuration
			}
			out.Flags |= HasReset
		}
		got = got || out.Flags != 0
	}
	if got {
		dst.Dialect = d
	} else {
		dst.Dims = [NumDimensions]State{}
	}
	return true
}
