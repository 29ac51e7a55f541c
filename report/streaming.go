package report

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// streamAcc accumulates the streamed attempts of a run or of one strategy entry. The zero
// value is ready.
type streamAcc struct {
	streamed  int64 // streamed attempts sent (2xx or not)
	streams   int64 // streamed attempts with a 2xx status
	completed int64
	failures  map[string]int64

	ttft, ttftSched, itl, gen Histogram
	tps, tpsSend              Histogram // rates, recorded as if seconds
	outTokens                 int64     // output tokens of the 2xx streams
	completedOut              int64     // output tokens of the completed streams
	firstSent, lastEnd        time.Duration
	hasSpan                   bool
	perSec                    *Series // output tokens generated per second, spread over each stream
}

// add folds in one attempt that was sent (not a client rejection).
func (s *streamAcc) add(a *record.Attempt) {
	if !a.Stream {
		return
	}
	s.streamed++
	if a.Status < 200 || a.Status >= 300 {
		return
	}
	s.streams++
	s.outTokens += a.OutputTokens
	end := a.Sent + a.StreamDuration
	if !s.hasSpan || a.Sent < s.firstSent {
		s.firstSent = a.Sent
	}
	if !s.hasSpan || end > s.lastEnd {
		s.lastEnd = end
	}
	s.hasSpan = true
	if a.HasTTFT {
		s.ttft.Record(record.Seconds(a.TTFT))
		s.ttftSched.Record(record.Seconds(a.Sent - a.Scheduled + a.TTFT))
		if s.perSec == nil {
			s.perSec = newSeries(aggSum)
		}
		spread(s.perSec, record.Seconds(a.Sent+a.TTFT), record.Seconds(end), float64(a.OutputTokens))
	}
	if a.StreamError != "" {
		if s.failures == nil {
			s.failures = map[string]int64{}
		}
		s.failures[a.StreamError]++
		return
	}
	s.completed++
	s.completedOut += a.OutputTokens
	s.gen.Record(record.Seconds(a.StreamDuration))
	if a.StreamDuration > 0 && a.OutputTokens > 0 {
		s.tpsSend.Record(float64(a.OutputTokens) / record.Seconds(a.StreamDuration))
	}
	if decode := record.Seconds(a.StreamDuration - a.TTFT); a.HasTTFT && a.OutputTokens > 1 && decode > 0 {
		s.itl.Record(decode / float64(a.OutputTokens-1))
		s.tps.Record(float64(a.OutputTokens-1) / decode)
	}
}

// spread adds n tokens to s uniformly over [from, to].
func spread(s *Series, from, to, n float64) {
	if !(to > from) {
		s.Add(from, n)
		return
	}
	for t := from; t < to; {
		next := math.Min(to, math.Floor(t)+1)
		s.Add(t, n*(next-t)/(to-from))
		t = next
	}
}

// quantiles returns h's p50/p95/p99, nil when h is empty.
func quantiles(h *Histogram) *summary.Quantiles {
	if h.Count() == 0 {
		return nil
	}
	return &summary.Quantiles{P50: roundSig(h.Quantile(0.50), 4), P95: roundSig(h.Quantile(0.95), 4), P99: roundSig(h.Quantile(0.99), 4)}
}

// median returns h's median, nil when h is empty.
func median(h *Histogram) *float64 {
	if h.Count() == 0 {
		return nil
	}
	return ptr(roundSig(h.Quantile(0.5), 4))
}

// failureList returns the failures by kind, most frequent first.
func (s *streamAcc) failureList() []summary.StreamFailure {
	out := []summary.StreamFailure{}
	for k, n := range s.failures {
		out = append(out, summary.StreamFailure{Kind: k, Count: n})
	}
	slices.SortFunc(out, func(x, y summary.StreamFailure) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Kind, y.Kind))
	})
	return out
}

// summary returns the streaming figures, nil when nothing was streamed.
func (s *streamAcc) summary() *summary.Streaming {
	if s.streamed == 0 {
		return nil
	}
	out := &summary.Streaming{
		Streams: s.streams, Completed: s.completed, Failed: s.streams - s.completed,
		TTFT: quantiles(&s.ttft), TTFTFromScheduled: quantiles(&s.ttftSched),
		InterTokenLatency: quantiles(&s.itl), Generation: quantiles(&s.gen),
		OutputTPS: median(&s.tps), OutputTPSFromSend: median(&s.tpsSend),
		Failures: s.failureList(),
	}
	if s.completed > 0 {
		out.MeanOutputTokens = ptr(round(float64(s.completedOut)/float64(s.completed), 1))
	}
	if span := s.lastEnd - s.firstSent; s.hasSpan && span > 0 {
		out.AggregateOutputTPS = ptr(roundSig(float64(s.outTokens)/record.Seconds(span), 4))
	}
	return out
}

// fill sets a strategy entry's streamed figures.
func (s *streamAcc) fill(st *summary.Strategy) {
	if s.streamed == 0 {
		return
	}
	n := s.streams - s.completed
	st.StreamErrors = &n
	st.TTFT = summary.StreamedOf(quantiles(&s.ttft))
	st.OutputTPS = summary.StreamedOf(median(&s.tps))
	st.Streaming = s.summary()
}
