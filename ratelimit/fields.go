package ratelimit

import (
	"net/http"
	"strings"
)

// This file sorts a response's header fields into the slots Parse reads. Parse walks the header
// map once and classifies each name by ASCII case-insensitive comparison, so it finds the fields
// whether they arrived through net/http (canonical keys such as Anthropic-Ratelimit-Requests-Limit)
// or were set directly in lower case (as Write does for the anthropic and openai dialects).

// Field positions within a dialect's group of slots.
const (
	fieldLimit = iota
	fieldRemaining
	fieldReset
	fieldUsed
)

// Slot indexes.
const (
	// slotAnthropic + 3*dimension + field: anthropic-ratelimit-<dim>-{limit,remaining,reset}.
	slotAnthropic = 0
	// slotOpenAI + 3*(0 requests, 1 tokens) + field: x-ratelimit-{limit,remaining,reset}-<dim>.
	slotOpenAI = slotAnthropic + 3*int(NumDimensions)
	// RateLimit and RateLimit-Policy (drafts -07 and later; RateLimit-Policy also ≤ -06).
	slotRateLimit       = slotOpenAI + 6
	slotRateLimitPolicy = slotRateLimit + 1
	// slotLegacy + field: RateLimit-{Limit,Remaining,Reset} (drafts ≤ -06).
	slotLegacy = slotRateLimitPolicy + 1
	// slotXRateLimit + field: X-RateLimit-{Limit,Remaining,Reset,Used}.
	slotXRateLimit = slotLegacy + 3
	// slotXRateLimitAlt + field: the X-Rate-Limit-* spelling.
	slotXRateLimitAlt = slotXRateLimit + 4
	slotRetryAfter    = slotXRateLimitAlt + 4
	slotRetryAfterMs  = slotRetryAfter + 1
	slotShouldRetry   = slotRetryAfterMs + 1
	slotDate          = slotShouldRetry + 1
	numSlots          = slotDate + 1
)

// rawField is the value lines of one recognized field and the map key they came from.
type rawField struct {
	key  string
	vals []string
}

// rawFields holds every recognized field of one response, unparsed.
type rawFields struct {
	f [numSlots]rawField
	// any* report whether a dialect's group has at least one field, to skip absent dialects.
	anyAnthropic, anyOpenAI, anyIETF, anyLegacy, anyXRateLimit bool
}

// collect sorts h's fields into slots. When one field appears under two keys that differ only
// in case (impossible through net/http, possible in a hand-built map), the lexically smaller key
// wins, so the result never depends on map iteration order.
func (r *rawFields) collect(h http.Header) {
	for k, v := range h {
		if len(v) == 0 || k == "" {
			continue
		}
		switch k[0] | 0x20 { // every name Parse reads starts with a, d, r or x (any case)
		case 'a', 'd', 'r', 'x':
		default:
			continue
		}
		id, ok := exactSlots[k]
		if !ok {
			if id = classify(k); id < 0 {
				continue
			}
		}
		f := &r.f[id]
		if f.vals != nil && f.key < k {
			continue
		}
		f.key, f.vals = k, v
		switch {
		case id < slotOpenAI:
			r.anyAnthropic = true
		case id < slotRateLimit:
			r.anyOpenAI = true
		case id == slotRateLimit || id == slotRateLimitPolicy:
			r.anyIETF, r.anyLegacy = true, true
		case id < slotXRateLimit:
			r.anyLegacy = true
		case id < slotRetryAfter:
			r.anyXRateLimit = true
		}
	}
}

// first returns the first line of slot id ("" when absent), as http.Header.Get would.
func (r *rawFields) first(id int) (string, bool) {
	if v := r.f[id].vals; len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// exactSlots is a read-only table of the canonical (as net/http delivers them) and lower-case
// (as Write and HTTP/2 produce them) spellings of every field Parse reads, so the common case
// costs one map lookup; classify handles any other casing.
var exactSlots = func() map[string]int {
	m := make(map[string]int, 2*len(recognizedNames()))
	for _, n := range recognizedNames() {
		m[http.CanonicalHeaderKey(n)] = classify(n)
		m[strings.ToLower(n)] = classify(n)
	}
	return m
}()

// recognizedNames lists every field name Parse reads, in lower case.
func recognizedNames() []string {
	names := []string{
		"ratelimit", "ratelimit-policy", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
		"retry-after", "retry-after-ms", "x-should-retry", "date", "x-amz-retry-after",
	}
	fields := []string{"limit", "remaining", "reset"}
	for _, dim := range []string{"requests", "tokens", "input-tokens", "output-tokens"} {
		for _, f := range fields {
			names = append(names, "anthropic-ratelimit-"+dim+"-"+f)
		}
	}
	for _, dim := range []string{"requests", "tokens"} {
		for _, f := range fields {
			names = append(names, "x-ratelimit-"+f+"-"+dim)
		}
	}
	for _, f := range append(fields, "used") {
		names = append(names, "x-ratelimit-"+f, "x-rate-limit-"+f)
	}
	return names
}

// classify maps a header name to its slot, or -1 when Parse does not read it.
func classify(k string) int {
	if len(k) < 4 {
		return -1
	}
	switch lowerASCII(k[0]) {
	case 'a':
		if !hasPrefixFold(k, "anthropic-ratelimit-") {
			return -1 // anthropic-priority-*, anthropic-ratelimit-unified-*, … are not read
		}
		// Requests, Tokens, InputTokens, OutputTokens in Dimension order.
		d, rest := cutPrefixFold(k[len("anthropic-ratelimit-"):], "requests-", "tokens-", "input-tokens-", "output-tokens-")
		if d < 0 {
			return -1
		}
		if f := limitRemainingReset(rest); f >= 0 {
			return slotAnthropic + 3*d + f
		}
	case 'x':
		switch {
		case hasPrefixFold(k, "x-ratelimit-"):
			rest := k[len("x-ratelimit-"):]
			if f := githubField(rest); f >= 0 {
				return slotXRateLimit + f
			}
			// OpenAI: {limit,remaining,reset}-{requests,tokens}; -project-tokens and
			// -tokens_usage_based variants are not read.
			f, rest := cutPrefixFold(rest, "limit-", "remaining-", "reset-") // field order
			if f < 0 {
				return -1
			}
			switch {
			case equalFold(rest, "requests"):
				return slotOpenAI + f
			case equalFold(rest, "tokens"):
				return slotOpenAI + 3 + f
			}
		case hasPrefixFold(k, "x-rate-limit-"):
			if f := githubField(k[len("x-rate-limit-"):]); f >= 0 {
				return slotXRateLimitAlt + f
			}
		case equalFold(k, "x-should-retry"):
			return slotShouldRetry
		case equalFold(k, "x-amz-retry-after"):
			return slotRetryAfterMs // AWS's wait in milliseconds; retry-after-ms wins when both come
		}
	case 'r':
		switch {
		case equalFold(k, "ratelimit"):
			return slotRateLimit
		case hasPrefixFold(k, "ratelimit-"):
			rest := k[len("ratelimit-"):]
			if equalFold(rest, "policy") {
				return slotRateLimitPolicy
			}
			if f := limitRemainingReset(rest); f >= 0 {
				return slotLegacy + f
			}
		case equalFold(k, "retry-after"):
			return slotRetryAfter
		case equalFold(k, "retry-after-ms"):
			return slotRetryAfterMs
		}
	case 'd':
		if equalFold(k, "date") {
			return slotDate
		}
	}
	return -1
}

// limitRemainingReset maps "limit", "remaining", "reset" (any case) to a field position.
func limitRemainingReset(s string) int {
	switch {
	case equalFold(s, "limit"):
		return fieldLimit
	case equalFold(s, "remaining"):
		return fieldRemaining
	case equalFold(s, "reset"):
		return fieldReset
	}
	return -1
}

// githubField maps the GitHub-style suffixes limit, remaining, reset, used to a field position
// (x-ratelimit-resource names the bucket and is not needed: the dimension is always requests).
func githubField(s string) int {
	if f := limitRemainingReset(s); f >= 0 {
		return f
	}
	if equalFold(s, "used") {
		return fieldUsed
	}
	return -1
}
