package mockserver

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/presets"
	"github.com/ratelab/ratelab/ratelimit"
)

// presetFront speaks one provider preset's wire format in front of the ledger: its endpoints
// (Gemini generateContent, Bedrock invoke and Converse, Azure deployment paths), its required
// headers (anthropic-version) and its error bodies, rendered from the preset's templates.
type presetFront struct {
	tier    *presets.Tier
	p       *presets.Preset
	lenient bool
}

func newPresetFront(cfg account.Config) (*presetFront, error) {
	tier, err := presets.Lookup(cfg.Preset)
	if err != nil {
		return nil, err
	}
	f := &presetFront{tier: tier, p: tier.Preset()}
	if cfg.Provider != nil {
		f.lenient = cfg.Provider.Lenient
	}
	return f, nil
}

// serve answers the preset's own endpoints; false leaves the request to the common handler.
func (f *presetFront) serve(h *handler, w http.ResponseWriter, r *http.Request) bool {
	path := r.URL.Path
	switch f.p.Name {
	case "gemini":
		if model, method, ok := geminiPath(path); ok {
			h.gemini(w, r, f, model, method)
			return true
		}
	case "bedrock":
		if model, op, ok := bedrockPath(path); ok {
			h.bedrock(w, r, f, model, op)
			return true
		}
	case "azure-openai":
		if dep, ok := azurePath(path); ok {
			h.azure(w, r, f, dep)
			return true
		}
	}
	return false
}

// checkRequired answers a request that lacks a header the provider requires (Anthropic's
// anthropic-version) with the preset's error, unless the mock is lenient; true when it did.
func (f *presetFront) checkRequired(h *handler, w http.ResponseWriter, r *http.Request, sc *scratch) bool {
	if f == nil || f.lenient {
		return false
	}
	for _, req := range f.p.API.Required {
		v := r.Header.Get(req.Header)
		id := ""
		switch {
		case v == "":
			id = req.Missing
		case len(req.Values) > 0 && !slices.Contains(req.Values, v):
			id = req.Invalid
		}
		if id == "" {
			continue
		}
		e := f.p.Error(id)
		if e == nil {
			continue
		}
		h.m.ledger.CountUnkeyed(e.Status)
		vars := f.vars(h, sc, "", nil, time.Now())
		vars["version_value"] = v
		f.write(w, e, vars)
		return true
	}
	return false
}

// refusesSampling reports whether the Anthropic preset refuses req's temperature, top_p or
// top_k: API version 2026-10-21 removed them, and a request that sends one gets a 400 (the
// versioning page; the message as captured from the API, "temperature: Extra inputs are not
// permitted"). Earlier versions accept them.
func (f *presetFront) refusesSampling(r *http.Request, req *apiRequest) bool {
	return f != nil && !f.lenient && req.sampling != "" && f.p.Name == "anthropic" &&
		r.Header.Get("anthropic-version") == "2026-10-21"
}

// vars are the template values of a reply.
func (f *presetFront) vars(h *handler, sc *scratch, model string, rep *account.Reply, now time.Time) map[string]string {
	id := sc.requestID(&h.m.ids)[0]
	v := map[string]string{
		"request_id": id, "org_id": account.Organization, "model": model,
		"api_version": f.apiVersion(), "operation": "ChatCompletions_Create",
	}
	if model == "" {
		v["model"] = "the requested model"
	}
	next := now.AddDate(0, 1, -now.Day()+1)
	v["reset_date"] = next.UTC().Format("2006-01-02")
	if rep == nil {
		return v
	}
	wait := time.Duration(0)
	if rep.Limits.HasRetryAfter {
		wait = rep.Limits.RetryAfter
	}
	ms := (wait + time.Millisecond - 1) / time.Millisecond
	v["retry_after_ms"] = strconv.FormatInt(int64(ms), 10)
	v["retry_after_s"] = strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10)
	v["try_again"] = (ms * time.Millisecond).String()
	secs := float64(ms) / 1000
	v["retry_delay"] = strconv.FormatFloat(secs, 'f', -1, 64) + "s"
	if ms%1000 == 0 {
		v["retry_delay"] = strconv.FormatInt(int64(ms/1000), 10) + "s"
	}
	v["limit"] = strconv.FormatInt(rep.LimitValue, 10)
	v["quota_value"] = v["limit"]
	if f.p.Name == "anthropic" {
		v["limit"] = account.Thousands(rep.LimitValue) // "of 40,000 input tokens per minute"
	}
	v["used"] = strconv.FormatInt(rep.Used, 10)
	v["requested"] = strconv.FormatInt(max(rep.Requested, 1), 10)
	name, unit, kind := limitWords(rep.LimitName)
	v["limit_name"], v["unit"], v["kind"] = name, unit, kind
	return v
}

// limitWords are a limit's name in OpenAI's words, its unit and OpenAI's error type.
func limitWords(dim string) (name, unit, kind string) {
	switch dim {
	case "tpm":
		return "tokens per min (TPM)", "tokens", "tokens"
	case "itpm":
		return "input tokens per min (ITPM)", "input tokens", "tokens"
	case "otpm":
		return "output tokens per min (OTPM)", "output tokens", "tokens"
	case "rpd":
		return "requests per day (RPD)", "requests", "requests"
	case "tpd":
		return "tokens per day (TPD)", "tokens", "tokens"
	}
	return "requests per min (RPM)", "requests", "requests"
}

// templateFor returns the preset's error template for a refused reply, nil when it has none.
func (f *presetFront) templateFor(rep *account.Reply) *presets.ErrorTemplate {
	if f == nil || rep.Status != http.StatusTooManyRequests {
		return nil
	}
	cause := rep.Cause
	if cause == "" {
		cause = account.CauseRateLimit
	}
	e := f.p.ErrorFor(cause, rep.LimitName)
	if e == nil && cause == account.CauseSpendCap && f.tier.SpendCap != nil {
		e = f.p.Error(f.tier.SpendCap.Error)
	}
	return e
}

// writeRefusal writes a refused reply with the preset's template; false when the preset has
// none for it (the common provider-family body is written instead).
func (f *presetFront) writeRefusal(h *handler, w http.ResponseWriter, sc *scratch, model string, rep *account.Reply, now time.Time) bool {
	e := f.templateFor(rep)
	if e == nil {
		return false
	}
	if !f.hasRetryAfter(e) {
		delete(w.Header(), "Retry-After")
		delete(w.Header(), "retry-after")
	}
	f.write(w, e, f.vars(h, sc, model, rep, now))
	return true
}

// hasRetryAfter reports whether the preset sends a retry-after header with template e: a
// retry hint of the preset names it, or the template's own headers carry it.
func (f *presetFront) hasRetryAfter(e *presets.ErrorTemplate) bool {
	for _, h := range f.p.RetryHints {
		if h.In == "header" && strings.EqualFold(h.Name, "retry-after") && slices.Contains(h.On, e.ID) {
			return true
		}
	}
	for k := range e.Headers {
		if strings.EqualFold(k, "retry-after") {
			return true
		}
	}
	return false
}

// write renders template e with vars and writes it.
func (f *presetFront) write(w http.ResponseWriter, e *presets.ErrorTemplate, vars map[string]string) {
	hdr, body, err := e.Render(vars)
	if err != nil {
		body = []byte(`{"error":{"message":` + strconv.Quote(err.Error()) + `}}`)
	}
	out := w.Header()
	for k, v := range hdr {
		setHeader(out, k, v)
	}
	switch rid := vars["request_id"]; f.p.Name {
	case "openai", "azure-openai":
		if rid != "" {
			out["x-request-id"] = []string{rid} // on every answer, 429s included
		}
	case "anthropic":
		if rid != "" {
			out["request-id"] = []string{rid}
		}
		// As the API (and the mock without a preset): the SDKs retry when told true.
		out["x-should-retry"] = hdrFalse
		if e.Status == 429 || e.Status >= 500 {
			out["x-should-retry"] = hdrTrue
		}
	}
	out["Content-Type"] = hdrJSON
	w.WriteHeader(e.Status)
	w.Write(body)
}

// setHeader sets header k to v in place of any value under another spelling of k: the mock
// writes lower-case names, templates canonical ones, and both would go on the wire (a client
// would read "1, 1").
func setHeader(h http.Header, k string, v []string) {
	for old := range h {
		if old != k && strings.EqualFold(old, k) {
			delete(h, old)
		}
	}
	h[k] = v
}

// azureResets rewrites the reset headers the openai dialect wrote as whole seconds, as Azure
// documents them (10, 300).
func azureResets(hdr http.Header) {
	for _, k := range []string{"x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"} {
		v := hdr[k]
		if len(v) == 0 {
			continue
		}
		d, err := time.ParseDuration(v[0])
		if err != nil {
			continue
		}
		hdr[k] = []string{strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)}
	}
}

// writeHeaders writes the rate-limit headers of a reply in the preset's dialect.
func (h *handler) writeHeaders(f *presetFront, hdr http.Header, now time.Time, rep *account.Reply) {
	if rep.Dialect == ratelimit.DialectNone {
		return
	}
	h.fields.Write(hdr, rep.Dialect, now, &rep.Limits)
	if f != nil && f.p.Headers.Dialect == "azure" {
		azureResets(hdr)
	}
}
