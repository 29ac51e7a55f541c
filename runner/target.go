package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/mockserver"
	"github.com/ratelab/ratelab/presets"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenario"
)

// mockPlaceholderURL is the target URL of the embedded mock before it listens (and in
// simulation, where nothing listens): a valid URL nothing is ever sent to.
const mockPlaceholderURL = "http://127.0.0.1"

// mockProbeKey is the API key probe phases use against the embedded mock when the environment
// holds none: the mock keeps one budget per key, and any fixed key will do.
const mockProbeKey = "ratelab-probe"

// target is where requests go: the request shape every engine builds its probe.Target from,
// the embedded mock's configuration (nil for a real API), and what run.json says of it.
type target struct {
	cfg    probe.TargetConfig
	mock   *account.Config
	record record.Target

	stopServer func() // stops the embedded mock server; nil while none runs
}

// resolveTarget resolves the scenario's target: the API, model, request shape and key, and
// for the embedded mock its configuration (the server starts later, and only when a phase
// runs live). The key comes from the environment variable target.key_env names (by default
// ANTHROPIC_API_KEY or OPENAI_API_KEY by API); it is kept only in the request headers, never
// recorded, printed or put in an error.
func resolveTarget(s *scenario.Scenario, getenv func(string) string) (*target, error) {
	t := &s.Target
	a, err := api.Parse(t.API)
	if err != nil {
		return nil, &ConfigError{Field: "target.api", Value: t.API, Msg: err.Error()}
	}
	tg := &target{}
	base := t.URL
	if s.Mock != nil {
		cfg := s.Mock.Config
		if err := applyPreset(&cfg, s.Mock); err != nil {
			return nil, err
		}
		tg.mock, base = &cfg, mockPlaceholderURL
		tg.record = record.Target{URL: "mock"}
		path, err := mockPath(s, a, &cfg)
		if err != nil {
			return nil, err
		}
		tg.record.Path = path
	}

	keyEnv := t.KeyEnv
	if keyEnv == "" {
		keyEnv = a.KeyEnv()
	}
	var key string
	if keyEnv != "" {
		key = getenv(keyEnv)
	}
	switch {
	case key == "" && tg.mock != nil && a != api.HTTP:
		key, keyEnv = mockProbeKey, ""
	case key == "" && (t.KeyEnv != "" || a != api.HTTP):
		return nil, &ConfigError{Field: "target.key_env", Value: keyEnv, Msg: "the variable is not set: export your API key there"}
	}
	if key == "" {
		keyEnv = ""
	}

	header := http.Header{}
	for k, v := range t.Headers {
		header.Add(k, v)
	}
	for k, v := range t.PrivateHeaders {
		header.Add(k, v)
	}
	method := t.Method
	if a != api.HTTP {
		method = "" // anthropic and openai always POST
	}
	tg.cfg = probe.TargetConfig{
		API: a, URL: base, Path: tg.record.Path, Key: key, Model: t.Model, MaxTokens: s.Workload.MaxTokens,
		PromptTokens: s.Workload.PromptTokens, PromptSpread: s.Workload.PromptTokensSpread, Seed: s.Seed,
		Stream: s.Workload.Stream, CachePrefixTokens: s.Workload.CachePrefixTokens, CacheMiss: s.Workload.CacheMiss(),
		Method: method, Header: header, Body: []byte(t.Body),
	}
	built, err := probe.NewTarget(tg.cfg)
	if err != nil {
		return nil, targetError(err)
	}
	tg.record.API, tg.record.Model, tg.record.KeyEnv = string(a), t.Model, keyEnv
	tg.record.Method = built.Method()
	if a == api.HTTP {
		tg.record.Model = ""
	}
	if tg.mock == nil {
		tg.record.URL = built.URL()
	}
	return tg, nil
}

// mockPath is the endpoint path (and query) requests take on the embedded mock: target.url
// when the scenario gives one (a path on the mock), else the endpoint of the mock's preset that
// takes the API's body (Azure's deployment path, Bedrock's invoke), "" for the API's standard
// path.
func mockPath(s *scenario.Scenario, a api.API, cfg *account.Config) (string, error) {
	if s.Target.URL != "" || cfg.Preset == "" {
		return s.Target.URL, nil
	}
	tier, err := presets.Lookup(cfg.Preset)
	if err != nil {
		return "", &ConfigError{Field: "mock.preset", Value: cfg.Preset, Msg: err.Error()}
	}
	path, err := tier.Preset().EndpointFor(a, s.Target.Model)
	if err != nil {
		return "", &ConfigError{Field: "target.api", Value: string(a), Msg: err.Error()}
	}
	return path, nil
}

// targetError reports a target that cannot be built against the scenario field at fault.
func targetError(err error) *ConfigError {
	var te *probe.TargetError
	if errors.As(err, &te) {
		return &ConfigError{Field: te.Field, Value: te.Value, Msg: te.Msg}
	}
	return &ConfigError{Msg: err.Error()}
}

// build returns the probe.Target of one engine, with key in place of the run's key when not "".
func (tg *target) build(key string, stream *bool) (*probe.Target, error) {
	cfg := tg.cfg
	if key != "" {
		cfg.Key = key
	}
	if stream != nil {
		cfg.Stream = *stream
	}
	return probe.NewTarget(cfg)
}

// host is the host (with port) requests go to.
func (tg *target) host() string {
	if u, err := url.Parse(tg.cfg.URL); err == nil && u.Host != "" {
		return u.Host
	}
	return tg.cfg.URL
}

// remote reports whether the target is a real API on a non-loopback host.
func (tg *target) remote() bool { return tg.mock == nil && !probe.IsLoopback(tg.host()) }

// startMock starts the embedded mock on a free loopback port and points the target at it.
func (tg *target) startMock(ctx context.Context, seed int64) error {
	m, err := mockserver.New(*tg.mock, seed)
	if err != nil {
		return &ConfigError{Field: "mock", Msg: err.Error()}
	}
	sctx, cancel := context.WithCancel(ctx)
	srv, err := m.Start(sctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		return fmt.Errorf("start the embedded mock: %w", err)
	}
	tg.cfg.URL = srv.URL()
	tg.stopServer = sync.OnceFunc(func() {
		cancel()
		srv.Wait()
	})
	return nil
}

// stopMock stops the embedded mock and waits for it; it may be called again.
func (tg *target) stopMock() {
	if tg.stopServer != nil {
		tg.stopServer()
	}
}

// confirm asks before real traffic goes to a non-loopback host: a run that may send more than
// probe.RemoteFreeRequests requests must be confirmed on a terminal (or by --yes); a smaller
// one is capped at that many unconfirmed requests. An interrupt while the question waits for
// its answer returns engine.ErrInterrupted; the read itself cannot be cancelled and is left behind
// (the process is about to exit). Stderr must be safe for concurrent use, as for the progress
// line.
func (r *runState) confirm(ctx context.Context) error {
	if !r.tg.remote() || !r.anyLive() || r.s.Yes {
		return nil
	}
	host, most := r.tg.host(), r.mostRequests()
	if !probe.NeedsConfirmation(host, most) {
		r.budget.Unconfirmed = probe.RemoteFreeRequests
		return nil
	}
	answer := make(chan error, 1)
	go func() { answer <- probe.Confirm(r.o.Stdin, r.o.Stderr, r.o.StdinTTY, host, most) }()
	select {
	case err := <-answer:
		if err != nil {
			return &ConfigError{Msg: err.Error()}
		}
		return nil
	case <-ctx.Done():
		fmt.Fprintln(r.o.Stderr) // end the question's line
		return engine.ErrInterrupted
	}
}
