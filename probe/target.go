package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/workload"
)

// TargetConfig describes where and what the probe sends.
type TargetConfig struct {
	API api.API
	// URL is the endpoint, or for anthropic and openai a base URL that the endpoint path is
	// appended to (https://api.anthropic.com → …/v1/messages).
	URL string
	// Path, when set, is the endpoint's path and query on URL's host, kept as given instead
	// of the API's standard path: a provider preset's endpoint on the embedded mock (Azure's
	// /openai/deployments/{d}/chat/completions?api-version=…, Bedrock's /model/{id}/invoke).
	Path string
	// Key is the API key. It is sent in the API's header and used nowhere else: never printed,
	// logged or recorded; transport error texts are scrubbed of it.
	Key string

	// anthropic and openai.
	Model        string
	MaxTokens    int64   // the request's max_tokens
	PromptTokens int64   // prompt size in tokens (BytesPerToken bytes each)
	PromptSpread float64 // relative spread of the prompt size, 0.2 = uniform ±20%
	Seed         int64   // seeds the prompt text and sizes
	// Stream asks for a streamed response (anthropic and openai): the engine reads every event.
	Stream bool
	// CachePrefixTokens, when set (anthropic), opens every request with a system block of that
	// many tokens marked cache_control: a prompt-cache prefix shared by the requests that hit.
	// CacheMiss is the share of requests whose prefix is their own instead (a cache write each).
	CachePrefixTokens int64
	CacheMiss         float64

	// http (and extra headers for any API).
	Method string
	Header http.Header
	Body   []byte
}

// TargetError is a target description that cannot be built: Field is the scenario field at
// fault ("workload.max_tokens"), Value its value as given ("" when none is worth quoting). The
// runner reports it against the field, or the flag that set it.
type TargetError struct {
	Field, Value, Msg string
}

// Error returns "field value: message", leaving out an empty value.
func (e *TargetError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Msg
	}
	return e.Field + " " + e.Value + ": " + e.Msg
}

// Target builds the requests of one target and reads the usage of its responses. It is safe for
// concurrent use: everything it holds is read-only after NewTarget.
type Target struct {
	api       api.API
	url       *url.URL
	method    string
	header    http.Header // shared by every request, never mutated
	key       string
	maxTokens int64
	stream    bool

	body   []byte // http: the fixed body
	prefix []byte // anthropic/openai: the body up to the prompt text
	suffix []byte // the body after it
	prompt []byte // pseudo-word text prompts are cut from
	sizes  workload.PromptSizes
	cache  *cachePrefix // anthropic: the prompt-cache prefix, nil when none
}

// NewTarget checks c and prebuilds everything requests share.
func NewTarget(c TargetConfig) (*Target, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &TargetError{Field: "target.url", Value: strconv.Quote(c.URL), Msg: "want an http:// or https:// URL such as https://api.anthropic.com"}
	}
	if c.API == "" {
		c.API = api.Infer(u)
	}
	if _, err := api.Parse(string(c.API)); err != nil {
		return nil, &TargetError{Field: "target.api", Msg: err.Error()}
	}
	t := &Target{api: c.API, url: api.Endpoint(c.API, u), key: c.Key, header: http.Header{}, stream: c.Stream}
	if c.Path != "" {
		p, err := url.Parse(c.Path)
		if err != nil || !strings.HasPrefix(p.Path, "/") || p.Host != "" {
			return nil, &TargetError{Field: "target.url", Value: strconv.Quote(c.Path), Msg: "want a path on the mock such as /openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"}
		}
		t.url = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: p.Path, RawPath: p.RawPath, RawQuery: p.RawQuery}
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			t.header.Add(k, v)
		}
	}
	switch c.API {
	case api.HTTP:
		t.method = strings.ToUpper(c.Method)
		if t.method == "" {
			t.method = http.MethodGet
			if len(c.Body) > 0 {
				t.method = http.MethodPost
			}
		}
		t.body = c.Body
		if _, err := newCachePrefix(&c); err != nil {
			return nil, err
		}
		if c.Key != "" {
			t.header.Set("Authorization", "Bearer "+c.Key)
		}
		return t, nil
	case api.Anthropic:
		t.header.Set("x-api-key", c.Key)
		t.header.Set("anthropic-version", api.AnthropicVersion)
	case api.OpenAI:
		t.header.Set("Authorization", "Bearer "+c.Key)
	}
	if c.Method != "" && !strings.EqualFold(c.Method, http.MethodPost) {
		return nil, &TargetError{Field: "target.method", Value: c.Method, Msg: fmt.Sprintf("the %s API takes POST; other methods need the http API", c.API)}
	}
	if len(c.Body) > 0 {
		return nil, &TargetError{Field: "target.body", Msg: fmt.Sprintf("is for the http API; the %s API builds its own body from the model, max_tokens and prompt size", c.API)}
	}
	switch {
	case c.Model == "":
		return nil, &TargetError{Field: "target.model", Msg: fmt.Sprintf("is required for the %s API, e.g. %s", c.API, c.API.ExampleModel())}
	case c.MaxTokens < 1:
		return nil, &TargetError{Field: "workload.max_tokens", Value: strconv.FormatInt(c.MaxTokens, 10), Msg: "want at least 1"}
	case c.PromptTokens < 1 || c.PromptTokens > workload.MaxPromptTokens:
		return nil, &TargetError{Field: "workload.prompt_tokens", Value: strconv.FormatInt(c.PromptTokens, 10), Msg: fmt.Sprintf("want 1 to %d", workload.MaxPromptTokens)}
	case !(c.PromptSpread >= 0 && c.PromptSpread < 1):
		return nil, &TargetError{Field: "workload.prompt_tokens_spread", Value: strconv.FormatFloat(c.PromptSpread, 'g', -1, 64), Msg: "want a fraction in [0, 1), e.g. 0.2 for ±20%"}
	}
	t.method = http.MethodPost
	t.header.Set("Content-Type", "application/json")
	t.maxTokens = c.MaxTokens
	t.sizes = workload.PromptSizes{Tokens: c.PromptTokens, Spread: c.PromptSpread, Seed: uint64(c.Seed)}
	t.prompt = api.PromptText(c.Seed, int(t.sizes.Max())*api.BytesPerToken)
	model, _ := json.Marshal(c.Model)
	// {"model":…,"max_tokens":…,"messages":[{"role":"user","content":"…"}]}; OpenAI names the
	// field max_completion_tokens (max_tokens is deprecated there and refused by reasoning models).
	field := "max_tokens"
	if c.API == api.OpenAI {
		field = "max_completion_tokens"
	}
	stream := ""
	if c.Stream {
		stream = api.StreamFields(c.API)
	}
	t.prefix = fmt.Appendf(nil, `{"model":%s,%q:%d,%s"messages":[{"role":"user","content":"`, model, field, c.MaxTokens, stream)
	if t.cache, err = newCachePrefix(&c); err != nil {
		return nil, err
	}
	if t.cache != nil {
		t.prefix = fmt.Appendf(nil, `{"model":%s,%q:%d,%s"system":[{"type":"text","text":"`, model, field, c.MaxTokens, stream)
	}
	t.suffix = []byte(`"}]}`)
	return t, nil
}

// API returns the target's API.
func (t *Target) API() api.API { return t.api }

// URL returns the endpoint requests go to.
func (t *Target) URL() string { return t.url.String() }

// Host returns the endpoint's host (with port, if any).
func (t *Target) Host() string { return t.url.Host }

// Method returns the HTTP method of every request.
func (t *Target) Method() string { return t.method }

// Stream reports whether the target's requests ask for a streamed response.
func (t *Target) Stream() bool { return t.stream }

// MaxTokens returns the requests' max_tokens, 0 for http.
func (t *Target) MaxTokens() int64 { return t.maxTokens }

// Requests returns the shape of the target's requests (what the simulator charges by).
func (t *Target) Requests() workload.Requests {
	r := workload.Requests{API: t.api, MaxTokens: t.maxTokens, Stream: t.stream}
	if t.prefix != nil {
		r.Prompt = t.sizes
	}
	if t.cache != nil {
		r.Cache = t.cache.CachePrefix
	}
	return r
}

// PromptTokens returns the prompt size of logical request id, in tokens (0 for http), the
// cache prefix included.
func (t *Target) PromptTokens(id int64) int64 {
	if t.prefix == nil {
		return 0
	}
	if t.cache != nil {
		return t.cache.Tokens + t.sizes.Of(id)
	}
	return t.sizes.Of(id)
}

// AppendBody appends the body of logical request id to dst. Every attempt of a logical request
// sends the same body.
func (t *Target) AppendBody(dst []byte, id int64) []byte {
	if t.prefix == nil {
		return append(dst, t.body...)
	}
	n := int(t.sizes.Of(id)) * api.BytesPerToken
	dst = append(dst, t.prefix...)
	if t.cache != nil {
		dst = t.cache.appendTo(dst, id)
	}
	dst = append(dst, t.prompt[:n]...)
	if dst[len(dst)-1] == ' ' { // never end the prompt on a space
		dst[len(dst)-1] = 'x'
	}
	return append(dst, t.suffix...)
}

// NewRequest returns the request carrying body. The request shares the target's header map,
// which nothing mutates.
func (t *Target) NewRequest(ctx context.Context, body []byte) *http.Request {
	return t.newRequest(ctx, body, new(bodyReader))
}

// newRequest is NewRequest with the body reader supplied, so the caller can tell when the
// transport is done with body.
func (t *Target) newRequest(ctx context.Context, body []byte, rb *bodyReader) *http.Request {
	u := *t.url
	req := &http.Request{
		Method:     t.method,
		URL:        &u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     t.header,
		Host:       u.Host,
	}
	if len(body) > 0 {
		rb.Reset(body)
		req.ContentLength = int64(len(body))
		req.Body = rb
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else {
		rb.Close() // unused
	}
	return req.WithContext(ctx)
}

// bodyReader is a request body over a buffer that reports when the transport has closed it.
// net/http may finish writing (and close) a request body after RoundTrip has returned, for
// instance when the server answers before reading the whole body; the buffer may be reused
// only once Closed reports true.
type bodyReader struct {
	bytes.Reader
	closed atomic.Bool
}

// Close marks the body done with.
func (b *bodyReader) Close() error {
	b.closed.Store(true)
	return nil
}

// Closed reports whether the transport has closed the body.
func (b *bodyReader) Closed() bool { return b.closed.Load() }

// Reset points the reader at body and marks it open.
func (b *bodyReader) Reset(body []byte) {
	b.Reader.Reset(body)
	b.closed.Store(false)
}

// requestBody returns the body of logical request id: the target's fixed body (http, shared and
// read-only) or the LLM body built into buf.
func (t *Target) requestBody(buf []byte, id int64) []byte {
	if t.prefix == nil {
		return t.body
	}
	return t.AppendBody(buf, id)
}

// Usage reads the token usage from a response body (api.Usage).
func (t *Target) Usage(body []byte) (in, out int64) { return api.Usage(t.api, body) }

// Answer reads the body of a 2xx response (api.Answer), scrubbing the key from any error text
// it quotes. The official SDKs decode such a body as the answer and do not retry it; the engine
// does the same and records the problem as the attempt's error.
func (t *Target) Answer(status int, body []byte) (in, out int64, problem string) {
	return api.Answer(t.api, status, body, t.scrub)
}

// scrub removes the key from s, for error texts that might echo a request.
func (t *Target) scrub(s string) string {
	if t.key != "" && len(t.key) >= 4 {
		s = strings.ReplaceAll(s, t.key, "[redacted]")
	}
	return s
}
