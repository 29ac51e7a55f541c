package sim

import (
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/record"
)

// Generation time in virtual time. An admitted messages or chat reply takes its latency, then
// its generation time (account.Generation), as the mock takes them: a non-streamed body arrives
// when its last token is generated, a streamed one delivers its first delta at TTFT and its last
// event with the last token, and a stream fault (account.StreamFault) ends it after some tokens
// as the mock's does, or stalls it until the engine's idle timeout. So concurrency, in-flight
// slots and output-token charging happen at the instants they do against the mock, and a
// streamed attempt gets the record fields the live engine measures.

// Delta events of a stream, as the mock writes them (mockserver/stream.go): a delta per token,
// or per minEventGap of tokens at rates above 1,000/s, or per instantChunk tokens of an instant
// reply.
const (
	instantChunk = 16
	minEventGap  = time.Millisecond
)

// chargeStep is the longest pause between charges of a streamed reply's deferred output tokens
// while it is generated (the mock charges per event); a reply is charged at least 16 times, or
// per token when its tokens come slower.
const chargeStep = int64(250 * time.Millisecond)

// genPlan is how the response of an attempt arrives, in virtual nanoseconds after its send.
type genPlan struct {
	end int64 // the attempt ends (body done, stream failed or given up)
	// Stream fields (streamed 2xx replies only).
	streamed      bool
	ttft, last    int64 // first content delta (-1: none) and last event
	events        int
	failure       string
	in, out       int64 // usage the stream reported
	faultAfter    int64 // tokens sent before a fault (-1: none)
	shiftAfter    int64 // tokens after which a stall shifted the rest
	shift         int64 // by how long
	headers       int64 // the headers went out
	gen           account.Generation
	deferred      int64 // output tokens left to charge as they are sent
	charged       int64
	nonStreamedAt int64 // a non-streamed reply's deferred tokens are charged at its end
}

// plan works out the timing of reply to an attempt sent now, for a request that is streamed or
// not.
func (r *Engine) plan(reply *account.Reply, stream bool) genPlan {
	lat := int64(reply.Latency)
	p := genPlan{end: lat, headers: lat, ttft: -1, faultAfter: -1, shiftAfter: -1, gen: reply.Gen, deferred: reply.OutputDeferred}
	ok := reply.Status >= 200 && reply.Status < 300 && r.llm
	if !ok {
		return p
	}
	g := reply.Gen
	if !stream {
		p.end = lat + int64(g.Duration())
		p.nonStreamedAt = p.end
		return p
	}
	p.streamed = true
	step := int64(instantChunk)
	if g.Interval > 0 {
		step = max(1, int64((minEventGap+g.Interval-1)/g.Interval))
	}
	anthropic := r.requests.API == api.Anthropic
	prelude, epilogue := 1, 3 // openai: role chunk; finish chunk, usage chunk, [DONE]
	if anthropic {
		prelude = 3 // message_start, content_block_start, ping; content_block_stop, message_delta, message_stop
	}
	deltas := func(n int64) int { return int((n + step - 1) / step) }
	at := func(k int64) int64 {
		if k <= 0 {
			return lat
		}
		t := lat + int64(g.TokenAt(k))
		if p.shiftAfter >= 0 && k > p.shiftAfter {
			t += p.shift
		}
		return t
	}
	if g.Tokens > 0 {
		p.ttft = at(min(step, g.Tokens))
	}
	f := reply.Fault
	switch {
	case f.Kind == account.FaultStalled && f.Stall > 0 && f.Stall < r.idle:
		p.shiftAfter, p.shift = f.AfterTokens, int64(f.Stall)
		fallthrough
	case f.Kind == account.FaultNone:
		p.last, p.events = at(g.Tokens), prelude+deltas(g.Tokens)+epilogue
		p.in, p.out = reply.InputTokens, reply.OutputTokens
	default:
		k := f.AfterTokens
		p.faultAfter = k
		p.last, p.events = at(k), prelude+deltas(k)
		if k == 0 {
			p.ttft = -1
		}
		if anthropic {
			p.in, p.out = reply.InputTokens, min(reply.OutputTokens, 1) // message_start's usage
		}
		switch f.Kind {
		case account.FaultOverloaded:
			p.events++
			p.failure = "overloaded_error"
			if !anthropic {
				p.failure = "server_error"
			}
		case account.FaultClosed:
			p.failure = api.StreamClosed
		default:
			p.failure = api.StreamStalled
			p.end = p.last + int64(r.idle)
		}
	}
	p.end = max(p.end, p.last)
	return p
}

// sentBy returns the output tokens sent by t nanoseconds after the send.
func (p *genPlan) sentBy(t int64) int64 {
	e := t - p.headers
	if p.shiftAfter >= 0 && e > int64(p.gen.TokenAt(p.shiftAfter+1)) {
		e = max(int64(p.gen.TokenAt(p.shiftAfter)), e-p.shift)
	}
	n := p.gen.TokensBy(time.Duration(e))
	if p.faultAfter >= 0 {
		n = min(n, p.faultAfter)
	}
	return n
}

// cut ends the plan early at t (the attempt's timeout): a stream still running fails as timed
// out, keeping the events sent by then.
func (p *genPlan) cut(t int64) {
	p.end = t
	if !p.streamed || p.last <= t {
		return
	}
	p.failure = api.StreamTimeout
	p.last = min(p.last, t)
	if p.ttft > t {
		p.ttft = -1
	}
}

// nextCharge returns when the next deferred charge of a streamed reply is due after now (both
// nanoseconds after the send), or -1 when the rest is charged at the end.
func (p *genPlan) nextCharge(now int64) int64 {
	if !p.streamed || p.deferred <= 0 {
		return -1
	}
	step := min(chargeStep, max(int64(p.gen.Interval), int64(p.gen.Duration())/16))
	next := max(now+max(step, 1), p.ttft)
	if p.ttft < 0 || next >= p.end {
		return -1
	}
	return next
}

// charge charges the deferred output tokens sent by t (nanoseconds after the send) that are not
// charged yet, at the virtual instant at.
func (r *Engine) charge(p *genPlan, t int64, at time.Time) {
	if p.deferred <= 0 {
		return
	}
	n := p.deferred
	if !(p.nonStreamedAt > 0 && t >= p.nonStreamedAt) {
		n = min(n, p.sentBy(t))
	}
	if n > p.charged {
		r.ledger.ChargeOutputKey(r.key, at, n-p.charged)
		p.charged = n
	}
}

// streamFields sets a streamed attempt's record fields from its plan.
func (p *genPlan) streamFields(a *record.Attempt) {
	a.Stream = true
	if !p.streamed {
		return
	}
	a.StreamError, a.StreamEvents = p.failure, p.events
	a.StreamDuration = time.Duration(p.last)
	if p.ttft >= 0 {
		a.TTFT, a.HasTTFT = time.Duration(p.ttft), true
	}
	a.InputTokens, a.OutputTokens = p.in, p.out
}
