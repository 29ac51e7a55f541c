package ratelimit

import (
	"net/http"
	"time"
)

// Parse reads the rate-limit content of one response's header. received is when the response
// arrived by the local clock; absolute reset instants (RFC 3339, epoch, HTTP-date) and an
// HTTP-date Retry-After are turned into delays measured against the response's Date header when
// it is present and well-formed (so clock skew between client and server cancels), else against
// received. Field names are matched ASCII case-insensitively, whatever the map keys look like.
//
// Dialect precedence: when several dialects are present, Snapshot.Dialect and Snapshot.Dims come
// from the first of anthropic, openai, ietf, ietf-legacy, x-ratelimit that yields at least one
// readable value; the others are still read, so their malformed values are counted, but their
// values are not used (a record's dimensions always carry one dialect's meaning).
//
// Retry-After: retry-after-ms (decimal milliseconds) takes precedence over Retry-After, as in
// the official SDKs; both clamp negative delays to 0. AWS's x-amz-retry-after (milliseconds) is
// read as retry-after-ms when that is absent. x-should-retry sets ShouldRetry.
//
// Malformed values are ignored and counted in Snapshot.Malformed; Parse never fails or panics.
// It is called on every response, so it allocates nothing for well-formed input of any dialect
// except when an RFC 3339 reset carries a numeric offset or an IETF string holds escapes.
func Parse(h http.Header, received time.Time) Snapshot {
	var s Snapshot
	var raw rawFields
	raw.collect(h)

	base := received
	if v, ok := raw.first(slotDate); ok {
		if t, ok := parseHTTPDate(trimOWS(v)); ok {
			s.ServerDate, s.HasServerDate, base = t, true, t
		} else {
			s.Malformed++
		}
	}
	s.readRetry(&raw, base)

	var dims [NumDimensions]State
	if raw.anyAnthropic {
		dims = [NumDimensions]State{}
		got := false
		for d := range NumDimensions {
			got = dims[d].readTriplet(&raw, slotAnthropic+3*int(d), base, &s.Malformed) || got
		}
		s.choose(DialectAnthropic, got, &dims)
	}
	if raw.anyOpenAI {
		dims = [NumDimensions]State{}
		got := dims[Requests].readTriplet(&raw, slotOpenAI, base, &s.Malformed)
		got = dims[Tokens].readTriplet(&raw, slotOpenAI+3, base, &s.Malformed) || got
		s.choose(DialectOpenAI, got, &dims)
	}
	if raw.anyIETF || raw.anyLegacy {
		var f ietfFields
		f.read(&raw, &s.Malformed)
		if raw.anyIETF {
			dims = [NumDimensions]State{}
			s.choose(DialectIETF, f.current(&dims), &dims)
		}
		dims = [NumDimensions]State{}
		got := f.legacy(&raw, base, &dims[Requests], &s.Malformed)
		s.choose(DialectIETFLegacy, got, &dims)
	}
	if raw.anyXRateLimit {
		dims = [NumDimensions]State{}
		st := &dims[Requests]
		got := st.readTriplet(&raw, slotXRateLimit, base, &s.Malformed)
		got = st.readTriplet(&raw, slotXRateLimitAlt, base, &s.Malformed) || got
		if st.Has(HasLimit) && !st.Has(HasRemaining) {
			if used, ok := readUsed(&raw, &s.Malformed); ok {
				st.Remaining, st.Flags = st.Limit-used, st.Flags|HasRemaining
			}
		}
		s.choose(DialectXRateLimit, got, &dims)
	}
	return s
}

// choose makes d the snapshot's dialect if none was chosen yet and d yielded a value.
func (s *Snapshot) choose(d Dialect, got bool, dims *[NumDimensions]State) {
	if got && s.Dialect == DialectNone {
		s.Dialect, s.Dims = d, *dims
	}
}

// readRetry reads retry-after-ms, Retry-After and x-should-retry.
func (s *Snapshot) readRetry(raw *rawFields, base time.Time) {
	if v, ok := raw.first(slotRetryAfterMs); ok {
		if d, ok := parseRetryAfterMs(v); ok {
			s.RetryAfter, s.HasRetryAfter = d, true
		} else {
			s.Malformed++
		}
	}
	if v, ok := raw.first(slotRetryAfter); ok {
		d, ok := ParseRetryAfter(v, base)
		switch {
		case !ok:
			s.Malformed++
		case !s.HasRetryAfter:
			s.RetryAfter, s.HasRetryAfter = d, true
		}
	}
	if v, ok := raw.first(slotShouldRetry); ok {
		if r, ok := parseShouldRetry(v); ok {
			s.ShouldRetry = r
		} else {
			s.Malformed++
		}
	}
}

// readTriplet reads the limit, remaining and reset fields at slot, slot+1, slot+2 into st,
// skipping members st already has. It reports whether it read got value. A negative limit
// (Azure OpenAI sends -1 for "unknown") is counted as malformed; a negative remaining is kept
// (some gateways report an overdraft).
func (st *State) readTriplet(raw *rawFields, slot int, base time.Time, bad *int) bool {
	got := false
	if v, ok := raw.first(slot + fieldLimit); ok && !st.Has(HasLimit) {
		if n, ok := parseCount(v); ok && n >= 0 {
			st.Limit, st.Flags, got = n, st.Flags|HasLimit, true
		} else {
			*bad++
		}
	}
	if v, ok := raw.first(slot + fieldRemaining); ok && !st.Has(HasRemaining) {
		if n, ok := parseCount(v); ok {
			st.Remaining, st.Flags, got = n, st.Flags|HasRemaining, true
		} else {
			*bad++
		}
	}
	if v, ok := raw.first(slot + fieldReset); ok && !st.Has(HasReset) {
		if d, kind, ok := ParseReset(v, base); ok {
			st.Reset, st.ResetKind, st.Flags, got = d, kind, st.Flags|HasReset, true
		} else {
			*bad++
		}
	}
	return got
}

// readUsed reads X-RateLimit-Used (or X-Rate-Limit-Used).
func readUsed(raw *rawFields, bad *int) (int64, bool) {
	v, ok := raw.first(slotXRateLimit + fieldUsed)
	if !ok {
		v, ok = raw.first(slotXRateLimitAlt + fieldUsed)
	}
	if !ok {
		return 0, false
	}
	n, ok := parseCount(v)
	if !ok || n < 0 {
		*bad++
		return 0, false
	}
	return n, true
}

// dimByName maps a policy or quota-unit name to a Dimension: requests, tokens, input_tokens,
// output_tokens, in got ASCII case and with '-' or '_' between words.
func dimByName(s string) (Dimension, bool) {
	for i, n := range dimensionNames {
		if len(s) != len(n) {
			continue
		}
		match := true
		for j := 0; j < len(s); j++ {
			c := lowerASCII(s[j])
			if c == '-' {
				c = '_'
			}
			if c != n[j] {
				match = false
				break
			}
		}
		if match {
			return Dimension(i), true
		}
	}
	return 0, false
}
