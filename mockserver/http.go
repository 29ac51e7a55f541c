package mockserver

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/metrics"
	"github.com/ratelab/ratelab/ratelimit"
)

// Header values shared by every response; never modified.
var (
	hdrJSON        = []string{"application/json"}
	hdrProblemJSON = []string{"application/problem+json"}
	hdrTrue        = []string{"true"}
	hdrFalse       = []string{"false"}
	hdrPost        = []string{"POST"}
)

// handler is the mock's HTTP front end: it parses and validates, calls Mock.Handle with the
// current time, waits the reply's latency and writes the provider's exact response.
type handler struct {
	m       *Mock
	scratch sync.Pool // *scratch
	// fields hands out the rate-limit header values: a limit, or a reset instant within the
	// same second, is formatted once and shared by the responses that carry it.
	fields ratelimit.FieldCache
	// beforeHandle, when set (tests only), runs before each API request is handled.
	beforeHandle func(*http.Request)
}

// Handler returns the mock's HTTP handler:
//
//	POST /v1/messages               Anthropic Messages (anthropic-ratelimit-* headers)
//	POST /v1/messages/count_tokens  {"input_tokens":N}, under its own requests limit
//	POST /v1/chat/completions       OpenAI chat completions (x-ratelimit-* headers)
//	GET  /_ratelab/stats            counters per API key and dimension (JSON)
//	GET  /healthz                   {"status":"ok"}
//	any other path                  {"ok":true}, limited by requests (IETF RateLimit headers)
func (m *Mock) Handler() http.Handler {
	return &handler{m: m}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer h.recoverPanic(w, r)
	if f := h.m.front; f != nil && f.serve(h, w, r) {
		return
	}
	switch r.URL.Path {
	case "/v1/messages":
		h.api(w, r, account.EndpointMessages)
	case "/v1/messages/count_tokens":
		h.api(w, r, account.EndpointCountTokens)
	case "/v1/chat/completions":
		h.api(w, r, account.EndpointChat)
	case "/_ratelab/stats":
		h.stats(w, r)
	case metrics.Path:
		if h.m.metrics == nil {
			h.generic(w, r)
			return
		}
		h.m.metrics.Handler().ServeHTTP(w, r)
	case "/healthz":
		w.Header()["Content-Type"] = hdrJSON
		io.WriteString(w, `{"status":"ok"}`)
	default:
		h.generic(w, r)
	}
}

// recoverPanic turns a panic in a handler into a provider-shaped 500 api_error.
func (h *handler) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	e := endpointOf(r.URL.Path)
	status, typ, msg := account.ServerError(e)
	h.m.ledger.CountUnkeyed(status)
	sc := h.getScratch()
	defer h.putScratch(sc)
	h.writeError(w, sc, e, status, typ, msg, "", "")
}

func endpointOf(path string) account.Endpoint {
	switch path {
	case "/v1/messages":
		return account.EndpointMessages
	case "/v1/messages/count_tokens":
		return account.EndpointCountTokens
	case "/v1/chat/completions":
		return account.EndpointChat
	}
	return account.EndpointGeneric
}

func (h *handler) getScratch() *scratch {
	if sc, ok := h.scratch.Get().(*scratch); ok {
		return sc
	}
	return &scratch{in: make([]byte, 0, 4096), out: make([]byte, 0, 4096)}
}

// maxPooled is the largest buffer kept for reuse; bigger ones (huge prompts) go to the GC.
const maxPooled = 1 << 20

func (h *handler) putScratch(sc *scratch) {
	if cap(sc.in) > maxPooled || cap(sc.out) > maxPooled {
		return
	}
	h.scratch.Put(sc)
}

// apiKey returns the request's key: x-api-key, else Authorization: Bearer.
func apiKey(r *http.Request) string {
	if v := r.Header["X-Api-Key"]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if v := r.Header["Authorization"]; len(v) > 0 {
		if len(v[0]) > 7 && strings.EqualFold(v[0][:7], "bearer ") {
			return strings.TrimSpace(v[0][7:])
		}
	}
	return ""
}

// isJSON reports whether a Content-Type names JSON (application/json, with parameters).
func isJSON(ct string) bool {
	if ct == "application/json" {
		return true // what every SDK sends
	}
	if len(ct) >= 16 && strings.EqualFold(ct[:16], "application/json") && (len(ct) == 16 || ct[16] == ';' || ct[16] == ' ') {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// readBody reads the body into buf (growing it as needed), refusing more than account.MaxBodyBytes.
// tooLarge reports a body over the limit; err a body that could not be read.
func readBody(r *http.Request, buf []byte) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > account.MaxBodyBytes {
		return buf, true, nil
	}
	if int64(cap(buf)) < r.ContentLength+1 {
		buf = make([]byte, 0, r.ContentLength+1) // +1: the read that sees EOF needs room
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) > account.MaxBodyBytes {
				return buf, true, nil
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > account.MaxBodyBytes {
			return buf, true, nil
		}
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
}

func (h *handler) api(w http.ResponseWriter, r *http.Request, e account.Endpoint) {
	m := h.m
	m.served.Add(1)
	sc := h.getScratch()
	defer h.putScratch(sc)
	if r.Method != http.MethodPost {
		w.Header()["Allow"] = hdrPost
		h.reject(w, sc, e, http.StatusMethodNotAllowed, "Method Not Allowed: "+r.URL.Path+" accepts POST only", "", "")
		return
	}
	if ct := r.Header["Content-Type"]; len(ct) > 0 && !isJSON(ct[0]) {
		h.reject(w, sc, e, http.StatusBadRequest, "Unsupported Content-Type "+strconv.Quote(ct[0])+": send the body as application/json", "", "")
		return
	}
	body, tooLarge, err := readBody(r, sc.in)
	sc.in = body[:0]
	if err != nil {
		if r.Context().Err() == nil {
			h.reject(w, sc, e, http.StatusBadRequest, "Could not read the request body: "+err.Error(), "", "")
		}
		return
	}
	if tooLarge {
		msg := "Request exceeds the maximum allowed number of bytes (" + strconv.Itoa(account.MaxBodyBytes) + ")."
		h.reject(w, sc, e, http.StatusRequestEntityTooLarge, msg, "", "")
		return
	}
	req, rerr := parseRequest(body, e)
	if rerr != nil {
		h.reject(w, sc, e, http.StatusBadRequest, rerr.msg, rerr.param, rerr.code)
		return
	}
	if e != account.EndpointChat && m.front.checkRequired(h, w, r, sc) {
		return
	}
	if e != account.EndpointChat && m.front.refusesSampling(r, &req) {
		h.reject(w, sc, e, http.StatusBadRequest, req.sampling+": Extra inputs are not permitted", "", "")
		return
	}
	if h.beforeHandle != nil {
		h.beforeHandle(r)
	}
	call := account.Call{Key: apiKey(r), Endpoint: e, InputTokens: req.inputTokens, MaxTokens: req.maxTokens, DeferOutput: true}
	if e == account.EndpointMessages && m.front != nil { // a preset: pools per model, the prompt cache
		call.Cache = cacheBreakpoints(body)
		call.Model = req.modelString()
	}
	if e == account.EndpointChat {
		if !req.hasMaxTokens {
			call.MaxTokens = account.DefaultChatMaxTokens
		}
		call.Model = req.modelString()
	}
	now := time.Now()
	var reply account.Reply
	m.ledger.HandleWith(&sc.cursor, now, &call, &reply)
	if reply.Status == http.StatusOK && req.stream {
		h.stream(w, r, sc, e, &req, &call, now, &reply)
		return
	}
	if !h.generate(r, sc, now, &reply) {
		return
	}
	m.observe(e, call.Key, &reply, now)
	hdr := w.Header()
	h.fields.Write(hdr, reply.Dialect, now, &reply.Limits)
	if reply.Status != http.StatusOK {
		if m.front != nil && m.front.writeRefusal(h, w, sc, call.Model, &reply, now) {
			return
		}
		h.writeError(w, sc, e, reply.Status, reply.ErrorType, reply.Message, "", openAICode(reply.Status))
		return
	}
	out := sc.out[:0]
	switch e {
	case account.EndpointMessages:
		out = appendMessage(out, &sc.ids, &m.ids, req.model, &reply, call.MaxTokens)
	case account.EndpointCountTokens:
		out = appendCountTokens(out, reply.InputTokens)
	default:
		out = appendChatCompletion(out, &sc.ids, &m.ids, req.model, now.Unix(), reply.InputTokens, reply.OutputTokens, call.MaxTokens)
	}
	sc.out = out[:0]
	h.setIDHeader(hdr, sc, e)
	hdr["Content-Type"] = hdrJSON
	setContentLength(hdr, len(out))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// setContentLength sets Content-Length for a body too large for net/http to measure itself
// (it does for bodies under 2 KB written at once, without a map entry).
func setContentLength(hdr http.Header, n int) {
	if n >= 2048 {
		hdr["Content-Length"] = []string{strconv.Itoa(n)}
	}
}

// openAICode is the OpenAI error code of a status.
func openAICode(status int) string {
	if status == http.StatusTooManyRequests {
		return "rate_limit_exceeded"
	}
	return ""
}

// wait holds the response for d, or until the client goes away (false).
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		t.Stop()
		return false
	}
}

// setIDHeader sets the request id header, request-id (Anthropic) or x-request-id, and returns
// the id.
func (h *handler) setIDHeader(hdr http.Header, sc *scratch, e account.Endpoint) string {
	v := sc.requestID(&h.m.ids)
	if e == account.EndpointMessages || e == account.EndpointCountTokens {
		hdr["request-id"] = v
	} else {
		hdr["x-request-id"] = v
	}
	return v[0]
}

// reject answers a request that never reached an account (bad method, type, size or body).
func (h *handler) reject(w http.ResponseWriter, sc *scratch, e account.Endpoint, status int, msg, param, code string) {
	h.m.ledger.CountUnkeyed(status)
	typ := "invalid_request_error"
	switch {
	case status == http.StatusRequestEntityTooLarge && e != account.EndpointChat:
		typ = "request_too_large"
	case e == account.EndpointGeneric:
		typ = "bad-request"
	}
	h.writeError(w, sc, e, status, typ, msg, param, code)
}

// writeError writes a provider-shaped error body with its request id (and, for Anthropic,
// x-should-retry as the real API sends it).
func (h *handler) writeError(w http.ResponseWriter, sc *scratch, e account.Endpoint, status int, typ, msg, param, code string) {
	hdr := w.Header()
	id := h.setIDHeader(hdr, sc, e)
	out := sc.out[:0]
	switch e {
	case account.EndpointMessages, account.EndpointCountTokens:
		out = appendAnthropicError(out, typ, msg, id)
		if status == http.StatusTooManyRequests || status >= 500 {
			hdr["x-should-retry"] = hdrTrue
		} else {
			hdr["x-should-retry"] = hdrFalse
		}
		hdr["Content-Type"] = hdrJSON
	case account.EndpointChat:
		out = appendOpenAIError(out, msg, typ, param, code)
		hdr["Content-Type"] = hdrJSON
	default:
		out = appendProblem(out, status, typ, msg)
		hdr["Content-Type"] = hdrProblemJSON
	}
	sc.out = out[:0]
	setContentLength(hdr, len(out))
	w.WriteHeader(status)
	w.Write(out)
}

// statusText is http.StatusText, knowing 529.
func statusText(status int) string {
	if status == account.StatusOverloaded {
		return "Overloaded"
	}
	return http.StatusText(status)
}

// generic serves any other path: limited by requests, answered {"ok":true}.
func (h *handler) generic(w http.ResponseWriter, r *http.Request) {
	m := h.m
	m.served.Add(1)
	if h.beforeHandle != nil {
		h.beforeHandle(r)
	}
	sc := h.getScratch()
	defer h.putScratch(sc)
	now := time.Now()
	var reply account.Reply
	key := apiKey(r)
	m.ledger.HandleWith(&sc.cursor, now, &account.Call{Key: key, Endpoint: account.EndpointGeneric}, &reply)
	if !wait(r, reply.Latency) {
		return
	}
	m.observe(account.EndpointGeneric, key, &reply, now)
	hdr := w.Header()
	h.fields.Write(hdr, reply.Dialect, now, &reply.Limits)
	if reply.Status != http.StatusOK {
		h.writeError(w, sc, account.EndpointGeneric, reply.Status, reply.ErrorType, reply.Message, "", "")
		return
	}
	h.setIDHeader(hdr, sc, account.EndpointGeneric)
	hdr["Content-Type"] = hdrJSON
	io.WriteString(w, `{"ok":true}`)
}

func (h *handler) stats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = []string{"GET, HEAD"}
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	b, err := json.MarshalIndent(h.m.Stats(), "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header()["Content-Type"] = hdrJSON
	w.Write(append(b, '\n'))
}
