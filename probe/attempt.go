package probe

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// sender is the reusable state of one goroutine that sends attempts (an open-model worker or a
// closed-model client): buffers for the request and response bodies and the record being built.
type sender struct {
	body   []byte
	reader *bodyReader // over body, while the transport may still read it
	resp   []byte
	rec    record.Attempt
	chunk  []byte      // a stream's read buffer
	stream *api.Stream // a stream's reader
}

// requestBody returns the body of logical request id, reusing the sender's buffer unless the
// transport may still be writing the previous attempt's body from it.
func (s *sender) requestBody(t *Target, id int64) ([]byte, *bodyReader) {
	if s.reader == nil || !s.reader.Closed() {
		s.body, s.reader = nil, new(bodyReader) // the old buffer stays with the transport
	}
	s.body = t.requestBody(s.body[:0], id)
	return s.body, s.reader
}

// send makes the HTTP attempt j.step asks for, fills s.rec and returns the outcome for the backoff.Flow
// and the instant the attempt ended. Transport errors are outcomes (status 0), never failures.
func (ph *phase) send(s *sender, j *job) (backoff.Outcome, time.Time) {
	e := ph.e
	t := e.target
	body, rb := s.requestBody(t, j.id)
	snap := new(ratelimit.Snapshot) // the Outcome keeps it; one per attempt
	var status int
	var errText, contentType string
	var in, out, cacheRead, cacheWrite int64
	var streamed *streamResult
	e.stats.inflight.Add(1)
	// The attempt's clock starts before its timeout does, so a timed-out attempt's latency is
	// never below the timeout.
	sent := time.Now()
	ctx, cancel := context.WithTimeout(e.attemptCtx, e.timeout)
	defer cancel()
	reqCtx := ctx
	var trace *connTrace
	if t.stream {
		trace = newConnTrace() // which connection the stream is read from: its receive timestamps
		reqCtx = trace.context(ctx)
	}
	req := t.newRequest(reqCtx, body, rb)
	resp, err := e.transport.RoundTrip(req)
	received := time.Now()
	if err == nil {
		status = resp.StatusCode
		*snap = e.parse(resp.Header, received)
		if failedStatus(status) {
			contentType = api.MediaType(resp.Header.Get("Content-Type"))
		}
		switch {
		case t.stream && status >= 200 && status < 300 && isEventStream(resp.Header):
			if s.stream == nil {
				s.stream = new(api.Stream)
			}
			s.stream.Reset(t.api)
			r := s.readStream(ctx, cancel, resp.Body, s.stream, sent, e.streamIdle, trace.conn)
			streamed, in, out = &r, s.stream.InputTokens, s.stream.OutputTokens
		case t.api == api.HTTP && !refused(status): // nothing to read in the body: drain it for connection reuse
			_, err = io.Copy(io.Discard, resp.Body)
		default:
			s.resp, err = readBody(resp.Body, s.resp[:0])
		}
		trace.disarm() // before the connection can go to another attempt
		resp.Body.Close()
		switch {
		case err != nil:
			// The head arrived, the body did not: a transport error. A 2xx whose answer was
			// cut off did not succeed, so it is recorded (and retried) as status 0; any other
			// status is kept, since the status itself is the server's answer (a 429 is a 429).
			errText = "read body after status " + strconv.Itoa(status) + ": " + ph.errorText(ctx, err)
			if status >= 200 && status < 300 {
				status = 0
			}
		case streamed != nil:
			if streamed.failure != "" {
				errText = streamText(streamed, t.scrub)
			}
		case status >= 200 && status < 300:
			in, out, errText = t.Answer(status, s.resp)
			if errText == "" && in+out > 0 {
				cacheRead, cacheWrite = api.CacheUsage(t.api, s.resp)
			}
		default: // a refusal: its body may say how long to wait and whether waiting helps
			api.ErrorHint(s.resp).Apply(snap)
		}
		if cap(s.resp) > keepBody {
			s.resp = nil // an idle worker does not keep a large body's buffer
		}
	} else {
		errText = ph.errorText(ctx, err)
	}
	end := time.Now()
	e.stats.inflight.Add(-1)
	if ready := j.ready; !ready.IsZero() && sent.Sub(ready) > record.LateThreshold {
		e.stats.late.Add(1)
		ph.late.Add(1)
	}

	s.rec = record.Attempt{
		Run: ph.label, Mode: record.ModeLive, Strategy: ph.strategy, Phase: ph.phaseName, Fleet: ph.fleetSize,
		Client: j.client, Request: j.id, Number: j.step.Attempt,
		Scheduled: e.since(j.step.Due), Sent: e.since(sent),
		Latency: end.Sub(sent),
		Status:  status, Error: errText, ContentType: contentType,
		InputTokens: in, OutputTokens: out, MaxTokens: t.MaxTokens(),
		CacheReadTokens: cacheRead, CacheCreationTokens: cacheWrite,
	}
	s.rec.SetLimits(snap)
	o := backoff.Outcome{
		Attempt: j.step.Attempt, Status: status, Limits: snap,
		Started: j.flow.Scheduled(), Sent: sent, Latency: end.Sub(sent),
	}
	if t.stream {
		s.rec.Stream = true
		if streamed != nil {
			s.rec.StreamError, o.StreamError = streamed.failure, streamed.failure
			s.rec.StreamEvents = s.stream.Events
			s.rec.StreamDuration = streamed.last
			if streamed.ttft > 0 {
				s.rec.TTFT, s.rec.HasTTFT = streamed.ttft, true
				ph.ttftClock(streamed.kernel)
			}
		}
	}
	e.consume(in, out)
	return o, end
}

// streamText is the record's error text of a failed stream: its kind and the error event's
// message, if any.
func streamText(r *streamResult, scrub func(string) string) string {
	if r.message == "" {
		return "stream failed after the status: " + r.failure
	}
	return "stream failed after the status: " + r.failure + ": " + scrub(r.message)
}

// reject fills s.rec with a local rejection by the policy and returns its outcome.
func (ph *phase) reject(s *sender, j *job, now time.Time) backoff.Outcome {
	e := ph.e
	s.rec = record.Attempt{
		Run: ph.label, Mode: record.ModeLive, Strategy: ph.strategy, Phase: ph.phaseName, Fleet: ph.fleetSize,
		Client: j.client, Request: j.id, Number: j.step.Attempt,
		Scheduled: e.since(j.step.Due), Sent: e.since(now),
		MaxTokens: e.target.MaxTokens(), ClientRejected: true,
	}
	return backoff.Outcome{
		Attempt: j.step.Attempt, ClientRejected: true, Limits: new(ratelimit.Snapshot),
		Started: j.flow.Scheduled(), Sent: now,
	}
}

// failedStatus reports whether a response status failed other than by rate limiting: the
// attempts whose body's content type the record keeps (a proxy's HTML error page is not the
// API's JSON error).
func failedStatus(status int) bool {
	return (status < 200 || status >= 300) && status != 429
}

// readBody reads up to maxBody bytes of r into buf and discards the rest, so the connection can
// be reused.
func readBody(r io.Reader, buf []byte) ([]byte, error) {
	for len(buf) < maxBody {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), maxBody)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	_, err := io.Copy(io.Discard, r)
	return buf, err
}

// errorText describes a transport error for the record: the cause without the request URL,
// with the key scrubbed, and timeouts and cancellations named as such.
func (ph *phase) errorText(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && ph.e.attemptCtx.Err() == nil:
		return "timeout after " + ph.e.timeout.String()
	case ph.e.attemptCtx.Err() != nil:
		return "cancelled: run stopped"
	}
	// The common breakages get one stable text each (no addresses or ports), so that reports
	// can count them by kind.
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "server closed the connection mid-response (unexpected EOF)"
	case errors.Is(err, io.EOF):
		return "server closed the connection without a response (EOF)"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server (RST)"
	case errors.Is(err, syscall.EPIPE):
		return "server closed the connection while the request was sent (broken pipe)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return ph.e.target.scrub(err.Error())
}

// refused reports whether a status is a refusal whose body may carry a retry hint or a
// terminal cause: 429, and any other 4xx or 5xx.
func refused(status int) bool { return status >= 400 }
