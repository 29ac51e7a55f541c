package presets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Placeholder is a value an error template may ask for, written {{name}} in the template.
type Placeholder struct {
	Name    string
	Meaning string
	Sample  string // the value validation renders every template with
}

// placeholders lists every placeholder a template may use.
var placeholders = []Placeholder{
	{"request_id", "the response's request id in the provider's format", "req_011CSLsW7mFqvHHnzrKdKjAE"},
	{"org_id", "the organization id", "org-ratelab0000000000000000"},
	{"model", "the model (or deployment) of the request", "model-x"},
	{"limit", "the exhausted limit, as the provider writes it (40,000 or 40000)", "30000"},
	{"used", "the amount used of the limit", "28000"},
	{"requested", "the amount the request asked for", "4000"},
	{"unit", "what the limit counts, in words: requests, input tokens, output tokens", "input tokens"},
	{"limit_name", "OpenAI's name of the limit: tokens per min (TPM), requests per day (RPD)", "tokens per min (TPM)"},
	{"kind", "OpenAI's error type: tokens or requests", "tokens"},
	{"try_again", "the wait in a message, as a Go duration: 128ms, 18.642s, 7m12s", "128ms"},
	{"retry_after_s", "the wait in whole seconds", "7"},
	{"retry_after_ms", "the wait in milliseconds", "6500"},
	{"retry_delay", "Google's retryDelay: seconds with an s, 26s or 0.2s", "26s"},
	{"reset_date", "the date (YYYY-MM-DD) access returns", "2026-09-01"},
	{"quota_id", "Google's quotaId of the exhausted quota", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"},
	{"quota_metric", "Google's quotaMetric of the exhausted quota", "generativelanguage.googleapis.com/generate_content_free_tier_requests"},
	{"quota_value", "the quota's value as a string", "10"},
	{"api_version", "Azure's api-version of the request", "2024-10-21"},
	{"operation", "Azure's operation name", "ChatCompletions_Create"},
	{"version_value", "the anthropic-version the request sent", "2023-10-01"},
}

// Placeholders returns the placeholders error templates may use.
func Placeholders() []Placeholder { return slices.Clone(placeholders) }

// sampleVars returns a sample value for every placeholder the template does not set itself.
func (e *ErrorTemplate) sampleVars() map[string]string {
	m := map[string]string{}
	for _, p := range placeholders {
		if _, own := e.Vars[p.Name]; !own {
			m[p.Name] = p.Sample
		}
	}
	return m
}

var placeholderRE = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// Render fills the template's placeholders from vars, falling back to the template's own Vars,
// and returns the headers and body to send. Values are JSON-escaped in the body. A placeholder
// without a value is an error naming it.
func (e *ErrorTemplate) Render(vars map[string]string) (http.Header, []byte, error) {
	all := maps.Clone(e.Vars)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, vars)
	var missing []string
	fill := func(s string, escape bool) string {
		return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-2]
			val, ok := all[name]
			if !ok {
				if !slices.Contains(missing, name) {
					missing = append(missing, name)
				}
				return m
			}
			if escape {
				return jsonEscape(val)
			}
			return val
		})
	}
	h := http.Header{}
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		h.Set(k, fill(e.Headers[k], false))
	}
	body := fill(e.Body, true)
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("error template %s: no value for %s", e.ID, strings.Join(missing, ", "))
	}
	return h, []byte(body), nil
}

// jsonEscape writes s as the inside of a JSON string literal.
func jsonEscape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

// Read returns the wait the hint gives in a response's headers and body, and whether it gave
// one. now resolves HTTP dates.
func (r *RetryHint) Read(h http.Header, body []byte, now time.Time) (time.Duration, bool) {
	var raw string
	switch r.In {
	case "header":
		raw = h.Get(r.Name)
	case "body":
		var doc any
		if json.Unmarshal(body, &doc) != nil {
			return 0, false
		}
		v, ok := jsonPath(doc, r.Name)
		if !ok {
			return 0, false
		}
		switch v := v.(type) {
		case string:
			raw = v
		case float64:
			raw = strconv.FormatFloat(v, 'f', -1, 64)
		}
	case "message":
		re, err := regexp.Compile(r.Name)
		if err != nil {
			return 0, false
		}
		if g := re.FindSubmatch(body); len(g) > 1 {
			raw = string(g[1])
		}
	}
	if raw == "" {
		return 0, false
	}
	return parseWait(r.Format, strings.TrimSpace(raw), now)
}

// parseWait reads a wait written in format.
func parseWait(format, s string, now time.Time) (time.Duration, bool) {
	seconds := func(s string, unit time.Duration) (time.Duration, bool) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > float64(1<<62)/float64(unit) {
			return 0, false
		}
		return time.Duration(f * float64(unit)), true
	}
	switch format {
	case "seconds":
		return seconds(s, time.Second)
	case "milliseconds":
		return seconds(s, time.Millisecond)
	case "protobuf-duration":
		if num, ok := strings.CutSuffix(s, "s"); ok {
			return seconds(num, time.Second)
		}
	case "go-duration":
		if d, err := time.ParseDuration(s); err == nil && d >= 0 {
			return d, true
		}
	case "http-date":
		if t, err := http.ParseTime(s); err == nil {
			return max(0, t.Sub(now)), true
		}
	}
	return 0, false
}

// jsonPath follows a path like error.details[@type=x.y/z].retryDelay through a decoded JSON
// value: a name selects an object's field, [key=value] the first array element whose field key
// is the string value.
func jsonPath(v any, p string) (any, bool) {
	for p != "" {
		name := p
		if i := strings.IndexAny(p, ".["); i >= 0 {
			name = p[:i]
		}
		p = p[len(name):]
		if name != "" {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[name]; !ok {
				return nil, false
			}
		}
		if strings.HasPrefix(p, "[") {
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, false
			}
			key, want, ok := strings.Cut(p[1:end], "=")
			arr, isArr := v.([]any)
			if !ok || !isArr {
				return nil, false
			}
			p = p[end+1:]
			found := false
			for _, el := range arr {
				if obj, ok := el.(map[string]any); ok && obj[key] == want {
					v, found = el, true
					break
				}
			}
			if !found {
				return nil, false
			}
		}
		p = strings.TrimPrefix(p, ".")
	}
	return v, true
}

func (v *validator) errors() {
	names := make([]string, len(placeholders))
	for i, p := range placeholders {
		names[i] = p.Name
	}
	seen := map[string]bool{}
	for i := range v.p.Errors {
		e := &v.p.Errors[i]
		at := path{"errors", i}
		v.name(at.key("id"), e.ID, seen)
		if v.oneOf(at.key("cause"), e.Cause, append(slices.Clone(passingCause), terminalCause...)) {
			switch {
			case slices.Contains(terminalCause, e.Cause) && !e.Terminal:
				v.fail(at.key("terminal"), "cause %s is terminal: set terminal: true", e.Cause)
			case slices.Contains(passingCause, e.Cause) && e.Terminal:
				v.fail(at.key("terminal"), "cause %s passes with time: terminal must be false", e.Cause)
			}
		}
		for j, d := range e.Dimensions {
			v.oneOf(at.key("dimensions").idx(j), d, Dimensions)
		}
		if e.Status < 400 || e.Status > 599 {
			v.fail(at.key("status"), "%d: want an HTTP error status (400-599)", e.Status)
		}
		for k := range e.Vars {
			if !slices.Contains(names, k) {
				v.fail(at.key("vars").key(k), "%q is not a placeholder%s (placeholders: %s)", k, didYouMean(k, names), strings.Join(names, ", "))
			}
		}
		texts := map[string]path{e.Body: at.key("body")}
		for k, val := range e.Headers {
			texts[val] = at.key("headers").key(k)
		}
		for _, t := range slices.Sorted(maps.Keys(texts)) {
			for _, m := range placeholderRE.FindAllStringSubmatch(t, -1) {
				if !slices.Contains(names, m[1]) {
					v.fail(texts[t], "{{%s}} is not a placeholder%s (placeholders: %s)", m[1], didYouMean(m[1], names), strings.Join(names, ", "))
				}
			}
		}
		if _, body, err := e.Render(e.sampleVars()); err == nil && !json.Valid(body) {
			v.fail(at.key("body"), "not valid JSON once rendered: %.120s", body)
		}
	}
}

func (v *validator) retryHints() {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for i := range v.p.RetryHints {
		r := &v.p.RetryHints[i]
		at := path{"retry_hints", i}
		v.oneOf(at.key("format"), r.Format, hintFormats)
		if !v.oneOf(at.key("in"), r.In, hintPlaces) {
			continue
		}
		v.need(at.key("name"), r.Name)
		if r.In == "message" {
			if re, err := regexp.Compile(r.Name); err != nil || re.NumSubexp() < 1 {
				v.fail(at.key("name"), "want a regular expression whose first group is the wait")
				continue
			}
		}
		if len(r.On) == 0 {
			v.fail(at.key("on"), "missing: the error templates that carry this hint")
		}
		for j, id := range r.On {
			v.errorRef(at.key("on").idx(j), id, true)
			e := v.p.Error(id)
			if e == nil {
				continue
			}
			// A template that does not render has an unknown placeholder, reported by errors().
			if h, body, err := e.Render(e.sampleVars()); err == nil {
				if d, ok := r.Read(h, body, now); !ok || d <= 0 {
					v.fail(at.key("on").idx(j), "error template %s does not carry this hint: no %s %q in its rendered response", id, r.In, r.Name)
				}
			}
		}
	}
}
