package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/tidwall/gjson"
)

// API names the request dialect of a target.
type API string

// The target APIs.
const (
	// APIAnthropic is POST {base}/v1/messages with x-api-key and anthropic-version.
	APIAnthropic API = "anthropic"
	// APIOpenAI is POST {base}/v1/chat/completions with a Bearer key.
	APIOpenAI API = "openai"
	// APIHTTP is any method, URL, headers and body.
	APIHTTP API = "http"
)

// AnthropicVersion is the anthropic-version header the anthropic target sends.
const AnthropicVersion = "2023-06-01"

// Default workload of the LLM targets.
const (
	DefaultMaxTokens    = 16
	DefaultPromptTokens = 32
)

// ParseAPI reads an --api value.
func ParseAPI(s string) (API, error) {
	switch a := API(s); a {
	case APIAnthropic, APIOpenAI, APIHTTP:
		return a, nil
	}
	return "", fmt.Errorf("unknown api %q: want anthropic, openai or http", s)
}

// InferAPI guesses the API from a target URL (as scenario.InferAPI does): api.anthropic.com or
// a path ending in /v1/messages is anthropic, api.openai.com or a path ending in
// /chat/completions is openai, anything else is http.
func InferAPI(u *url.URL) API {
	host, p := strings.ToLower(u.Hostname()), strings.TrimSuffix(u.Path, "/")
	switch {
	case host == "api.anthropic.com" || strings.HasSuffix(p, "/v1/messages"):
		return APIAnthropic
	case host == "api.openai.com" || strings.HasSuffix(p, "/chat/completions"):
		return APIOpenAI
	}
	return APIHTTP
}

// DefaultKeyEnv is the environment variable an API's key is read from when --api-key-env is
// not given ("" for http, which sends no key unless asked).
func DefaultKeyEnv(a API) string {
	switch a {
	case APIAnthropic:
		return "ANTHROPIC_API_KEY"
	case APIOpenAI:
		return "OPENAI_API_KEY"
	}
	return ""
}

// endpointURL completes a base URL with the API's endpoint path: https://api.anthropic.com
// becomes https://api.anthropic.com/v1/messages; a URL that already names the endpoint, and
// every http target, are kept as they are.
func endpointURL(a API, u *url.URL) *url.URL {
	out := *u
	p := strings.TrimSuffix(u.Path, "/")
	switch a {
	case APIAnthropic:
		switch {
		case strings.HasSuffix(p, "/v1/messages"):
		case strings.HasSuffix(p, "/v1"):
			out.Path = p + "/messages"
		default:
			out.Path = p + "/v1/messages"
		}
	case APIOpenAI:
		switch {
		case strings.HasSuffix(p, "/chat/completions"):
		case strings.HasSuffix(p, "/v1"):
			out.Path = p + "/chat/completions"
		default:
			out.Path = p + "/v1/chat/completions"
		}
	}
	out.RawPath = ""
	return &out
}

// TargetConfig describes where and what the probe sends.
type TargetConfig struct {
	API API
	// URL is the endpoint, or for anthropic and openai a base URL that the endpoint path is
	// appended to (https://api.anthropic.com → …/v1/messages).
	URL string
	// Key is the API key. It is sent in the API's header and used nowhere else: never printed,
	// logged or recorded; transport error texts are scrubbed of it.
	Key string

	// anthropic and openai.
	Model        string
	MaxTokens    int64   // the request's max_tokens
	PromptTokens int64   // prompt size in tokens (BytesPerToken bytes each)
	PromptSpread float64 // relative spread of the prompt size, 0.2 = uniform ±20%
	Seed         int64   // seeds the prompt text and sizes

	// http (and extra headers for any API).
	Method string
	Header http.Header
	Body   []byte
}

// Target builds the requests of one target and reads the usage of its responses. It is safe for
// concurrent use: everything it holds is read-only after NewTarget.
type Target struct {
	api       API
	url       *url.URL
	method    string
	header    http.Header // shared by every request, never mutated
	key       string
	maxTokens int64

	body   []byte // http: the fixed body
	prefix []byte // anthropic/openai: the body up to the prompt text
	suffix []byte // the body after it
	prompt []byte // pseudo-word text prompts are cut from
	sizer  promptSizer
}

// MaxPromptTokens bounds --prompt-tokens (4 bytes each: 16 MB of prompt text).
const MaxPromptTokens = 4 << 20

// NewTarget checks c and prebuilds everything requests share.
func NewTarget(c TargetConfig) (*Target, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid target URL %q: want an http:// or https:// URL such as https://api.anthropic.com", c.URL)
	}
	if c.API == "" {
		c.API = InferAPI(u)
	}
	if _, err := ParseAPI(string(c.API)); err != nil {
		return nil, err
	}
	t := &Target{api: c.API, url: endpointURL(c.API, u), key: c.Key, header: http.Header{}}
	for k, vs := range c.Header {
		for _, v := range vs {
			t.header.Add(k, v)
		}
	}
	switch c.API {
	case APIHTTP:
		t.method = strings.ToUpper(c.Method)
		if t.method == "" {
			t.method = http.MethodGet
			if len(c.Body) > 0 {
				t.method = http.MethodPost
			}
		}
		t.body = c.Body
		if c.Key != "" {
			t.header.Set("Authorization", "Bearer "+c.Key)
		}
		return t, nil
	case APIAnthropic:
		t.header.Set("x-api-key", c.Key)
		t.header.Set("anthropic-version", AnthropicVersion)
	case APIOpenAI:
		t.header.Set("Authorization", "Bearer "+c.Key)
	}
	if c.Method != "" && !strings.EqualFold(c.Method, http.MethodPost) {
		return nil, fmt.Errorf("--method %s: the %s API takes POST; use --api http for other methods", c.Method, c.API)
	}
	if len(c.Body) > 0 {
		return nil, fmt.Errorf("--body is for --api http; the %s API builds its own body from --model, --max-tokens and --prompt-tokens", c.API)
	}
	switch {
	case c.Model == "":
		return nil, fmt.Errorf("no model for the %s API: give --model", c.API)
	case c.MaxTokens < 1:
		return nil, fmt.Errorf("--max-tokens %d: want at least 1", c.MaxTokens)
	case c.PromptTokens < 1 || c.PromptTokens > MaxPromptTokens:
		return nil, fmt.Errorf("--prompt-tokens %d: want 1 to %d", c.PromptTokens, MaxPromptTokens)
	case !(c.PromptSpread >= 0 && c.PromptSpread < 1):
		return nil, fmt.Errorf("--prompt-tokens-spread %g: want a fraction in [0, 1), e.g. 0.2 for ±20%%", c.PromptSpread)
	}
	t.method = http.MethodPost
	t.header.Set("Content-Type", "application/json")
	t.maxTokens = c.MaxTokens
	t.sizer = promptSizer{tokens: c.PromptTokens, spread: c.PromptSpread, seed: uint64(c.Seed)}
	t.prompt = promptStream(c.Seed, int(t.sizer.max())*BytesPerToken)
	model, _ := json.Marshal(c.Model)
	// {"model":…,"max_tokens":…,"messages":[{"role":"user","content":"…"}]}; OpenAI names the
	// field max_completion_tokens (max_tokens is deprecated there and refused by reasoning models).
	field := "max_tokens"
	if c.API == APIOpenAI {
		field = "max_completion_tokens"
	}
	t.prefix = fmt.Appendf(nil, `{"model":%s,%q:%d,"messages":[{"role":"user","content":"`, model, field, c.MaxTokens)
	t.suffix = []byte(`"}]}`)
	return t, nil
}

// API returns the target's API.
func (t *Target) API() API { return t.api }

// URL returns the endpoint requests go to.
func (t *Target) URL() string { return t.url.String() }

// Host returns the endpoint's host (with port, if any).
func (t *Target) Host() string { return t.url.Host }

// Method returns the HTTP method of every request.
func (t *Target) Method() string { return t.method }

// MaxTokens returns the requests' max_tokens, 0 for http.
func (t *Target) MaxTokens() int64 { return t.maxTokens }

// PromptTokens returns the prompt size of logical request id, in tokens (0 for http).
func (t *Target) PromptTokens(id int64) int64 {
	if t.prefix == nil {
		return 0
	}
	return t.sizer.size(id)
}

// AppendBody appends the body of logical request id to dst. Every attempt of a logical request
// sends the same body.
func (t *Target) AppendBody(dst []byte, id int64) []byte {
	if t.prefix == nil {
		return append(dst, t.body...)
	}
	n := int(t.sizer.size(id)) * BytesPerToken
	dst = append(dst, t.prefix...)
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

// Usage reads the token usage from a response body: the top-level usage.input_tokens and
// output_tokens (anthropic) or usage.prompt_tokens and completion_tokens (openai). It returns
// zeros for http targets and for bodies without usage; a count that is not a whole number from
// 0 to MaxUsage reads as 0, so a server cannot push the token budget backwards or overflow it.
// It runs on every 2xx response, so it reads the two paths with gjson (no decoding of the rest,
// no allocation) instead of unmarshalling.
func (t *Target) Usage(body []byte) (in, out int64) {
	if t.api == APIHTTP || !gjson.ValidBytes(body) {
		return 0, 0
	}
	return t.usage(gjson.GetBytes(body, "usage"))
}

func (t *Target) usage(u gjson.Result) (in, out int64) {
	if !u.IsObject() {
		return 0, 0
	}
	if t.api == APIOpenAI {
		return usageCount(u.Get("prompt_tokens")), usageCount(u.Get("completion_tokens"))
	}
	return usageCount(u.Get("input_tokens")), usageCount(u.Get("output_tokens"))
}

// MaxUsage is the largest token count read from a response (2^40, a trillion tokens).
const MaxUsage = 1 << 40

// usageCount reads a token count: a JSON number that is a whole number from 0 to MaxUsage,
// else 0.
func usageCount(r gjson.Result) int64 {
	if r.Type != gjson.Number || !(r.Num >= 0 && r.Num <= MaxUsage) || r.Num != float64(int64(r.Num)) {
		return 0
	}
	return int64(r.Num)
}

// maxErrorRunes bounds the message of an error body quoted in a record.
const maxErrorRunes = 100

// Answer reads the body of a 2xx response to an anthropic or openai request: its token usage
// (see Usage), and what is wrong with it when it is not an answer ("" when it is): a body that
// is not JSON (a proxy's HTML page), or an error object, as a gateway or a server may send
// with status 200. The problem names the status, the error's type and its message (cut to
// maxErrorRunes, the key scrubbed). The official SDKs decode such a body as the answer and do
// not retry it; the engine does the same and records the problem as the attempt's error.
func (t *Target) Answer(status int, body []byte) (in, out int64, problem string) {
	if t.api == APIHTTP {
		return 0, 0, ""
	}
	if !gjson.ValidBytes(body) {
		return 0, 0, fmt.Sprintf("status %d with a body that is not JSON (%d bytes)", status, len(body))
	}
	root := gjson.ParseBytes(body)
	e := root.Get("error")
	if !e.Exists() || e.Type == gjson.Null {
		in, out = t.usage(root.Get("usage"))
		return in, out, ""
	}
	typ, msg := "error", e.String()
	if e.IsObject() {
		if v := e.Get("type"); v.Type == gjson.String && v.Str != "" {
			typ = v.Str
		}
		msg = e.Get("message").String()
	}
	return 0, 0, fmt.Sprintf("status %d with an error body: %s: %s", status, clip(t.scrub(typ), 40), clip(t.scrub(msg), maxErrorRunes))
}

// clip cuts s to n runes, marking a cut with "…", and replaces invalid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	i := 0
	for at := range s {
		if i == n {
			return s[:at] + "…"
		}
		i++
	}
	return s
}

// scrub removes the key from s, for error texts that might echo a request.
func (t *Target) scrub(s string) string {
	if t.key != "" && len(t.key) >= 4 {
		s = strings.ReplaceAll(s, t.key, "[redacted]")
	}
	return s
}
