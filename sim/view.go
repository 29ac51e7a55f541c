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

// fastView computes exact's result without building a header, for the dialects
// ratelimit.RoundTripFast covers; false for the others.
func fastView(dst *ratelimit.Snapshot, r *response) bool {
	return ratelimit.RoundTripFast(dst, r.reply.Dialect, &r.reply.Limits, r.arrival, r.received, shouldRetry(r))
}
