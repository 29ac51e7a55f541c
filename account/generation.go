package account

// Generation time and output charging, shared by the mock and the simulator.
//
// An admitted messages or chat call's Reply says how to time it and what is still to charge:
//
//   - Reply.Latency: the headers (and the rate-limit header values) go out after it.
//   - Reply.Gen: the output's timing after the headers (TTFT, then a token every Interval),
//     drawn from ttft ± ttft_jitter and output_tps ± output_tps_jitter; a non-streamed body is
//     written at Latency + Gen.Duration().
//   - Reply.OutputDeferred: for a Call with DeferOutput, under actual accounting (Anthropic:
//     output tokens count as they are generated) with a generation time or a stream fault,
//     Handle charges no output tokens;
//     the caller calls Ledger.ChargeOutput (or ChargeOutputKey) with the tokens as it
//     generates them, per event or once at the end, and a reply cut short (a client gone, a
//     stream fault) is charged only Gen.TokensBy(elapsed) or the tokens sent. Under max_tokens
//     accounting (OpenAI) max_tokens was reserved at admission and OutputDeferred is 0; with
//     instant generation and no fault, Handle charges the output at once, as it always did.
//   - Reply.Fault: for a streamed reply, the fault to inject after Fault.AfterTokens tokens.

import (
	"math"
	"time"
)

// Generation is when a reply's output is produced, measured from the instant the response
// headers go out (Reply.Latency after the call): the first token after TTFT, then one token
// every Interval. The zero Generation is instant (today's fast replies). The mock and the
// simulator both time replies with it:
//
//	headers at  call + Latency
//	token k at  call + Latency + Gen.TokenAt(k)      (k = 1 … Gen.Tokens)
//	done at     call + Latency + Gen.Duration()      (a non-streamed body is written then)
type Generation struct {
	// TTFT is the time to the first output token.
	TTFT time.Duration
	// Interval is the time between two output tokens (1 / tokens per second); 0 is instant.
	Interval time.Duration
	// Tokens is the number of output tokens generated (Reply.OutputTokens).
	Tokens int64
}

// TokenAt returns when output token k (1-based) is generated, after the headers: TTFT +
// (k−1)·Interval. k below 1 is the first token.
func (g Generation) TokenAt(k int64) time.Duration {
	if k <= 1 {
		return g.TTFT
	}
	return g.TTFT + time.Duration(k-1)*g.Interval
}

// Duration returns how long generation takes after the headers: the instant of the last token
// (TTFT when there is none).
func (g Generation) Duration() time.Duration { return g.TokenAt(g.Tokens) }

// TokensBy returns how many output tokens have been generated elapsed after the headers: what a
// reply cut short at that instant is charged under actual accounting.
func (g Generation) TokensBy(elapsed time.Duration) int64 {
	if elapsed < g.TTFT || g.Tokens <= 0 {
		return 0
	}
	if g.Interval <= 0 {
		return g.Tokens
	}
	return min(1+int64((elapsed-g.TTFT)/g.Interval), g.Tokens)
}

// Instant reports whether the whole reply exists as soon as the headers go out.
func (g Generation) Instant() bool { return g.TTFT <= 0 && (g.Interval <= 0 || g.Tokens <= 1) }

// TokensPerSecond returns the decode rate, 1/Interval; 0 when generation is instant.
func (g Generation) TokensPerSecond() float64 {
	if g.Interval <= 0 {
		return 0
	}
	return float64(time.Second) / float64(g.Interval)
}

// minOutputTPS is the slowest decode rate a jittered draw may give (tokens per second), so that a
// jitter as large as the rate never stops generation.
const minOutputTPS = 0.1

// generation draws the generation timing of a reply of n tokens from the configured TTFT and
// output rate, with uTTFT and uTPS in [0,1) spreading each uniformly over ± its jitter.
func (m *Ledger) generation(uTTFT, uTPS float64, n int64) Generation {
	c := &m.cfg
	g := Generation{TTFT: c.TTFT, Tokens: n}
	if c.TTFTJitter > 0 {
		g.TTFT += time.Duration((2*uTTFT - 1) * float64(c.TTFTJitter))
	}
	g.TTFT = max(g.TTFT, 0)
	if c.OutputTPS > 0 {
		tps := c.OutputTPS
		if c.OutputTPSJitter > 0 {
			tps += (2*uTPS - 1) * c.OutputTPSJitter
		}
		g.Interval = time.Duration(math.Round(float64(time.Second) / max(tps, minOutputTPS)))
	}
	return g
}

// generates reports whether replies take generation time (ttft or output_tps set).
func (c *Config) generates() bool { return c.TTFT > 0 || c.TTFTJitter > 0 || c.OutputTPS > 0 }

// validateGeneration checks the generation fields (ttft, ttft_jitter, output_tps,
// output_tps_jitter).
func (c *Config) validateGeneration() error {
	switch {
	case c.TTFT < 0:
		return fieldErrorf("ttft", "%v is negative: want a time to first token ≥ 0, e.g. 400ms", c.TTFT)
	case c.TTFTJitter < 0:
		return fieldErrorf("ttft_jitter", "%v is negative: want a duration ≥ 0 (the spread: ttft ± jitter)", c.TTFTJitter)
	case !(c.OutputTPS >= 0) || math.IsInf(c.OutputTPS, 0):
		return fieldErrorf("output_tps", "%v: want output tokens per second ≥ 0, e.g. 60 (0: instant)", c.OutputTPS)
	case !(c.OutputTPSJitter >= 0) || math.IsInf(c.OutputTPSJitter, 0):
		return fieldErrorf("output_tps_jitter", "%v: want a spread in tokens per second ≥ 0 (output_tps ± jitter)", c.OutputTPSJitter)
	case c.OutputTPSJitter > 0 && c.OutputTPS == 0:
		return fieldErrorf("output_tps_jitter", "set without output_tps: want output_tps > 0 to spread")
	}
	return nil
}

// ChargeOutput charges n output tokens generated at instant now to the account that c reached
// last (Ledger.HandleWith): the output and combined token limits take them, debt allowed. A
// caller charges a reply's Reply.OutputDeferred tokens this way as they are generated, in as
// many steps as it likes (per streamed event, or once at the end); a reply cut short is charged
// only what was generated. It does nothing when n ≤ 0 or c reached no account.
func (m *Ledger) ChargeOutput(c *Cursor, now time.Time, n int64) {
	a, l := c.acct, m
	if a == nil || n <= 0 {
		return
	}
	if c.led != nil {
		l = c.led
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range [2]mockDim{dimOutput, dimTokens} {
		if l.res.dims[d].on {
			a.chargeAfter(now, d, n)
			a.stats.dims[d].units += n
		}
	}
}

// ChargeOutputKey is ChargeOutput for a caller that keeps no Cursor: it charges key's account
// (nothing when key has none).
func (m *Ledger) ChargeOutputKey(key string, now time.Time, n int64) {
	m.mu.RLock()
	a := m.accounts[key]
	m.mu.RUnlock()
	m.ChargeOutput(&Cursor{key: key, acct: a}, now, n)
}

// StreamFaultKind names a fault injected inside a streamed reply; the names are the record's
// stream_error kinds.
type StreamFaultKind string

// The stream faults.
const (
	// FaultNone: the stream completes.
	FaultNone StreamFaultKind = ""
	// FaultOverloaded ends the stream with an error event after some output: Anthropic's
	// `event: error` overloaded_error, OpenAI's `data: {"error":…}` server_error.
	FaultOverloaded StreamFaultKind = "overloaded_error"
	// FaultClosed cuts the connection mid-stream: the client reads a truncated body.
	FaultClosed StreamFaultKind = "closed"
	// FaultStalled sends nothing for Config.StreamStall (0: until the client goes away), then
	// goes on.
	FaultStalled StreamFaultKind = "stalled"
)

// StreamFault is the fault a streamed reply suffers: Kind after AfterTokens output tokens have
// been generated and sent. A non-streamed reply ignores it.
type StreamFault struct {
	Kind        StreamFaultKind
	AfterTokens int64
	// Stall is how long a FaultStalled stream sends nothing; 0 means until the client goes away.
	Stall time.Duration
}

// streamFaults reports whether any stream fault is configured.
func (c *Config) streamFaults() bool {
	return c.StreamErrorRate > 0 || c.StreamCloseRate > 0 || c.StreamStallRate > 0
}

// streamFault picks a reply's stream fault from the draws u (which fault, by the rates) and
// uAt (where, uniformly after 1 … n−1 tokens; after 0 tokens when n ≤ 1).
func (m *Ledger) streamFault(u, uAt float64, n int64) StreamFault {
	c := &m.cfg
	var f StreamFault
	switch {
	case u < c.StreamErrorRate:
		f.Kind = FaultOverloaded
	case u < c.StreamErrorRate+c.StreamCloseRate:
		f.Kind = FaultClosed
	case u < c.StreamErrorRate+c.StreamCloseRate+c.StreamStallRate:
		f.Kind, f.Stall = FaultStalled, c.StreamStall
	default:
		return f
	}
	if n > 1 {
		f.AfterTokens = min(1+int64(uAt*float64(n-1)), n-1)
	}
	return f
}

// validateStreamFaults checks stream_error_rate, stream_close_rate, stream_stall_rate and
// stream_stall.
func (c *Config) validateStreamFaults() error {
	for _, r := range []struct {
		field string
		v     float64
	}{{"stream_error_rate", c.StreamErrorRate}, {"stream_close_rate", c.StreamCloseRate}, {"stream_stall_rate", c.StreamStallRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return fieldErrorf(r.field, "%v: want a probability between 0 and 1", r.v)
		}
	}
	if s := c.StreamErrorRate + c.StreamCloseRate + c.StreamStallRate; s > 1 {
		return fieldErrorf("stream_stall_rate", "stream_error_rate + stream_close_rate + stream_stall_rate = %v exceeds 1", s)
	}
	if c.StreamStall < 0 {
		return fieldErrorf("stream_stall", "%v is negative: want a duration ≥ 0 (0: until the client goes away)", c.StreamStall)
	}
	return nil
}

// drawGeneration takes the generation and stream-fault draws that are configured.
func (m *Ledger) drawGeneration(dr *draws) {
	if m.cfg.TTFTJitter > 0 {
		dr.ttft = m.rng.Float64()
	}
	if m.cfg.OutputTPSJitter > 0 {
		dr.tps = m.rng.Float64()
	}
	if m.cfg.streamFaults() {
		dr.stream, dr.streamPos = m.rng.Float64(), m.rng.Float64()
	} else {
		dr.stream = 1
	}
}

// generate sets an admitted reply's generation timing and stream fault.
func (m *Ledger) generate(dr *draws, r *Reply) {
	if !m.cfg.generates() && !m.cfg.streamFaults() {
		r.Gen.Tokens = r.OutputTokens
		return
	}
	r.Gen = m.generation(dr.ttft, dr.tps, r.OutputTokens)
	if m.cfg.streamFaults() {
		r.Fault = m.streamFault(dr.stream, dr.streamPos, r.OutputTokens)
	}
}

// StreamStats are the counts of streamed replies in GET /_ratelab/stats.
type StreamStats struct {
	Started   int64 `json:"started"`   // streams whose headers went out
	Completed int64 `json:"completed"` // streams that sent their last event
	// ClientGone counts streams ended because the client went away (or timed out) first.
	ClientGone int64 `json:"client_gone"`
	// Faults counts the faults injected, by kind: overloaded_error, closed, stalled.
	Faults map[string]int64 `json:"faults"`
}
