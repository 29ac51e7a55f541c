package main

import (
	"context"
	"net/url"
	"os"
	"strings"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/record"
)

// mockPlaceholderURL is the target URL of --target mock before the embedded mock listens (and
// in simulation, where nothing listens): a valid URL nothing is ever sent to.
const mockPlaceholderURL = "http://127.0.0.1"

// targetSpec resolves the target flags shared by probe and compare — the embedded mock or a URL,
// the API, the model, the key, extra headers and the body — without starting anything. For
// --target mock, pt.mock holds the mock's configuration and pt.cfg.URL is a placeholder until
// startMock runs (the simulator needs no server).
func (f *probeFlags) targetSpec(env *cliEnv, fs *flagSet) (*probeTarget, error) {
	pt := &probeTarget{stopMock: func() {}}
	var api probe.API
	if f.api != "" {
		a, err := probe.ParseAPI(f.api)
		if err != nil {
			return nil, usageErrorf("--api: %v", err)
		}
		api = a
	}
	isMock := f.target == "mock"
	if !isMock {
		for _, name := range f.mockNames {
			if fs.Changed(name) {
				return nil, usageErrorf("--%s configures the embedded mock: it needs --target mock (the target is %s)", name, f.target)
			}
		}
	}
	var base string
	if isMock {
		cfg, err := f.mock.config()
		if err != nil {
			return nil, err
		}
		if api == "" {
			api = probe.APIAnthropic
		}
		base, pt.mock = mockPlaceholderURL, &cfg
		pt.record = record.Target{URL: "mock", Embedded: true}
		if f.model == "" && api != probe.APIHTTP {
			f.model = mockModel(api)
		}
	} else {
		u, err := url.Parse(f.target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErrorf("--target %q: want mock or an http(s) URL such as https://api.anthropic.com", f.target)
		}
		if api == "" {
			api = probe.InferAPI(u)
		}
		if u.User != nil {
			return nil, usageErrorf("--target: credentials in the URL are not accepted; put the key in an environment variable and name it with --api-key-env")
		}
		base = f.target
		if f.model == "" && api != probe.APIHTTP {
			return nil, usageErrorf("--model is required for the %s API, e.g. --model %s", api, map[probe.API]string{probe.APIAnthropic: "claude-haiku-4-5", probe.APIOpenAI: "gpt-4o-mini"}[api])
		}
	}

	keyEnv := f.keyEnv
	if keyEnv == "" {
		keyEnv = probe.DefaultKeyEnv(api)
	}
	var key string
	if keyEnv != "" {
		key = env.getenv(keyEnv)
	}
	switch {
	case key == "" && isMock && api != probe.APIHTTP:
		key, keyEnv = "ratelab-probe", "" // the mock keys budgets by key; any fixed key will do
	case key == "" && f.keyEnv != "":
		return nil, usageErrorf("--api-key-env %s: the variable is not set", f.keyEnv)
	case key == "" && api != probe.APIHTTP:
		return nil, usageErrorf("%s is not set: export your API key there, or name another variable with --api-key-env", keyEnv)
	}
	if key == "" {
		keyEnv = ""
	}

	headers, err := parseHeaders(f.headers)
	if err != nil {
		return nil, err
	}
	body := []byte(f.body)
	if name, ok := strings.CutPrefix(f.body, "@"); ok {
		if body, err = os.ReadFile(name); err != nil {
			return nil, usageErrorf("--body @%s: %v", name, err)
		}
	}
	pt.cfg = probe.TargetConfig{
		API: api, URL: base, Key: key, Model: f.model, MaxTokens: f.maxTokens,
		PromptTokens: f.promptTokens, PromptSpread: f.spread, Seed: f.run.seed,
		Method: f.method, Header: headers, Body: body,
	}
	pt.record.API, pt.record.Model, pt.record.KeyEnv = string(api), f.model, keyEnv
	if api == probe.APIHTTP {
		pt.record.Model = ""
	}
	if !isMock {
		pt.record.URL = base
	}
	return pt, nil
}

// startMock starts the embedded mock of a --target mock spec on a free loopback port and points
// the target at it; pt.stopMock stops it.
func (pt *probeTarget) startMock(ctx context.Context, seed int64) error {
	u, _, stop, err := startEmbeddedMock(ctx, *pt.mock, seed)
	if err != nil {
		return err
	}
	pt.cfg.URL, pt.stopMock = u, stop
	return nil
}
