package presets

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/ratelab/ratelab/api"
)

// paramRE matches a path parameter of an endpoint: {model}, {deployment}, {modelId}.
var paramRE = regexp.MustCompile(`\{[^}]*\}`)

// EndpointFor returns the path (and query) a client speaking a's request body sends model's
// requests to on the preset's mock: "" when the preset serves a's standard path (/v1/messages,
// /v1/chat/completions), else the first of the preset's endpoints that takes a's body, its path
// parameters filled with the model (Azure's /openai/deployments/gpt-4o/chat/completions
// ?api-version=…, Bedrock's /model/{id}/invoke, which takes the Messages body of Claude). An
// error says so when none does (Gemini's generateContent speaks neither anthropic nor openai).
func (p *Preset) EndpointFor(a api.API, model string) (string, error) {
	var suits func(path string) bool
	var std string
	switch a {
	case api.Anthropic:
		std = "/v1/messages"
		suits = func(path string) bool {
			return strings.HasSuffix(path, "/messages") || strings.HasSuffix(path, "/invoke")
		}
	case api.OpenAI:
		std = "/v1/chat/completions"
		suits = func(path string) bool { return strings.HasSuffix(path, "/chat/completions") }
	default:
		return "", nil // http: the scenario gives the path
	}
	first := ""
	for _, e := range p.API.Endpoints {
		method, path, _ := strings.Cut(e, " ")
		if method != "POST" || !suits(path) {
			continue
		}
		if path == std {
			return "", nil
		}
		if first == "" {
			first = path
		}
	}
	if first == "" {
		return "", fmt.Errorf("the %s preset serves %s, none of which takes the %s request body: use api http with the path as target.url and the provider's body as target.body",
			p.Name, strings.Join(p.API.Endpoints, ", "), a)
	}
	if !paramRE.MatchString(first) {
		return first, nil
	}
	if model == "" {
		return "", fmt.Errorf("the %s preset's endpoint %s names the model in its path: give target.model", p.Name, first)
	}
	path := paramRE.ReplaceAllLiteralString(first, url.PathEscape(model))
	if p.API.Query != "" {
		path += "?" + p.API.Query
	}
	return path, nil
}
