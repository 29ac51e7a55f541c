package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// maxRequestCapture is how much of a request body is kept to read its model, max_tokens and
// stream fields (they come first in the bodies the SDKs write).
const maxRequestCapture = 64 << 10

type exchangeKey struct{}

// exchange is one request through the proxy, from arrival to its record.
type exchange struct {
	p     *Proxy
	in    *http.Request
	out   *http.Request // in, with the upstream context and the observed body
	w     *respWriter
	start time.Time
	api   api.API

	id       int64
	clientID string
	client   int
	request  int64      // the logical request: id, or the request a retry belongs to
	number   int        // the attempt's number within it
	capMu    sync.Mutex // the transport may still send the body when the answer came
	reqCap   []byte     // the request body's first bytes
	resp     *http.Response
	body     *bodyObserver
	upErr    error       // the transport's error, from the ErrorHandler
	gated    bool        // the gate (or the proxy, for it) answered
	gateHdr  http.Header // header fields the gate set, laid over the upstream's
	cancel   context.CancelFunc
	timer    *time.Timer
	timedOut atomic.Bool
	stopped  func() bool
}

func (p *Proxy) newExchange(w http.ResponseWriter, r *http.Request) *exchange {
	x := &exchange{p: p, in: r, w: &respWriter{ResponseWriter: w}, start: time.Now()}
	x.id = p.requests.Add(1)
	x.clientID = identity(r, p.cfg.ClientHeader)
	x.client = p.clients.index(x.clientID)
	x.request, x.number = x.id, 1
	// The official SDKs (Stainless-generated: Anthropic's, OpenAI's) number their retries: a
	// retry is the next attempt of its client's last request.
	if n, err := strconv.Atoi(r.Header.Get("X-Stainless-Retry-Count")); err == nil && n > 0 && n < 1000 {
		if req, ok := p.clients.retryOf(x.clientID); ok {
			x.request, x.number = req, n+1
		}
	} else {
		p.clients.first(x.clientID, x.id)
	}
	target := *p.cfg.Upstream
	target.Path = strings.TrimSuffix(target.Path, "/") + r.URL.Path
	x.api = api.Infer(&target)
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), exchangeKey{}, x))
	x.cancel = cancel
	x.stopped = context.AfterFunc(p.stopCtx, cancel)
	x.timer = time.AfterFunc(p.cfg.Timeout, func() { x.timedOut.Store(true); cancel() })
	x.out = r.WithContext(ctx)
	if r.Body != nil && r.Body != http.NoBody {
		x.out.Body = &teeBody{rc: r.Body, x: x}
	}
	return x
}

// touch restarts the upstream's silence timer: it just spoke.
func (x *exchange) touch() { x.timer.Reset(x.p.cfg.Timeout) }

// gate reads the body whole and asks the gate; false when the gate answered itself.
func (x *exchange) gate() bool {
	var body []byte
	x.gated = true
	if x.in.Body != nil {
		b, err := io.ReadAll(io.LimitReader(x.in.Body, MaxGateBody+1))
		if err != nil {
			x.upErr = fmt.Errorf("read request body: %w", err)
			http.Error(x.w, "ratelab proxy: could not read the request body", http.StatusBadRequest)
			return false
		}
		if len(b) > MaxGateBody {
			http.Error(x.w, "ratelab proxy: request body over "+strconv.Itoa(MaxGateBody)+" bytes", http.StatusRequestEntityTooLarge)
			return false
		}
		body = b
		x.reqCap = b[:min(len(b), maxRequestCapture)]
		x.out.Body = io.NopCloser(bytes.NewReader(b))
	}
	x.gated = true // until admitted: the gate answers
	before := maps.Clone(x.w.Header())
	if !x.p.cfg.Gate.Admit(x.w, x.in, body, time.Now()) {
		return false
	}
	// The gate's header fields replace the upstream's of the same name (modifyResponse);
	// they leave the writer's header so the upstream's are not added beside them.
	x.gated = false
	x.gateHdr = http.Header{}
	for k, v := range x.w.Header() {
		if _, ok := before[k]; !ok {
			x.gateHdr[k] = v
			delete(x.w.Header(), k)
		}
	}
	return true
}

// exchangeOf is the exchange of a request the reverse proxy hands back.
func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// modifyResponse wraps the upstream's body so its bytes are observed as they pass.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	x := exchangeOf(resp.Request)
	if x == nil {
		return nil
	}
	x.touch()
	for k, v := range x.gateHdr {
		for k2 := range resp.Header {
			if strings.EqualFold(k, k2) {
				delete(resp.Header, k2)
			}
		}
		resp.Header[k] = v
	}
	x.resp = resp
	x.body = newBodyObserver(x, resp)
	resp.Body = x.body
	return nil
}

// errorHandler answers 502 when the upstream could not be reached or its answer's header could
// not be read.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if x := exchangeOf(r); x != nil {
		x.upErr = err
	}
	if r.Context().Err() != nil && errors.Is(r.Context().Err(), context.Canceled) {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	http.Error(w, "ratelab proxy: upstream unreachable", http.StatusBadGateway)
}

// finish builds the attempt and records it.
func (x *exchange) finish() {
	x.timer.Stop()
	x.stopped()
	x.cancel()
	end := time.Now()
	a := record.Attempt{
		Run: "observed", Mode: record.ModeLive, Phase: "observed",
		Final: true, Observed: true,
		Scheduled: x.p.since(x.start), Sent: x.p.since(x.start),
		Latency: end.Sub(x.start),
	}
	a.ClientID, a.Client, a.Request, a.Number = x.clientID, x.client, x.request, x.number
	x.capMu.Lock()
	a.Model, a.MaxTokens = requestFields(x.reqCap)
	x.capMu.Unlock()
	x.p.models.add(a.Model)
	x.p.apis.add(string(x.api))
	switch {
	case x.resp != nil:
		a.Status = x.resp.StatusCode
		snap := ratelimit.Parse(x.resp.Header, x.body.received)
		a.SetLimits(&snap)
		a.InputTokens, a.OutputTokens = x.body.usage()
		if a.Status < 200 || a.Status >= 300 && a.Status != 429 {
			a.ContentType = api.MediaType(x.resp.Header.Get("Content-Type"))
		}
		switch {
		case !x.body.eof && x.clientGone(x.body.err):
			a.Error = "the client closed the connection before the answer ended"
		case x.body.err != nil && !x.body.eof:
			a.Error = "read body after status " + strconv.Itoa(a.Status) + ": " + x.errorText(x.body.err)
			if a.Status >= 200 && a.Status < 300 && x.body.sse == nil {
				a.Status = 0 // the answer was cut: it did not succeed
			}
		}
		if x.body.sse != nil {
			x.streamFields(&a)
		}
	case x.gated:
		// The gate answered (or refused to read the body).
		a.Status = x.w.status
		snap := ratelimit.Parse(x.w.Header(), end)
		a.SetLimits(&snap)
		if x.upErr != nil {
			a.Error = x.errorText(x.upErr)
		}
	default:
		a.Error = x.errorText(x.upErr)
	}
	x.p.record(&a)
}

// streamFields fills a's stream fields from the event stream the upstream answered, as the
// probe records its own: a stream cut before its final event is a stream_error (closed, stalled
// when the upstream fell silent for --timeout, cancelled when the client or the proxy left), with
// its status kept.
func (x *exchange) streamFields(a *record.Attempt) {
	st, b := x.body.sse, x.body
	a.Stream, a.StreamEvents = true, st.Events
	if !b.firstDelta.IsZero() {
		a.TTFT, a.HasTTFT = b.firstDelta.Sub(x.start), true
	}
	if !b.lastEvent.IsZero() {
		a.StreamDuration = b.lastEvent.Sub(x.start)
	}
	a.StreamError = st.Failure()
	if b.eof || st.Over() || b.err == nil {
		return
	}
	switch {
	case x.timedOut.Load():
		a.StreamError = api.StreamStalled
	case x.p.stopCtx.Err() != nil || x.clientGone(b.err):
		a.StreamError = "cancelled"
	}
}

// since is the time from the recording's start to t in seconds.
func (p *Proxy) since(t time.Time) time.Duration { return t.Sub(p.cfg.Start) }

// errorText describes a transport error in one stable phrase per kind, with no address and no
// URL (and so no key a query string might carry).
func (x *exchange) errorText(err error) string {
	switch {
	case err == nil:
		return "no answer"
	case x.timedOut.Load():
		return "upstream silent for " + x.p.cfg.Timeout.String() + " (--timeout)"
	case x.p.stopCtx.Err() != nil:
		return "cancelled: proxy stopped"
	case errors.Is(err, errRequestBody):
		return "the client's request body was cut"
	case x.clientGone(err):
		return "the client closed the connection"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed mid-message (unexpected EOF)"
	case errors.Is(err, io.EOF):
		return "connection closed without a response (EOF)"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset (RST)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "upstream refused the connection"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "transport error (" + errKind(err) + ")"
}

// errKind names an unclassified error's type, never its text (which may hold an address).
func errKind(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return fmt.Sprintf("%T", err)
		}
		err = u
	}
}

// clientGone reports whether the client left: a write to it failed, its request's context
// ended, or the upstream request was cancelled (or its connection closed on our side) by
// neither --timeout nor the proxy stopping: the client is the only other cause, and its
// context may be seen ending a moment later.
func (x *exchange) clientGone(err error) bool {
	return x.w.werr != nil || x.in.Context().Err() != nil ||
		((errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed)) && !x.timedOut.Load() && x.p.stopCtx.Err() == nil)
}

// errRequestBody marks an error reading the client's request body.
var errRequestBody = errors.New("request body")

// teeBody is the request body on its way upstream: it keeps the first bytes for the record.
type teeBody struct {
	rc io.ReadCloser
	x  *exchange
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.x.capMu.Lock()
	defer t.x.capMu.Unlock()
	if room := maxRequestCapture - len(t.x.reqCap); room > 0 && n > 0 {
		t.x.reqCap = append(t.x.reqCap, p[:min(n, room)]...)
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errRequestBody, err)
	}
	return n, err
}

func (t *teeBody) Close() error { return t.rc.Close() }

// respWriter remembers the status written to the client, and whether a write to it failed
// (the client left).
type respWriter struct {
	http.ResponseWriter
	status int
	werr   error
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	if err != nil && w.werr == nil {
		w.werr = err
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer (Flush).
func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
