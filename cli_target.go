package main

import (
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/scenario"
)

// baseScenario builds the part of a scenario the flags shared by probe and compare say: the
// target (the embedded mock and its configuration, or a URL with its API, model, key variable,
// method, headers and body), the workload, the budget, the seed and the output. It checks what
// it can name a flag for; the key itself is read by the runner.
func (f *probeFlags) baseScenario(fs *flagSet, command string) (*scenario.Scenario, error) {
	if f.maxInflight < 1 {
		return nil, usageErrorf("--max-inflight %d: want at least 1", f.maxInflight)
	}
	if f.timeout <= 0 {
		return nil, usageErrorf("--timeout %s: want a positive duration such as 60s", f.timeout)
	}
	// An explicit 0 would otherwise turn into the scenario's default silently.
	for _, n := range []struct {
		name string
		v    int64
	}{{"max-tokens", f.maxTokens}, {"prompt-tokens", f.promptTokens}} {
		if n.v < 1 {
			return nil, usageErrorf("--%s %d: want at least 1 token", n.name, n.v)
		}
	}
	apiName := f.api
	if apiName != "" {
		if _, err := api.Parse(apiName); err != nil {
			return nil, usageErrorf("--api: %v", err)
		}
	}
	s := &scenario.Scenario{}
	isMock := f.target == "mock"
	if isMock {
		cfg, err := f.mock.config()
		if err != nil {
			return nil, err
		}
		s.Mock = &scenario.Mock{Config: cfg}
		if apiName == "" {
			apiName = string(api.Anthropic)
		}
		if f.model == "" && apiName != string(api.HTTP) {
			f.model = api.API(apiName).MockModel()
		}
	} else {
		for _, name := range f.mockNames {
			if fs.Changed(name) {
				return nil, usageErrorf("--%s configures the embedded mock: it needs --target mock (the target is %s)", name, f.target)
			}
		}
		u, err := url.Parse(f.target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErrorf("--target %q: want mock or an http(s) URL such as https://api.anthropic.com", f.target)
		}
		if u.User != nil {
			return nil, usageErrorf("--target: credentials in the URL are not accepted; put the key in an environment variable and name it with --api-key-env")
		}
		if apiName == "" {
			apiName = string(api.Infer(u))
		}
		if f.model == "" && apiName != string(api.HTTP) {
			return nil, usageErrorf("--model is required for the %s API, e.g. --model %s", apiName, api.API(apiName).ExampleModel())
		}
		s.Target.URL = f.target
	}
	headers, err := parseHeaders(f.headers)
	if err != nil {
		return nil, err
	}
	body := f.body
	if name, ok := strings.CutPrefix(f.body, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, usageErrorf("--body @%s: %v", name, err)
		}
		body = string(b)
	}
	s.Target.API, s.Target.KeyEnv, s.Target.Method, s.Target.Body = apiName, f.keyEnv, strings.ToUpper(f.method), body
	s.Target.PrivateHeaders = headers
	if apiName != string(api.HTTP) {
		s.Target.Model = f.model
	}
	s.Workload = scenario.Workload{PromptTokens: f.promptTokens, PromptTokensSpread: f.spread,
		MaxTokens: f.maxTokens, Timeout: scenario.Duration(f.timeout),
		Stream: f.stream, StreamIdleTimeout: scenario.Duration(f.streamIdle), CachePrefixTokens: f.cachePrefix}
	if f.cachePrefix != 0 || f.cacheHit != 1 {
		s.Workload.CacheHitRatio = &f.cacheHit
	}
	f.run.apply(s, command, time.Now())
	return s, nil
}

// parseHeaders reads --header K:V values; a repeated name joins its values with ", ".
func parseHeaders(hs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, h := range hs {
		k, v, ok := strings.Cut(h, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, usageErrorf("--header %q: want NAME:VALUE, e.g. --header 'X-Team: probe'", redactHeader(h))
		}
		v = strings.TrimSpace(v)
		if old, ok := out[k]; ok {
			v = old + ", " + v
		}
		out[k] = v
	}
	return out, nil
}

// redactHeader shows at most the first 8 bytes of a malformed header: without its colon there
// is no telling a name from a value, and the value may be a secret.
func redactHeader(h string) string {
	if len(h) > 8 {
		return h[:8] + "…"
	}
	return h
}
