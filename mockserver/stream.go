package mockserver

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ratelab/ratelab/account"
)

// Streamed replies ("stream": true), written as the providers write them and as their official
// SDKs parse them:
//
//   - /v1/messages: text/event-stream with an `event:` line and a data line per event:
//     message_start, content_block_start, ping, content_block_delta (text_delta) per chunk of
//     output, content_block_stop, message_delta (stop_reason, cumulative usage), message_stop.
//   - /v1/chat/completions: `data:` lines of chat.completion.chunk objects with one id (role
//     first, then content, then finish_reason), with stream_options.include_usage a last chunk
//     with choices [] and the usage (every other chunk "usage":null), then `data: [DONE]`.
//
// The rate-limit headers are on the initial response, sent after Reply.Latency; every event is
// flushed when its tokens are generated (Reply.Gen). Output tokens the ledger left to charge are
// charged per event, so a stream cut short pays for the tokens it was sent. Faults (Reply.Fault)
// strike after Fault.AfterTokens tokens. The request's own goroutine writes the stream; a client
// that goes away ends it at the next wait.

// Header values of a stream; never modified.
var (
	hdrEventStream = []string{"text/event-stream; charset=utf-8"}
	hdrNoCache     = []string{"no-cache"}
)

// instantChunk is the tokens per delta event of a reply generated at once.
const instantChunk = 16

// minEventGap is the shortest time between two delta events: at rates above 1,000 tokens/s,
// each event carries the tokens generated over at least this long.
const minEventGap = time.Millisecond

// streamer writes one streamed reply.
type streamer struct {
	h     *handler
	w     http.ResponseWriter
	f     http.Flusher
	r     *http.Request
	sc    *scratch
	reply *account.Reply
	timer *time.Timer
	// start is when the headers went out: the origin of reply.Gen.
	start time.Time
	// shift delays the rest of the schedule after a stall.
	shift time.Duration
	// prefix is a chat chunk's fixed opening, up to `"choices":[`.
	prefix []byte
	sent   int64 // output tokens sent
	chat   bool
	ended  int // how the stream ended: endCompleted, endFault, else the client went away
}

// How a stream ended, when not because its client went away.
const (
	endCompleted = iota + 1
	endFault
)

// streamCounts are the mock's counts of streamed replies.
type streamCounts struct {
	started, completed, clientGone atomic.Int64
	overloaded, closed, stalled    atomic.Int64
}

// stats returns the counts for GET /_ratelab/stats; nil when nothing was streamed.
func (c *streamCounts) stats() *account.StreamStats {
	n := c.started.Load()
	if n == 0 {
		return nil
	}
	return &account.StreamStats{Started: n, Completed: c.completed.Load(), ClientGone: c.clientGone.Load(),
		Faults: map[string]int64{
			string(account.FaultOverloaded): c.overloaded.Load(),
			string(account.FaultClosed):     c.closed.Load(),
			string(account.FaultStalled):    c.stalled.Load(),
		}}
}

func (h *handler) stream(w http.ResponseWriter, r *http.Request, sc *scratch, e account.Endpoint, req *apiRequest, call *account.Call, now time.Time, reply *account.Reply) {
	if !wait(r, reply.Latency) {
		return
	}
	f, _ := w.(http.Flusher)
	s := streamer{h: h, w: w, f: f, r: r, sc: sc, reply: reply, chat: e == account.EndpointChat}
	defer s.stop()
	h.m.streams.started.Add(1)
	hdr := w.Header()
	h.writeHeaders(h.m.front, hdr, now, reply) // Azure's resets in seconds too
	h.setIDHeader(hdr, sc, e)
	hdr["Content-Type"] = hdrEventStream
	hdr["Cache-Control"] = hdrNoCache
	w.WriteHeader(http.StatusOK)
	s.start = time.Now()
	out := sc.out[:0]
	if s.chat {
		s.prefix = appendChunkPrefix(make([]byte, 0, 192+len(req.model)), sc, &h.m.ids, req.model, now.Unix())
		out = s.appendChunk(out, chunkRole, 0, req)
	} else {
		out = appendMessageStart(out, sc, &h.m.ids, req.model, reply, min(reply.OutputTokens, 1))
		out = append(out, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"...)
		out = append(out, "event: ping\ndata: {\"type\": \"ping\"}\n\n"...)
	}
	if !s.flush(out) {
		return
	}
	g := reply.Gen
	fault := reply.Fault
	if fault.Kind == account.FaultNone {
		fault.AfterTokens = -1
	}
	step := int64(instantChunk)
	if g.Interval > 0 {
		step = max(1, int64((minEventGap+g.Interval-1)/g.Interval))
	}
	for s.sent < g.Tokens {
		if s.sent == fault.AfterTokens {
			if !s.fault(fault, req) {
				return
			}
			fault.AfterTokens = -1
			if fault.Kind != account.FaultStalled {
				return
			}
		}
		next := min(s.sent+step, g.Tokens)
		if fault.AfterTokens > s.sent {
			next = min(next, fault.AfterTokens)
		}
		if !s.sleepUntil(g.TokenAt(next)) {
			return
		}
		out = sc.out[:0]
		if s.chat {
			out = s.appendChunk(out, chunkContent, next, req)
		} else {
			out = append(out, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""...)
			out = appendReplyRange(out, s.sent, next)
			out = append(out, "\"}}\n\n"...)
		}
		n := next - s.sent
		s.sent = next
		s.charge(n)
		if !s.flush(out) {
			return
		}
	}
	if g.Tokens == 0 && !s.sleepUntil(g.TTFT) {
		return
	}
	out = sc.out[:0]
	maxed := reply.OutputTokens >= call.MaxTokens
	if s.chat {
		out = s.appendChunk(out, chunkFinish(maxed), 0, req)
		if req.includeUsage {
			out = s.appendChunk(out, chunkUsage, 0, req)
		}
		out = append(out, "data: [DONE]\n\n"...)
	} else {
		out = append(out, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"...)
		out = append(out, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\""...)
		if maxed {
			out = append(out, "max_tokens"...)
		} else {
			out = append(out, "end_turn"...)
		}
		out = append(out, "\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":"...)
		out = strconv.AppendInt(out, reply.InputTokens, 10)
		out = appendCacheUsage(out, reply, false)
		out = append(out, ",\"output_tokens\":"...)
		out = strconv.AppendInt(out, s.sent, 10)
		out = append(out, "}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"...)
	}
	if s.flush(out) {
		s.ended = endCompleted
	}
}

// stop counts how the stream ended, releases the timer and keeps the scratch buffer for reuse.
func (s *streamer) stop() {
	c := &s.h.m.streams
	switch s.ended {
	case endCompleted:
		c.completed.Add(1)
	case endFault:
	default:
		c.clientGone.Add(1)
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.sc.out = s.sc.out[:0]
}

// flush writes out as one event batch and flushes it; false when the client is gone.
func (s *streamer) flush(out []byte) bool {
	s.sc.out = out[:0]
	if _, err := s.w.Write(out); err != nil {
		return false
	}
	if s.f != nil {
		s.f.Flush()
	}
	return s.r.Context().Err() == nil
}

// charge charges n output tokens just sent, when the ledger left them to the caller.
func (s *streamer) charge(n int64) {
	if left := s.reply.OutputDeferred - (s.sent - n); left > 0 {
		s.h.m.ledger.ChargeOutput(&s.sc.cursor, time.Now(), min(n, left))
	}
}

// sleepUntil waits until offset d after the headers (plus any stall), or until the client goes
// away (false).
func (s *streamer) sleepUntil(d time.Duration) bool {
	wait := time.Until(s.start.Add(d + s.shift))
	if wait <= 0 {
		return s.r.Context().Err() == nil
	}
	if s.timer == nil {
		s.timer = time.NewTimer(wait)
	} else {
		s.timer.Reset(wait)
	}
	select {
	case <-s.timer.C:
		return true
	case <-s.r.Context().Done():
		return false
	}
}

// fault injects f; it reports whether the stream goes on (after a stall that ended).
func (s *streamer) fault(f account.StreamFault, req *apiRequest) bool {
	c := &s.h.m.streams
	switch f.Kind {
	case account.FaultOverloaded:
		c.overloaded.Add(1)
		s.ended = endFault
		out := s.sc.out[:0]
		if s.chat {
			out = append(out, "data: "...)
			out = appendOpenAIError(out, "The server had an error while processing your request. Sorry about that!", "server_error", "", "")
			out = append(out, "\n\ndata: [DONE]\n\n"...)
		} else {
			out = append(out, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"...)
		}
		s.flush(out)
		return false
	case account.FaultClosed:
		c.closed.Add(1)
		s.ended = endFault
		// Abort the connection: the client reads a body cut off without its last chunk.
		panic(http.ErrAbortHandler)
	case account.FaultStalled:
		c.stalled.Add(1)
		began := time.Now()
		if f.Stall <= 0 {
			<-s.r.Context().Done()
			return false
		}
		if !s.sleepUntil(time.Since(s.start) - s.shift + f.Stall) {
			return false
		}
		s.shift += time.Since(began)
		return true
	}
	return true
}

// The kinds of chat chunk.
const (
	chunkRole = iota
	chunkContent
	chunkStop
	chunkLength
	chunkUsage
)

func chunkFinish(maxed bool) int {
	if maxed {
		return chunkLength
	}
	return chunkStop
}

// appendChunkPrefix appends a chat chunk's opening, the same for every chunk of a stream.
func appendChunkPrefix(dst []byte, sc *scratch, ids *requestIDs, model []byte, created int64) []byte {
	dst = append(dst, `data: {"id":"`...)
	dst = sc.ids.appendID(dst, ids, "chatcmpl-")
	dst = append(dst, `","object":"chat.completion.chunk","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"model":"`...)
	dst = append(dst, model...)
	return append(dst, `","service_tier":"default","system_fingerprint":null,"choices":[`...)
}

// appendChunk appends one chat chunk event of the given kind; a content chunk carries the
// output tokens after those sent up to token to.
func (s *streamer) appendChunk(dst []byte, kind int, to int64, req *apiRequest) []byte {
	dst = append(dst, s.prefix...)
	switch kind {
	case chunkRole:
		dst = append(dst, `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]`...)
	case chunkContent:
		dst = append(dst, `{"index":0,"delta":{"content":"`...)
		dst = appendReplyRange(dst, s.sent, to)
		dst = append(dst, `"},"logprobs":null,"finish_reason":null}]`...)
	case chunkStop:
		dst = append(dst, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]`...)
	case chunkLength:
		dst = append(dst, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]`...)
	case chunkUsage:
		in, out := s.reply.InputTokens, s.sent
		dst = append(dst, `],"usage":{"prompt_tokens":`...)
		dst = strconv.AppendInt(dst, in, 10)
		dst = append(dst, `,"completion_tokens":`...)
		dst = strconv.AppendInt(dst, out, 10)
		dst = append(dst, `,"total_tokens":`...)
		dst = strconv.AppendInt(dst, in+out, 10)
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`...)
		return append(dst, "\n\n"...)
	}
	if req.includeUsage {
		dst = append(dst, `,"usage":null`...)
	}
	return append(dst, "}\n\n"...)
}

// appendMessageStart appends the message_start event: the message with empty content and the
// usage so far.
func appendMessageStart(dst []byte, sc *scratch, ids *requestIDs, model []byte, rep *account.Reply, out int64) []byte {
	dst = append(dst, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\""...)
	dst = sc.ids.appendID(dst, ids, "msg_")
	dst = append(dst, `","type":"message","role":"assistant","model":"`...)
	dst = append(dst, model...)
	dst = append(dst, `","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	dst = strconv.AppendInt(dst, rep.InputTokens, 10)
	dst = appendCacheUsage(dst, rep, true)
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, out, 10)
	return append(dst, ",\"service_tier\":\"standard\"}}}\n\n"...)
}

// appendReplyRange appends output tokens from+1 … to of the reply appendReply writes: bytes
// 4·from up to 4·to of replyText repeated.
func appendReplyRange(dst []byte, from, to int64) []byte {
	const n = int64(len(replyText))
	for i, end := 4*from, 4*to; i < end; {
		off := i % n
		k := min(end-i, n-off)
		dst = append(dst, replyText[off:off+k]...)
		i += k
	}
	return dst
}
