package mockserver

import (
	"sync/atomic"

	"github.com/ratelab/ratelab/account"
)

// requestIDs makes provider-style ids ("req_…", "msg_…"): a seeded random prefix and a counter,
// both base62, 24 characters after the tag.
type requestIDs struct {
	prefix [12]byte
	next   atomic.Uint64
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func (ids *requestIDs) init(seed uint64) {
	// splitmix64 of the seed, so nearby seeds give unrelated prefixes.
	x := seed + 0x9e3779b97f4a7c15
	for i := range ids.prefix {
		if i%6 == 0 {
			x += 0x9e3779b97f4a7c15
			z := x
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			x = z ^ (z >> 31)
		}
		ids.prefix[i] = base62[x%62]
		x /= 62
	}
	ids.prefix[0], ids.prefix[1] = '0', '1' // Anthropic's ids start with 01
}

// appendID appends tag, the prefix and the next counter value to dst.
func (ids *requestIDs) appendID(dst []byte, tag string) []byte {
	n := ids.next.Add(1)
	dst = append(dst, tag...)
	dst = append(dst, ids.prefix[:]...)
	var c [12]byte
	for i := len(c) - 1; i >= 0; i-- {
		c[i] = base62[n%62]
		n /= 62
	}
	return append(dst, c[:]...)
}

// idReserve is how many counter values an idCursor takes from requestIDs at once.
const idReserve = 256

// idCursor hands out ids from a block of counter values reserved with one atomic add, so that
// the HTTP handlers running on different CPUs do not contend for the counter. It keeps the
// current value's base62 digits and increments them in place rather than converting every
// value. An id it makes is the one requestIDs.appendID makes for the same counter value.
type idCursor struct {
	chars  [12]byte  // base62 digits of n, most significant first
	digits [12]uint8 // their values
	n, end uint64    // the next counter value; the first one not reserved
}

// appendID appends tag, the prefix and the cursor's next counter value to dst.
func (c *idCursor) appendID(dst []byte, ids *requestIDs, tag string) []byte {
	if c.n == c.end {
		c.end = ids.next.Add(idReserve) + 1
		c.n = c.end - idReserve
		n := c.n
		for i := len(c.digits) - 1; i >= 0; i-- {
			c.digits[i] = uint8(n % 62)
			c.chars[i] = base62[n%62]
			n /= 62
		}
	}
	dst = append(dst, tag...)
	dst = append(dst, ids.prefix[:]...)
	dst = append(dst, c.chars[:]...)
	c.n++
	for i := len(c.digits) - 1; i >= 0; i-- { // n+1 in base 62: carry while a digit wraps
		if c.digits[i] < 61 {
			c.digits[i]++
			c.chars[i] = base62[c.digits[i]]
			break
		}
		c.digits[i], c.chars[i] = 0, '0'
	}
	return dst
}

// reqIDBatch is how many request ids are made at once: one string and one slice for all of
// them, instead of two allocations per response.
const reqIDBatch = 32

// scratch is one request's pooled state: the body read, the body written, the ids, and the
// ledger's cursor at the account last reached through it.
type scratch struct {
	in, out []byte
	ids     idCursor
	reqIDs  []string       // request ids not handed out yet, each "req_…"
	cursor  account.Cursor // the account last reached through this scratch
}

// requestID returns a fresh request id as a header value (a slice no one else holds).
func (sc *scratch) requestID(ids *requestIDs) []string {
	if len(sc.reqIDs) == 0 {
		const size = len("req_") + 24
		buf := make([]byte, 0, reqIDBatch*size)
		for range reqIDBatch {
			buf = sc.ids.appendID(buf, ids, "req_")
		}
		all := string(buf)
		sc.reqIDs = make([]string, reqIDBatch)
		for i := range sc.reqIDs {
			sc.reqIDs[i] = all[i*size : (i+1)*size]
		}
	}
	v := sc.reqIDs[:1:1]
	sc.reqIDs = sc.reqIDs[1:]
	return v
}
