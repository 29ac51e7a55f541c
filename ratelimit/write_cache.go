package ratelimit

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// The anthropic and openai dialects write one number per field: a count, a reset instant in
// whole seconds or a reset delay in whole milliseconds. Write collects those numbers first
// (numFields) and then formats them; FieldCache formats only the numbers it has not seen under
// the same field before.

// numKind is how a field's number is written.
type numKind uint8

const (
	numDecimal       numKind = iota // n in decimal
	numInstant                      // n Unix seconds, as RFC 3339 UTC (anthropic resets)
	numMillis                       // n milliseconds, as an OpenAI duration (openai resets)
	numInstantMillis                // n Unix milliseconds, as RFC 3339 UTC (anthropic resets, fractional)
)

// appendNum appends n written as kind.
func appendNum(b []byte, kind numKind, n int64) []byte {
	switch kind {
	case numInstant:
		return appendRFC3339Seconds(b, n)
	case numMillis:
		return appendOpenAIMillis(b, n)
	case numInstantMillis:
		return appendRFC3339Millis(b, n)
	}
	return strconv.AppendInt(b, n, 10)
}

// Cache slots of the numeric fields: cacheAnthropic + 3*dimension + field, cacheOpenAI +
// 3*(0 requests, 1 tokens) + field, and retry-after (decimal seconds in both dialects).
const (
	cacheAnthropic  = 0
	cacheOpenAI     = cacheAnthropic + 3*int(NumDimensions)
	cacheRetryAfter = cacheOpenAI + 6
	numCacheSlots   = cacheRetryAfter + 1
)

// slotKeys and slotKinds are the field name and the number's form of each cache slot.
var slotKeys, slotKinds = func() (keys [numCacheSlots]string, kinds [numCacheSlots]numKind) {
	for d := range NumDimensions {
		for f := range 3 {
			keys[cacheAnthropic+3*int(d)+f] = anthropicKeys[d][f]
		}
		kinds[cacheAnthropic+3*int(d)+fieldReset] = numInstant
	}
	for i := range openAIKeys {
		for f := range 3 {
			keys[cacheOpenAI+3*i+f] = openAIKeys[i][f]
		}
		kinds[cacheOpenAI+3*i+fieldReset] = numMillis
	}
	keys[cacheRetryAfter] = "retry-after"
	return keys, kinds
}()

// numField is one field to write: its slot (which names the field), its number and the number's
// form (the slot's, except for fractional anthropic resets).
type numField struct {
	n    int64
	slot uint8
	kind numKind
}

// numFields are a response's numeric fields in the order Write sets them.
type numFields struct {
	f [maxWrittenFields]numField
	n int
}

func (fs *numFields) add(slot int, n int64) {
	fs.addKind(slot, n, slotKinds[slot])
}

func (fs *numFields) addKind(slot int, n int64, kind numKind) {
	fs.f[fs.n] = numField{n: n, slot: uint8(slot), kind: kind}
	fs.n++
}

// collect gathers the fields of dialect d, DialectAnthropic or DialectOpenAI, as Write
// documents them.
func (fs *numFields) collect(d Dialect, now time.Time, s *Snapshot) {
	rd := s.Rounding
	if d == DialectAnthropic {
		sec, nsec := now.Unix(), int64(now.Nanosecond())
		for dim := range NumDimensions {
			st := &s.Dims[dim]
			slot := cacheAnthropic + 3*int(dim)
			if st.Has(HasLimit) {
				fs.add(slot+fieldLimit, nonNegative(st.Limit))
			}
			if st.Has(HasRemaining) {
				fs.add(slot+fieldRemaining, rd.remaining(d, dim, st.Remaining))
			}
			if st.Has(HasReset) {
				switch rd.Reset {
				case ResetAsDialect, ResetUp:
					fs.add(slot+fieldReset, ceilUnix(sec, nsec, st.Reset))
				case ResetTruncate:
					fs.add(slot+fieldReset, rd.instantMillis(now, st.Reset, false)/1000)
				default:
					fs.addKind(slot+fieldReset, rd.instantMillis(now, st.Reset, false), numInstantMillis)
				}
			}
		}
	} else {
		for i, dim := range [2]Dimension{Requests, Tokens} {
			st := &s.Dims[dim]
			slot := cacheOpenAI + 3*i
			if st.Has(HasLimit) {
				fs.add(slot+fieldLimit, nonNegative(st.Limit))
			}
			if st.Has(HasRemaining) {
				fs.add(slot+fieldRemaining, rd.remaining(d, dim, st.Remaining))
			}
			if st.Has(HasReset) {
				fs.add(slot+fieldReset, rd.resetMillis(st.Reset, true))
			}
		}
	}
	if s.HasRetryAfter {
		fs.add(cacheRetryAfter, ceilSeconds(s.RetryAfter))
	}
}

// FieldCache writes rate-limit fields exactly as Write does, remembering the last value it
// wrote under each field of the anthropic and openai dialects: when a response carries the same
// number again (a limit, which never changes; a reset instant, which changes once a second; a
// remaining count rounded to thousands), the field gets the value made before instead of a newly
// formatted and allocated one. Other dialects are written by Write. The zero value is ready to
// use; a FieldCache is safe for concurrent use and must not be copied after first use.
//
// The values handed out are shared between responses, so they must not be modified in place
// (appending to a field's slice is fine: it has no spare capacity).
type FieldCache struct {
	slots [numCacheSlots]atomic.Pointer[cachedValue]
}

// cachedValue is a field's number and its written form, a one-element header value.
type cachedValue struct {
	n    int64
	kind numKind
	v    [1]string
}

// Write sets the rate-limit fields of s in dialect d on h, as Write(h, d, now, s) does. It
// allocates nothing when every number was the last one written under its field, and otherwise
// one string and one slice for the new values.
func (c *FieldCache) Write(h http.Header, d Dialect, now time.Time, s *Snapshot) {
	if d != DialectAnthropic && d != DialectOpenAI {
		Write(h, d, now, s)
		return
	}
	var fs numFields
	fs.collect(d, now, s)
	miss := 0
	for i := range fs.n {
		f := &fs.f[i]
		if v := c.slots[f.slot].Load(); v != nil && v.n == f.n && v.kind == f.kind {
			h[slotKeys[f.slot]] = v.v[:]
			continue
		}
		fs.f[miss] = *f
		miss++
	}
	if miss == 0 {
		return
	}
	var arr [512]byte
	var ends [maxWrittenFields]int
	b := arr[:0]
	for i := range miss {
		b = appendNum(b, fs.f[i].kind, fs.f[i].n)
		ends[i] = len(b)
	}
	all := string(b)
	vals := make([]cachedValue, miss)
	start := 0
	for i := range miss {
		f := &fs.f[i]
		v := &vals[i]
		v.n, v.kind, v.v[0] = f.n, f.kind, all[start:ends[i]]
		start = ends[i]
		h[slotKeys[f.slot]] = v.v[:]
		c.slots[f.slot].Store(v)
	}
}
