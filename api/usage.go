package api

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// MaxUsage is the largest token count read from a response (2^40, a trillion tokens).
const MaxUsage = 1 << 40

// maxErrorRunes bounds the message of an error body quoted by Answer.
const maxErrorRunes = 100

// Usage reads the token usage from a response body of a: the top-level usage.input_tokens and
// output_tokens (anthropic) or usage.prompt_tokens and completion_tokens (openai). It returns
// zeros for http and for bodies without usage; a count that is not a whole number from 0 to
// MaxUsage reads as 0, so a server cannot push a token budget backwards or overflow it. It runs
// on every 2xx response, so it reads the two paths with gjson (no decoding of the rest, no
// allocation) instead of unmarshalling.
func Usage(a API, body []byte) (in, out int64) {
	if !a.LLM() || !gjson.ValidBytes(body) {
		return 0, 0
	}
	return usage(a, gjson.GetBytes(body, "usage"))
}

func usage(a API, u gjson.Result) (in, out int64) {
	if !u.IsObject() {
		return 0, 0
	}
	if a == OpenAI {
		return usageCount(u.Get("prompt_tokens")), usageCount(u.Get("completion_tokens"))
	}
	return usageCount(u.Get("input_tokens")), usageCount(u.Get("output_tokens"))
}

// usageCount reads a token count: a JSON number that is a whole number from 0 to MaxUsage,
// else 0.
func usageCount(r gjson.Result) int64 {
	if r.Type != gjson.Number || !(r.Num >= 0 && r.Num <= MaxUsage) || r.Num != float64(int64(r.Num)) {
		return 0
	}
	return int64(r.Num)
}

// CacheUsage reads the prompt-cache part of a response body's usage: the prompt tokens read
// from the cache and those written to it. Anthropic reports usage.cache_read_input_tokens and
// cache_creation_input_tokens (input_tokens counts neither); OpenAI reports
// usage.prompt_tokens_details.cached_tokens (prompt_tokens includes them) and no writes.
func CacheUsage(a API, body []byte) (read, creation int64) {
	switch a {
	case Anthropic:
		r := gjson.GetManyBytes(body, "usage.cache_read_input_tokens", "usage.cache_creation_input_tokens")
		return usageCount(r[0]), usageCount(r[1])
	case OpenAI:
		return usageCount(gjson.GetBytes(body, "usage.prompt_tokens_details.cached_tokens")), 0
	}
	return 0, 0
}

// Answer reads the body of a 2xx response to an anthropic or openai request: its token usage
// (see Usage), and what is wrong with it when it is not an answer ("" when it is): a body that
// is not JSON (a proxy's HTML page), or an error object, as a gateway or a server may send with
// status 200. The problem names the status, the error's type and its message (cut to 100
// runes, passed through redact so that no secret it echoes is kept). The official SDKs decode
// such a body as the answer and do not retry it.
func Answer(a API, status int, body []byte, redact func(string) string) (in, out int64, problem string) {
	if !a.LLM() {
		return 0, 0, ""
	}
	if !gjson.ValidBytes(body) {
		return 0, 0, fmt.Sprintf("status %d with a body that is not JSON (%d bytes)", status, len(body))
	}
	root := gjson.ParseBytes(body)
	e := root.Get("error")
	if !e.Exists() || e.Type == gjson.Null {
		in, out = usage(a, root.Get("usage"))
		return in, out, ""
	}
	typ, msg := "error", e.String()
	if e.IsObject() {
		if v := e.Get("type"); v.Type == gjson.String && v.Str != "" {
			typ = v.Str
		}
		msg = e.Get("message").String()
	}
	return 0, 0, fmt.Sprintf("status %d with an error body: %s: %s", status, clip(redact(typ), 40), clip(redact(msg), maxErrorRunes))
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
