package scenario

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/suggest"
)

func (v *validator) target() {
	s, t := v.s, &v.s.Target
	mock := s.Mock != nil
	switch {
	case mock && t.URL != "" && !strings.HasPrefix(t.URL, "/"):
		v.add("target.url", "the embedded mock (mock:) is the target: give target.url only as a path on it, such as /v1beta/models/gemini-2.5-flash:generateContent, or remove mock: to send requests to the URL")
	case !mock && t.URL == "":
		v.add("target", "missing: give target.url (a real API) or mock: (the embedded mock server)")
	}
	if t.URL != "" && !mock {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add("target.url", "must be an http:// or https:// URL such as https://api.anthropic.com, got %s", strictyaml.Show(t.URL))
		}
	}
	if t.API != "" && !slices.Contains(api.Names(), t.API) {
		v.add("target.api", "%s", suggest.Unknown("api", t.API, api.Names()))
	}
	a := s.api()
	if t.Model == "" && !mock && a.LLM() {
		v.add("target.model", "is required for api %s, e.g. model: %s", a, a.ExampleModel())
	}
	if t.KeyEnv != "" {
		switch {
		case strictyaml.LooksLikeKey(t.KeyEnv):
			v.add("target.key_env", "looks like an API key: key_env takes the NAME of the environment variable that holds the key (e.g. ANTHROPIC_API_KEY), never the key itself")
		case !envRE.MatchString(t.KeyEnv):
			// The value is not shown: what is not a variable name may well be a pasted key.
			v.add("target.key_env", "must be the name of an environment variable (letters, digits and _, not starting with a digit); the value given is not shown, in case it is a key")
		}
	}
	if t.Method != "" {
		switch {
		case !methodRE.MatchString(t.Method):
			v.add("target.method", "must be an HTTP method in capitals such as GET or POST, got %s", strictyaml.Show(t.Method))
		case a != api.HTTP && t.Method != "POST":
			v.add("target.method", "api %s always sends POST; remove method or use api http", a)
		}
	}
	names := make([]string, 0, len(t.Headers))
	for k := range t.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		p := strictyaml.Join("target.headers", k)
		switch val := t.Headers[k]; {
		case !tokenRE.MatchString(k):
			v.add(p, "is not a valid HTTP header name (letters, digits and -)")
		case slices.Contains(credentialHeaders, strings.ToLower(k)) || strictyaml.LooksLikeKey(val):
			v.add(p, "carries a credential; scenario files are shared and recorded, so put the key in an environment variable and set target.key_env to its name")
		case strings.ContainsAny(val, "\r\n"):
			v.add(p, "must be on one line")
		}
	}
	if t.Body != "" && a != api.HTTP {
		v.add("target.body", "is only for api http; anthropic and openai request bodies are built from workload")
	}
}

// api is the target's API, inferred when not given.
func (s *Scenario) api() api.API {
	switch {
	case s.Target.API != "":
		return api.API(s.Target.API)
	case s.Mock != nil:
		return DefaultMockAPI
	}
	return api.InferURL(s.Target.URL)
}

// mock validates the mock: section's values (account.Config.Validate), reporting a problem at
// the field it names: for a limit's window or algorithm that the section does not set, at the
// top-level default it comes from.
func (v *validator) mock() {
	m := v.s.Mock
	if m == nil || v.suppressed("mock") {
		return
	}
	err := m.Config.Validate()
	if err == nil {
		return
	}
	var fe *account.FieldError
	if !errors.As(err, &fe) {
		v.add("mock", "%v", err)
		return
	}
	path := "mock." + fe.Field
	q := v.at(path, fe.Msg)
	if leaf := path[strings.LastIndexByte(path, '.')+1:]; !v.s.given(path) && (leaf == "window" || leaf == "algorithm") && v.s.given("mock."+leaf) {
		at := v.at("mock."+leaf, "")
		q.Line, q.Col = at.Line, at.Col
	}
	v.problems = append(v.problems, q)
}

// strategyError turns a strategy check's error into problems: each ParamError at its parameter
// under paramBase, anything else at base.
func (v *validator) strategyError(base, paramBase string, err error) {
	for _, leaf := range leaves(err) {
		var pe *ParamError
		if errors.As(leaf, &pe) {
			v.problems = append(v.problems, v.at(joinPath(paramBase, pe.Param), pe.Msg))
			continue
		}
		v.problems = append(v.problems, v.at(base, leaf.Error()))
	}
}

// joinPath appends a relative field path ("limits.requests.window") to base; a name that is
// not a plain path is quoted as one key.
func joinPath(base, rel string) string {
	if relPathRE.MatchString(rel) {
		if base == "" {
			return rel
		}
		return base + "." + rel
	}
	return strictyaml.Join(base, rel)
}

var relPathRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+|\[[0-9]+\])*$`)

// leaves flattens errors joined with errors.Join.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
