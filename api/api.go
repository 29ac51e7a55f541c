// Package api is the wire of each provider API as a client sees it: the API names, their
// endpoint paths and key variables, the prompt text and token estimate requests are sized by,
// and the usage and error fields read from a response body. The live engine builds its requests
// from it, the mock reads the same rules from the other side, and the scenario checks names
// against it. It imports nothing of the project.
package api

import (
	"fmt"
	"net/url"
	"strings"
)

// API names the request dialect of a target.
type API string

// The target APIs.
const (
	// Anthropic is POST {base}/v1/messages with x-api-key and anthropic-version.
	Anthropic API = "anthropic"
	// OpenAI is POST {base}/v1/chat/completions with a Bearer key.
	OpenAI API = "openai"
	// HTTP is any method, URL, headers and body.
	HTTP API = "http"
)

// AnthropicVersion is the anthropic-version header sent to the anthropic API.
const AnthropicVersion = "2023-06-01"

// Names lists the valid API names, in the order help texts give them.
func Names() []string { return []string{string(Anthropic), string(OpenAI), string(HTTP)} }

// Parse reads an API name (--api, target.api).
func Parse(s string) (API, error) {
	switch a := API(s); a {
	case Anthropic, OpenAI, HTTP:
		return a, nil
	}
	return "", fmt.Errorf("unknown api %q: want anthropic, openai or http", s)
}

// LLM reports whether a is a model API (anthropic or openai), whose requests carry a model, a
// prompt and max_tokens and whose answers carry usage.
func (a API) LLM() bool { return a == Anthropic || a == OpenAI }

// KeyEnv is the environment variable a's key is read from by default ("" for http, which sends
// no key unless asked).
func (a API) KeyEnv() string {
	switch a {
	case Anthropic:
		return "ANTHROPIC_API_KEY"
	case OpenAI:
		return "OPENAI_API_KEY"
	}
	return ""
}

// Infer guesses the API from a target URL: api.anthropic.com or a path ending in /v1/messages
// is anthropic, api.openai.com or a path ending in /chat/completions is openai, anything else
// is http.
func Infer(u *url.URL) API {
	host, p := strings.ToLower(u.Hostname()), strings.TrimSuffix(u.Path, "/")
	switch {
	case host == "api.anthropic.com" || strings.HasSuffix(p, "/v1/messages"):
		return Anthropic
	case host == "api.openai.com" || strings.HasSuffix(p, "/chat/completions"):
		return OpenAI
	}
	return HTTP
}

// InferURL is Infer of a URL as written; one that does not parse is http.
func InferURL(raw string) API {
	u, err := url.Parse(raw)
	if err != nil {
		return HTTP
	}
	return Infer(u)
}

// Endpoint completes a base URL with a's endpoint path: https://api.anthropic.com becomes
// https://api.anthropic.com/v1/messages; a URL that already names the endpoint, and every http
// target, are kept as they are.
func Endpoint(a API, u *url.URL) *url.URL {
	out := *u
	p := strings.TrimSuffix(u.Path, "/")
	switch a {
	case Anthropic:
		out.Path = withSuffix(p, "/v1", "/messages")
	case OpenAI:
		out.Path = withSuffix(p, "/v1", "/chat/completions")
	}
	out.RawPath = ""
	return &out
}

// withSuffix returns p ending in version+endpoint: p itself when it ends in endpoint, p+endpoint
// when it ends in version, else p+version+endpoint.
func withSuffix(p, version, endpoint string) string {
	switch {
	case strings.HasSuffix(p, endpoint):
		return p
	case strings.HasSuffix(p, version):
		return p + endpoint
	}
	return p + version + endpoint
}

// MockModel is the model requested from the embedded mock when none is given ("" for http).
func (a API) MockModel() string {
	switch a {
	case Anthropic:
		return "claude-sonnet-4-5"
	case OpenAI:
		return "gpt-4o-mini"
	}
	return ""
}

// ExampleModel is a model suggested when a request to a real target names none ("" for http).
func (a API) ExampleModel() string {
	switch a {
	case Anthropic:
		return "claude-haiku-4-5"
	case OpenAI:
		return "gpt-4o-mini"
	}
	return ""
}

// MediaType is a Content-Type header's media type without parameters, lower case and at most
// 100 bytes ("text/html; charset=utf-8" → "text/html"): what a record keeps of a failed
// response's body type (a proxy's HTML error page is not the API's JSON error).
func MediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if len(v) > 100 {
		v = v[:100]
	}
	return v
}
