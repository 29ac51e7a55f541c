package infer

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// Outcomes of an event, as the limiter saw it.
const (
	outOK    uint8 = iota + 1 // 2xx: admitted
	outLimit                  // 429: refused by a rate limit
	outOther                  // anything else: never reached the limiter, or unknown
)

// hdrObs is what one response's headers said about one dimension.
type hdrObs struct {
	limit   int64
	rem     int64
	resetS  float32 // seconds until reset as the client read it
	windowS float32 // policy window, when the dialect states one
	flags   uint8   // ratelimit.Has* flags
	kind    ratelimit.ResetKind
}

// event is one HTTP attempt reduced to what inference needs (about 150 bytes).
type event struct {
	t       float64 // sent, seconds since the run started
	lat     float64 // latency, seconds
	date    float64 // server Date in run seconds; NaN when absent
	retry   float32 // retry-after seconds; −1 when absent
	out     uint8   // outOK, outLimit, outOther
	dialect ratelimit.Dialect
	phase   string // the record's phase label (find/probe phases)
	in, gen int64  // usage: input and output tokens
	maxTok  int64  // the request's max_tokens
	// chg0 and chg1 are when the output was generated, seconds after sending: a stream's
	// first and last token (ttft_ms, stream_ms), a reply not streamed at its end (latency).
	chg0, chg1 float64
	hdr        [ratelimit.NumDimensions]hdrObs
}

// has reports whether the event carried flag f for dimension d.
func (e *event) has(d ratelimit.Dimension, f uint8) bool { return e.hdr[d].flags&f == f }

// Caps on what the analyzer keeps, so that memory is bounded whatever the log's size: each
// timeline keeps its earliest-sent events up to perTimelineEvents (it trims to that when it
// holds twice as many, and before analysis), and no more than totalEvents events are kept over
// all timelines. Later attempts are still counted.
const (
	perTimelineEvents = 20_000
	totalEvents       = 120_000
)

// timeline is the attempts made against one budget, in order of sending: every probe and find
// segment of a run shares one (they use the same key, one after another), while each compare
// segment starts from a fresh budget and is a timeline of its own.
type timeline struct {
	name    string // "probe", or the compare segment's label
	compare bool
	events  []event
	sorted  bool
	cutoff  float64 // events sent at or after cutoff are not kept (the store was trimmed)
	dropped int64   // attempts not kept
	seen    int64   // attempts seen (2xx, 429 and others)
}

// add keeps e unless the timeline (or the analyzer) is full. A full timeline keeps its
// earliest-sent events: a contiguous prefix of the timeline, which replaying a limiter needs.
func (tl *timeline) add(e *event, room bool) {
	tl.seen++
	if e.t >= tl.cutoff || !room {
		tl.dropped++
		return
	}
	if len(tl.events) >= 2*perTimelineEvents {
		tl.trim()
		if e.t >= tl.cutoff {
			tl.dropped++
			return
		}
	}
	if n := len(tl.events); n > 0 && e.t < tl.events[n-1].t {
		tl.sorted = false
	}
	tl.events = append(tl.events, *e)
}

// trim sorts the events and keeps the earliest perTimelineEvents (fewer when several share the
// send time of the first one dropped); that send time becomes the cutoff.
func (tl *timeline) trim() {
	tl.sort()
	if len(tl.events) <= perTimelineEvents {
		return
	}
	tl.cutoff = tl.events[perTimelineEvents].t
	n := perTimelineEvents
	for n > 0 && tl.events[n-1].t >= tl.cutoff {
		n--
	}
	tl.dropped += int64(len(tl.events) - n)
	tl.events = slices.Clip(tl.events[:n])
}

// sort orders the events by send time; ties keep log order.
func (tl *timeline) sort() {
	if tl.sorted {
		return
	}
	slices.SortStableFunc(tl.events, func(a, b event) int { return cmp.Compare(a.t, b.t) })
	tl.sorted = true
}

// newEvent reduces an attempt to the float seconds the fits work in; start is the run's start
// (for the Date header), zero when unknown.
func newEvent(a *record.Attempt, start time.Time) event {
	e := event{
		t: record.Seconds(a.Sent), lat: record.Seconds(a.Latency), date: math.NaN(), retry: -1, phase: a.Phase,
		in: a.InputTokens, gen: a.OutputTokens, maxTok: a.MaxTokens, dialect: a.Dialect,
	}
	e.chg0, e.chg1 = e.lat, e.lat
	if a.Stream {
		e.chg0, e.chg1 = record.Seconds(a.StreamDuration), record.Seconds(a.StreamDuration)
		if a.HasTTFT {
			e.chg0 = min(record.Seconds(a.TTFT), e.chg1)
		}
	}
	switch a.Outcome() {
	case record.OutcomeOK, record.OutcomeStreamError: // a stream that failed after its 200 was admitted
		e.out = outOK
	case record.OutcomeRateLimited:
		e.out = outLimit
	default:
		e.out = outOther
	}
	if a.HasServerDate && !start.IsZero() {
		e.date = record.Seconds(a.ServerDate.Sub(start))
	}
	if a.HasRetryAfter {
		e.retry = float32(record.Seconds(a.RetryAfter))
	}
	for d := range ratelimit.NumDimensions {
		s := &a.Limits[d]
		if s.Flags == 0 {
			continue
		}
		e.hdr[d] = hdrObs{
			limit: s.Limit, rem: s.Remaining, resetS: float32(s.Reset.Seconds()),
			windowS: float32(s.Window.Seconds()), flags: s.Flags, kind: s.ResetKind,
		}
	}
	return e
}
