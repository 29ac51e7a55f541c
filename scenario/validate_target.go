package scenario

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/suggest"
	"go.yaml.in/yaml/v3"
)

func (v *validator) target() {
	s, t := v.s, &v.s.Target
	mock := s.Mock != nil
	switch {
	case mock && t.URL != "":
		v.add("target.url", "the embedded mock (mock:) is the target; remove target.url, or remove mock: to send requests to the URL")
	case !mock && t.URL == "":
		v.add("target", "missing: give target.url (a real API) or mock: (the embedded mock server)")
	}
	if t.URL != "" {
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

func (v *validator) mock() {
	m := v.s.Mock
	if m == nil || m.Node == nil || v.opts.DecodeMock == nil || v.suppressed("mock") {
		return
	}
	cfg, err := v.opts.DecodeMock(m.Node)
	if err != nil {
		v.hookError("mock", "mock", err)
		return
	}
	m.Config = cfg
}

// hookError turns an error from a hook into problems under base; ParamErrors go under
// paramBase.
func (v *validator) hookError(base, paramBase string, err error) {
	var se *strictyaml.Error
	var te *yaml.TypeError
	switch {
	case errors.As(err, &se):
		for _, p := range se.Problems {
			path := base
			if p.Path != "" {
				path = p.Path
				if path != base && !under(path, base) {
					path = base + "." + strings.TrimPrefix(path, ".")
				}
			}
			q := v.at(path, p.Msg)
			if p.Line > 0 {
				q.Line, q.Col = p.Line, p.Col
			}
			v.problems = append(v.problems, q)
		}
	case errors.As(err, &te):
		for _, e := range te.Errors {
			q := v.at(base, e)
			if line, msg, ok := strictyaml.LineOf(e); ok {
				q = v.atLine(base, line, msg)
			}
			v.problems = append(v.problems, q)
		}
	default:
		for _, leaf := range leaves(err) {
			var pe *ParamError
			if errors.As(leaf, &pe) {
				v.problems = append(v.problems, v.at(joinPath(paramBase, pe.Param), pe.Msg))
				continue
			}
			v.problems = append(v.problems, v.at(base, leaf.Error()))
		}
	}
}

// atLine positions a problem reported only by line number (a yaml.TypeError) at the deepest
// value recorded on that line under base, the scalar the message is most likely about, and
// names that value's path.
func (v *validator) atLine(base string, n int, msg string) strictyaml.Problem {
	q := v.at(base, msg)
	if v.s.src == nil {
		return q
	}
	q.Line, q.Col = n, 0
	best := ""
	for path, pos := range v.s.src.pos {
		if pos.Line != n || (path != base && !under(path, base)) {
			continue
		}
		if q.Col == 0 || len(path) > len(best) || (len(path) == len(best) && pos.Col < q.Col) {
			best, q.Col = path, pos.Col
		}
	}
	if best != "" {
		q.Path = best
	}
	return q
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
