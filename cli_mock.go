package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/mockserver"
	"github.com/ratelab/ratelab/presets"
	"github.com/ratelab/ratelab/ratelimit"
)

const mockAbout = `Serves the mock API until interrupted (Ctrl-C or SIGTERM): POST /v1/messages (Anthropic),
POST /v1/messages/count_tokens (its own limit), POST /v1/chat/completions (OpenAI), any other
path as a generic JSON endpoint, GET /_ratelab/stats (counters per API key) and GET /healthz.
--preset NAME[:TIER] speaks a provider's current rules instead (ratelab presets lists them):
budgets per key and model class, its headers, error bodies and accounting, and its own
endpoints (Azure deployment paths, Gemini generateContent, Bedrock invoke and converse).
Every API key (x-api-key or Authorization: Bearer) has its own budget, limited per minute by the
chosen algorithm, and every response carries the rate-limit headers of its provider's dialect.
Point your own client at it to test its 429 handling, or run probe and compare against it.`

// mockHeapFloor is the size of the ballast `ratelab mock` holds when the environment sets
// neither GOGC nor GOMEMLIMIT: the least garbage it lets pile up between collections.
const mockHeapFloor = 64 << 20

// mockFlags are the flags that configure a mock: `ratelab mock`, and probe/compare with
// --target mock.
type mockFlags struct {
	fs *flagSet

	rpm, tpm         int64
	itpm, otpm       int64
	algorithm        string
	window           time.Duration
	burst            int64
	dialect          string
	latency          time.Duration
	latencyJitter    time.Duration
	errorRate        float64
	overloadRate     float64
	countRejected    bool
	configFile       string
	outputTokens     int64
	outputAccounting string
	requireKey       bool
	maxAccounts      int
	counterRounding  string
	windowStart      string
	resetRounding    string
	remainRounding   string
	gen              genFlags
	preset           string
	rpd, tpd         int64
	lenient          bool
	terminalAfter    int64
	terminalCause    string
	acceleration     float64
}

// addMockFlags registers the mock flags on fs (ratelab mock adds --addr and --seed).
func addMockFlags(fs *flagSet) *mockFlags {
	f := &mockFlags{fs: fs}
	fs.Int64Var(&f.rpm, "rpm", account.DefaultRPM, "requests per minute per API key (0: no requests limit)")
	fs.Int64Var(&f.tpm, "tpm", 0, "input plus output tokens per minute (0: no combined limit)")
	fs.Int64Var(&f.itpm, "itpm", account.DefaultITPM, "input tokens per minute (0: no limit)")
	fs.Int64Var(&f.otpm, "otpm", account.DefaultOTPM, "output tokens per minute (0: no limit)")
	fs.StringVar(&f.algorithm, "algorithm", string(account.DefaultAlgorithm), "limiting algorithm of every dimension: "+algorithmNames())
	fs.DurationVar(&f.window, "window", limiter.DefaultWindow, "window of every dimension; a window algorithm admits rate × window per window (--rpm 600 --window 5s: 50 per 5 s)")
	fs.Int64Var(&f.burst, "burst", 0, "bucket capacity of the requests limit for token-bucket and gcra, queue size for leaky-bucket (default one window's quota)")
	fs.BoolVar(&f.countRejected, "count-rejected", false, "refused requests use one unit of the requests limit, as OpenAI documents")
	fs.StringVar(&f.counterRounding, "counter-rounding", string(limiter.RoundFloor), "sliding-window: how the previous window's weighted count is rounded: "+variantNames(limiter.CounterRoundings)+" (fractional admits one less per window)")
	fs.StringVar(&f.windowStart, "window-start", string(limiter.StartClock), "fixed-window: windows aligned to the clock, or opened by the first request after the last one ended (gaps in traffic stretch the period): "+variantNames(limiter.WindowStarts))
	fs.StringVar(&f.dialect, "dialect", "", "rate-limit headers on every endpoint: "+strings.Join(ratelimit.Dialects(), ", ")+
		" (none: no headers, not even retry-after; default: each endpoint's own, ietf on generic paths)")
	fs.StringVar(&f.resetRounding, "reset-rounding", "", "resets written rounded up or truncated to whole seconds, or to the millisecond: "+variantNames(ratelimit.ResetRoundings)+" (default: as each dialect's provider writes them)")
	fs.StringVar(&f.remainRounding, "remaining-rounding", "", "token remaining written "+variantNames(ratelimit.RemainingRoundings)+" (default: Anthropic's to the nearest thousand, the others exact)")
	fs.DurationVar(&f.latency, "latency", 0, "service time of an admitted request, e.g. 20ms")
	fs.DurationVar(&f.latencyJitter, "latency-jitter", 0, "latency spread: uniform over latency ± jitter")
	fs.Float64Var(&f.errorRate, "error-rate", 0, "fraction of requests answered 500 api_error, from 0 to 1 (before the limit; no quota used)")
	fs.Float64Var(&f.overloadRate, "overload-rate", 0, "fraction of requests answered 529 overloaded_error, from 0 to 1 (before the limit; no quota used)")
	fs.Int64Var(&f.outputTokens, "output-tokens", 0, "reply length in tokens, capped at the request's max_tokens (0: max_tokens)")
	fs.StringVar(&f.outputAccounting, "output-accounting", string(account.AccountActual), "when output tokens count: actual (after the reply; admitted while not in debt) or max_tokens (pre-charged at admission)")
	fs.BoolVar(&f.requireKey, "require-key", false, "answer 401 authentication_error to requests without an API key")
	fs.IntVar(&f.maxAccounts, "max-accounts", account.DefaultMaxAccounts, "API keys served; further new keys get 403 permission_error (0: no bound)")
	f.gen.add(fs)
	fs.StringVar(&f.preset, "preset", "", "speak a provider's rules: "+strings.Join(presets.Names(), ", ")+", optionally :TIER (ratelab presets lists them); limit flags override the preset's figures for every model class")
	fs.Int64Var(&f.rpd, "rpd", 0, "requests per day per API key (and model class); exhausting it is terminal (0: none, or the preset's)")
	fs.Int64Var(&f.tpd, "tpd", 0, "tokens per day per API key (and model class); exhausting it is terminal (0: none, or the preset's)")
	fs.BoolVar(&f.lenient, "lenient", false, "with --preset anthropic: accept requests without the anthropic-version header (the real API answers 400)")
	fs.Int64Var(&f.terminalAfter, "terminal-after", 0, "after this many admitted requests of a key, answer every request with a terminal quota error (0: never)")
	fs.StringVar(&f.terminalCause, "terminal-cause", account.CauseSpendCap, "the terminal error --terminal-after sends: "+strings.Join(account.TerminalCauses, ", "))
	fs.Float64Var(&f.acceleration, "acceleration", 0, "refuse a key's requests beyond this many times its previous minute's (at least 60 a minute): ratelab's model of acceleration limits, not a provider's figure (0: off)")
	fs.StringVar(&f.configFile, "config", "", "YAML file with everything above and per-dimension settings (algorithm, window, burst, nodelay, counter_rounding, window_start, advertise); flags override it")
	for name, v := range map[string]string{"preset": "NAME[:TIER]", "terminal-cause": "CAUSE", "algorithm": "NAME", "dialect": "NAME", "output-accounting": "MODE", "config": "FILE",
		"counter-rounding": "MODE", "window-start": "MODE", "reset-rounding": "MODE", "remaining-rounding": "MODE"} {
		fs.value(name, v)
	}
	return f
}

// groupMock shows the mock flags under two titles: the limits, and the responses.
func groupMock(fs *flagSet, limits, responses string) {
	fs.group(limits, "preset", "rpm", "tpm", "itpm", "otpm", "rpd", "tpd", "terminal-after", "terminal-cause", "lenient", "acceleration", "algorithm", "window", "burst", "count-rejected",
		"counter-rounding", "window-start", "config")
	fs.group(responses, "dialect", "reset-rounding", "remaining-rounding", "latency", "latency-jitter", "error-rate",
		"overload-rate", "output-tokens", "output-accounting", "require-key", "max-accounts")
	gen := "Generation and stream faults"
	if head, ok := strings.CutSuffix(responses, "responses"); ok {
		gen = head + "generation and stream faults" // "Embedded mock generation and stream faults"
	}
	fs.group(gen, genFlagNames...)
}

// variantNames joins a variant's flag values with commas.
func variantNames[T ~string](vals []T) string {
	names := make([]string, len(vals))
	for i, v := range vals {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

func algorithmNames() string {
	names := make([]string, len(limiter.Algorithms))
	for i, a := range limiter.Algorithms {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// flagOfField names the flag that sets a configuration field, when the user gave it.
func (f *mockFlags) flagOfField(field string) string {
	byField := map[string]string{
		"limits.requests.per_minute":      "rpm",
		"limits.tokens.per_minute":        "tpm",
		"limits.input_tokens.per_minute":  "itpm",
		"limits.output_tokens.per_minute": "otpm",
		"limits.requests.burst":           "burst",
		"algorithm":                       "algorithm",
		"window":                          "window",
		"dialect":                         "dialect",
		"counter_rounding":                "counter-rounding",
		"window_start":                    "window-start",
		"reset_rounding":                  "reset-rounding",
		"remaining_rounding":              "remaining-rounding",
		"latency":                         "latency",
		"latency_jitter":                  "latency-jitter",
		"error_rate":                      "error-rate",
		"overload_rate":                   "overload-rate",
		"output_tokens":                   "output-tokens",
		"requests_per_day":                "rpd",
		"tokens_per_day":                  "tpd",
		"terminal_after":                  "terminal-after",
		"terminal_cause":                  "terminal-cause",
		"acceleration":                    "acceleration",
		"output_accounting":               "output-accounting",
		"max_accounts":                    "max-accounts",
	}
	if name, ok := genFlagOfField(field); ok && f.fs.Changed(name) {
		return name
	}
	if name, ok := byField[field]; ok && f.fs.Changed(name) {
		return name
	}
	// A limit's window is the --window flag's when it was given; a too-short window is also
	// the rate's fault.
	if strings.HasSuffix(field, ".window") && !strings.Contains(field, "advertise") {
		if f.fs.Changed("window") {
			return "window"
		}
		if name, ok := byField[strings.TrimSuffix(field, ".window")+".per_minute"]; ok && f.fs.Changed(name) {
			return name
		}
	}
	if strings.HasSuffix(field, ".algorithm") && f.fs.Changed("algorithm") {
		return "algorithm"
	}
	for _, v := range []string{"counter_rounding", "window_start"} {
		// The flag sets every limit's; a limit that cannot take it is the flag's fault.
		if name := byField[v]; strings.HasSuffix(field, "."+v) && f.fs.Changed(name) {
			return name
		}
	}
	return ""
}

// config returns the mock configuration: DefaultConfig, then the --config file, then the flags
// the user gave explicitly. Errors are usage errors naming the flag, or the file, line and field.
func (f *mockFlags) config() (account.Config, error) {
	cfg := account.DefaultConfig()
	if f.configFile != "" {
		var err error
		if cfg, err = account.LoadConfigFile(f.configFile); err != nil {
			return cfg, usageErrorf("--config %v", err)
		}
	}
	changed := f.fs.Changed
	if spec := cmp.Or(f.preset, cfg.Preset); spec != "" {
		if err := presets.Apply(&cfg, spec); err != nil {
			if f.preset == "" {
				return cfg, usageErrorf("--config %s: preset: %v", f.configFile, err)
			}
			return cfg, usageErrorf("--preset %v", err)
		}
		cfg.Provider.Lenient = f.lenient
	} else if f.lenient {
		return cfg, usageErrorf("--lenient: applies with --preset only (the mock without a preset does not require anthropic-version)")
	}
	lim := &cfg.Limits
	for _, l := range []struct {
		flag string
		n    int64
		dst  *int64
	}{{"tpm", f.tpm, &lim.Tokens.PerMinute}, {"rpm", f.rpm, &lim.Requests.PerMinute}, {"itpm", f.itpm, &lim.InputTokens.PerMinute},
		{"otpm", f.otpm, &lim.OutputTokens.PerMinute}, {"rpd", f.rpd, &cfg.RequestsPerDay}, {"tpd", f.tpd, &cfg.TokensPerDay}} {
		if changed(l.flag) {
			*l.dst = l.n
			presets.SetClassLimits(&cfg, l.flag, l.n) // flags override the preset's figures (tpm first: Azure derives RPM from it)
		}
	}
	if changed("acceleration") {
		cfg.Acceleration = &account.Acceleration{Factor: f.acceleration}
	}
	if changed("terminal-after") {
		cfg.TerminalAfter = f.terminalAfter
	}
	if changed("terminal-cause") {
		cfg.TerminalCause = f.terminalCause
	}
	all := []*account.Limit{&lim.Requests, &lim.Tokens, &lim.InputTokens, &lim.OutputTokens, &lim.CountTokens}
	if changed("algorithm") {
		a, err := limiter.ParseAlgorithm(f.algorithm)
		if err != nil {
			return cfg, usageErrorf("--algorithm: %v", err)
		}
		cfg.Algorithm = a
		for _, l := range all {
			l.Algorithm = "" // the flag applies to every dimension
		}
	}
	if changed("window") {
		if f.window <= 0 {
			return cfg, usageErrorf("--window %s: want a positive duration such as 1m or 5s", f.window)
		}
		cfg.Window = f.window
		for _, l := range all {
			l.Window = 0
		}
	}
	if changed("burst") {
		b := f.burst
		lim.Requests.Burst = &b
	}
	if changed("counter-rounding") {
		cfg.CounterRounding = limiter.CounterRounding(f.counterRounding)
		for _, l := range all {
			l.CounterRounding = "" // the flag applies to every dimension
		}
	}
	if changed("window-start") {
		cfg.WindowStart = limiter.WindowStart(f.windowStart)
		for _, l := range all {
			l.WindowStart = ""
		}
	}
	setIfChanged(changed, "reset-rounding", &cfg.ResetRounding, ratelimit.ResetRounding(f.resetRounding))
	setIfChanged(changed, "remaining-rounding", &cfg.RemainingRounding, ratelimit.RemainingRounding(f.remainRounding))
	setIfChanged(changed, "dialect", &cfg.Dialect, f.dialect)
	setIfChanged(changed, "latency", &cfg.Latency, f.latency)
	setIfChanged(changed, "latency-jitter", &cfg.LatencyJitter, f.latencyJitter)
	setIfChanged(changed, "error-rate", &cfg.ErrorRate, f.errorRate)
	setIfChanged(changed, "overload-rate", &cfg.OverloadRate, f.overloadRate)
	setIfChanged(changed, "count-rejected", &cfg.CountRejected, f.countRejected)
	setIfChanged(changed, "output-tokens", &cfg.OutputTokens, f.outputTokens)
	setIfChanged(changed, "output-accounting", &cfg.OutputAccounting, account.OutputAccounting(f.outputAccounting))
	setIfChanged(changed, "require-key", &cfg.RequireKey, f.requireKey)
	setIfChanged(changed, "max-accounts", &cfg.MaxAccounts, f.maxAccounts)
	f.gen.apply(changed, &cfg)
	if err := cfg.Validate(); err != nil {
		var fe *account.FieldError
		if errors.As(err, &fe) {
			if name := f.flagOfField(fe.Field); name != "" {
				return cfg, usageErrorf("--%s %s: %v", name, f.fs.Lookup(name).Value.String(), err)
			}
			if f.configFile != "" {
				return cfg, usageErrorf("--config %s: %v", f.configFile, err)
			}
		}
		return cfg, usageErrorf("mock: %v", err)
	}
	return cfg, nil
}

// setIfChanged sets *dst to v when the flag name was given on the command line.
func setIfChanged[T any](changed func(string) bool, name string, dst *T, v T) {
	if changed(name) {
		*dst = v
	}
}

// runMock serves the mock API until ctx is cancelled (SIGINT/SIGTERM).
func runMock(ctx context.Context, env *cliEnv, args []string) error {
	var addr string
	fs := newFlagSet("mock", "ratelab mock [flags]", mockAbout)
	fs.StringVar(&addr, "addr", mockserver.DefaultAddr, "address to listen on; port 0 picks a free one")
	seed := fs.Int64("seed", DefaultSeed, "seed for injected faults, latency jitter and response ids")
	fs.value("addr", "HOST:PORT")
	mf := addMockFlags(fs)
	ff := addMockFleetFlags(fs)
	fs.example("Anthropic's Tier 1 limits: 50 requests, 30,000 input and 8,000 output tokens a minute",
		"ratelab mock")
	fs.example("OpenAI's Tier 1 rules, with 100 requests a day per key",
		"ratelab mock --preset openai --rpd 100")
	fs.example("600 requests a minute as a fixed window of 5 s (50 per window), OpenAI headers everywhere",
		"ratelab mock --addr 127.0.0.1:9090 --rpm 600 --algorithm fixed-window --window 5s --dialect openai")
	fs.example("a bucket of 1 refilling at 60 a minute, with 1% of requests answered 529 overloaded",
		"ratelab mock --rpm 60 --burst 1 --overload-rate 0.01")
	fs.example("a sliding window counter that rounds the previous window's count half up, resets truncated to whole seconds",
		"ratelab mock --rpm 120 --algorithm sliding-window --window 10s --counter-rounding round-half-up --reset-rounding truncate")
	fs.example("two replicas sharing one budget per key in Redis, with Prometheus metrics at /metrics",
		"ratelab mock --addr :8080 --store redis://127.0.0.1:6379/0 --metrics & ratelab mock --addr :8081 --store redis://127.0.0.1:6379/0 --metrics")
	fs.example("then point a client at it",
		"curl -si localhost:8080/v1/messages -H 'x-api-key: k' -H 'content-type: application/json' -d '{\"model\":\"m\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'")
	fs.group("Server", "addr", "seed")
	groupMock(fs, "Limits", "Responses")
	fs.note("Rates are per minute. A window algorithm admits rate × window per window; a bucket holds --burst " +
		"(default one window's quota) and refills continuously at the rate. Flags override --config; " +
		"scenarios/README.md documents the configuration file's fields.")
	if err := parseFlagsNoArgs(env, fs, args); err != nil {
		return err
	}
	cfg, err := mf.config()
	if err != nil {
		return err
	}
	m, err := mockserver.New(cfg, *seed)
	if err != nil {
		return usageErrorf("mock: %v", err)
	}
	release, err := ff.apply(ctx, env, m)
	if err != nil {
		return err
	}
	defer release()
	ballast := heapBallast(env)
	defer runtime.KeepAlive(ballast)
	srv, err := m.Start(ctx, addr)
	if err != nil {
		return fmt.Errorf("mock: listen on %s: %w", addr, err)
	}
	lines, _ := cfg.Describe()
	fmt.Fprintf(env.stdout, "ratelab mock listening on %s\n", srv.URL())
	if cfg.Preset != "" {
		fmt.Fprintf(env.stdout, "preset %s: limits per API key and model class; the fallback class's:\n", cfg.Preset)
	} else {
		fmt.Fprintf(env.stdout, "limits per API key:\n")
	}
	for _, l := range lines {
		fmt.Fprintf(env.stdout, "  %s\n", l)
	}
	if ff.metrics {
		fmt.Fprintf(env.stdout, "Prometheus metrics at %s/metrics\n", srv.URL())
	}
	if ff.store != "" {
		fmt.Fprintf(env.stdout, "limiter state in Redis at %s: replicas on it share each key's budget\n", redactURL(ff.store))
	}
	endpoints := "/v1/messages, /v1/messages/count_tokens, /v1/chat/completions"
	if tier, err := presets.Lookup(cfg.Preset); cfg.Preset != "" && err == nil {
		endpoints = strings.Join(tier.Preset().API.Endpoints, ", ")
	}
	fmt.Fprintf(env.stdout, "headers: %s; output accounting: %s; endpoints: %s, /_ratelab/stats, /healthz\n",
		dialectSummary(cfg), accountingName(cfg), endpoints)
	if g := generationSummary(cfg); g != "" {
		fmt.Fprintf(env.stdout, "%s\n", g)
	}
	if err := srv.Wait(); err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	fmt.Fprintln(env.stdout, "ratelab mock stopped")
	return nil
}

func dialectSummary(cfg account.Config) string {
	s := "anthropic on /v1/messages, openai on /v1/chat/completions, ietf elsewhere"
	if cfg.Dialect != "" {
		s = cfg.Dialect + " on every endpoint"
	}
	if cfg.ResetRounding != "" {
		s += ", resets " + string(cfg.ResetRounding)
	}
	if cfg.RemainingRounding != "" {
		s += ", token remaining " + string(cfg.RemainingRounding)
	}
	return s
}

func accountingName(cfg account.Config) string {
	if cfg.OutputAccounting == "" {
		return string(account.AccountActual)
	}
	return string(cfg.OutputAccounting)
}

// heapBallast returns the ballast a long-running server (mock, proxy) holds when the environment
// sets neither GOGC nor GOMEMLIMIT (nil when it does); keep it alive while serving.
//
// Every response carries a dozen header fields, and net/http allocates per field (the
// header map grows, then is cloned at WriteHeader): about 4 KB per request. At the
// default GOGC=100 the collector runs whenever the garbage matches the live heap,
// which for an idle mock's few MB means hundreds of cycles a second and a fifth of
// the CPU. A ballast (never written, so never resident) raises the heap the collector
// paces against by mockHeapFloor: the allowance between cycles becomes live + 64 MB,
// as GOGC=1600 gives a small heap, while a large live heap (5,000 connections, many
// accounts) keeps GOGC=100's proportion and its memory stays flat
// (bench/mock/README.md, bench/soak).
func heapBallast(env *cliEnv) []byte {
	if env.getenv("GOGC") != "" || env.getenv("GOMEMLIMIT") != "" {
		return nil
	}
	return make([]byte, mockHeapFloor)
}
