// Package scenario describes one ratelab run as a value: the target (a real API or the embedded
// mock), the workload, the phases (probe ramps or limit discovery, strategy comparisons), the
// budget, seed, output and pass/fail thresholds. Scenario files are YAML, decoded strictly: every
// unknown field, wrong type and invalid value is reported at once with its file, line, column and
// field path, and the command-line flags build the same Scenario, so one resolved, validated
// description drives every run.
package scenario

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/threshold"
	"go.yaml.in/yaml/v3"
)

// Scenario is one run of ratelab. The zero value of a field means "the default" (see SetDefaults).
// Its JSON form, with defaults filled in, is what run.json records as the resolved scenario; it
// never holds a secret, only the name of the environment variable a key comes from.
type Scenario struct {
	// Name identifies the scenario; the default output directory is out/<name>. Default: the
	// file's base name.
	Name string `yaml:"name" json:"name"`
	// Description says in a sentence what the scenario shows; its first line is what
	// `ratelab scenarios` lists.
	Description string `yaml:"description" json:"description,omitempty"`
	// Target is the API under test; with Mock, only its api, model and headers apply.
	Target Target `yaml:"target" json:"target"`
	// Mock, when present, runs the embedded mock server (or, in simulation, its model) as the
	// target. `mock: {}` (or an empty `mock:`) uses the mock's defaults.
	Mock *Mock `yaml:"mock" json:"mock,omitempty"`
	// Workload is what each request looks like.
	Workload Workload `yaml:"workload" json:"workload"`
	// Phases run in order. Default: one probe phase that finds the limits.
	Phases []Phase `yaml:"phases" json:"phases"`
	// Budget stops the whole run early.
	Budget Budget `yaml:"budget" json:"budget"`
	// Seed drives every random choice. Default DefaultSeed.
	Seed int64 `yaml:"seed" json:"seed"`
	// Output says where results go.
	Output Output `yaml:"output" json:"output"`
	// Expect holds pass/fail thresholds; a failed one makes the run exit 3.
	Expect *threshold.Expect `yaml:"expect" json:"expect,omitempty"`

	// Yes skips the confirmation asked before more than 20 requests go to a non-loopback host.
	// Only the --yes flag sets it: a shared file cannot waive the question.
	Yes bool `yaml:"-" json:"-"`

	src *source // where the fields came from; nil for a scenario built from flags
}

// extensible lets a scenario hold "x-" keys at the top level, for anchors to reuse.
func (s *Scenario) YAMLExtensible() {}

// fieldHint explains the keys that are deliberately not fields.
func (s *Scenario) FieldHint(key string) string {
	switch key {
	case "yes":
		return "only the --yes flag skips the confirmation; a file cannot"
	case "key", "api_key", "apikey":
		return "never put a key in a scenario; set target.key_env to the name of the environment variable that holds it"
	}
	return ""
}

// Target is where requests go.
type Target struct {
	// API is anthropic, openai or http. Default: inferred from the URL (see InferAPI); anthropic
	// for the mock.
	API string `yaml:"api" json:"api"`
	// URL is the API's base URL (https://api.anthropic.com) or, for http, the full URL. With
	// the embedded mock it may be a path on the mock (a preset's endpoint, such as
	// /v1beta/models/gemini-2.5-flash:generateContent); by default a preset's endpoint that
	// takes the API's body is used.
	URL string `yaml:"url" json:"url,omitempty"`
	// Model is the model requested (anthropic, openai).
	Model string `yaml:"model" json:"model,omitempty"`
	// KeyEnv is the NAME of the environment variable holding the API key, never the key.
	// Default ANTHROPIC_API_KEY or OPENAI_API_KEY by API; none for http.
	KeyEnv string `yaml:"key_env" json:"key_env,omitempty"`
	// Method is the HTTP method for api http (default GET, or POST with a body); anthropic and
	// openai always POST.
	Method string `yaml:"method" json:"method,omitempty"`
	// Headers are extra request headers. Credentials do not belong here (see KeyEnv).
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// PrivateHeaders are request headers given on the command line (`--header`), which may
	// carry credentials: they are sent with every request but never validated as Headers are
	// and never recorded (run.json holds the scenario's JSON, which leaves them out). A file
	// cannot set them.
	PrivateHeaders map[string]string `yaml:"-" json:"-"`
	// Body is the request body for api http.
	Body string `yaml:"body" json:"body,omitempty"`
}

// Workload describes each request.
type Workload struct {
	// PromptTokens is the size of the synthetic prompt in tokens. Default DefaultPromptTokens.
	PromptTokens int64 `yaml:"prompt_tokens" json:"prompt_tokens"`
	// PromptTokensSpread varies the prompt size uniformly by this fraction (0.2 = ±20%).
	PromptTokensSpread float64 `yaml:"prompt_tokens_spread" json:"prompt_tokens_spread,omitempty"`
	// MaxTokens is the request's max_tokens. Default DefaultMaxTokens.
	MaxTokens int64 `yaml:"max_tokens" json:"max_tokens"`
	// Timeout bounds each attempt. Default DefaultTimeout.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// Stream asks for streamed responses (anthropic, openai: "stream": true) and reads every
	// event: time to first token, stream time, mid-stream failures.
	Stream bool `yaml:"stream" json:"stream,omitempty"`
	// StreamIdleTimeout ends a streamed attempt as stalled when no byte arrives for this long.
	// Default DefaultStreamIdleTimeout.
	StreamIdleTimeout Duration `yaml:"stream_idle_timeout" json:"stream_idle_timeout,omitempty"`
	// CachePrefixTokens opens every request (api anthropic) with a system block of this many
	// tokens marked cache_control: a prompt-cache prefix. 0: none.
	CachePrefixTokens int64 `yaml:"cache_prefix_tokens" json:"cache_prefix_tokens,omitempty"`
	// CacheHitRatio is the share of requests that send the shared prefix; the others send one of
	// their own (a cache write each). Default 1 with a prefix.
	CacheHitRatio *float64 `yaml:"cache_hit_ratio" json:"cache_hit_ratio,omitempty"`
}

// CacheMiss is the share of requests whose cache prefix is their own: 1 − cache_hit_ratio.
func (w *Workload) CacheMiss() float64 {
	if w.CacheHitRatio == nil {
		return 0
	}
	return 1 - *w.CacheHitRatio
}

// Phase is one step of a run: exactly one of Probe or Compare.
type Phase struct {
	Probe   *ProbePhase   `yaml:"probe" json:"probe,omitempty"`
	Compare *ComparePhase `yaml:"compare" json:"compare,omitempty"`
	Plan    *PlanPhase    `yaml:"plan" json:"plan,omitempty"`
}

// Kind returns "probe", "compare" or "plan".
func (p Phase) Kind() string {
	if p.Compare != nil {
		return "compare"
	}
	if p.Plan != nil {
		return "plan"
	}
	return "probe"
}

// ProbePhase drives load at the target and records what it says about its limits. It has one
// of three shapes: a constant Rate for a Duration; k6-style Stages ramping from StartRate; or
// Find, adaptive discovery of the limits (the default when neither rate nor stages is given).
type ProbePhase struct {
	Rate      Rate     `yaml:"rate" json:"rate,omitempty"`
	Duration  Duration `yaml:"duration" json:"duration,omitempty"`
	Stages    Stages   `yaml:"stages" json:"stages,omitempty"`
	StartRate Rate     `yaml:"start_rate" json:"start_rate,omitempty"` // default DefaultStartRate
	Find      bool     `yaml:"find" json:"find,omitempty"`
	// FindRamp holds discovery to a gentle ramp (30 requests in the first minute, at most 1.5×
	// the previous minute's after), for servers that refuse sharp increases below their limits.
	FindRamp bool `yaml:"find_ramp,omitempty" json:"find_ramp,omitempty"`
	// FindCostCap stops discovery once it has spent this many times its goal budget (two
	// windows' worth of requests, three windows of time), with the wider interval it has; 0:
	// no cap.
	FindCostCap float64 `yaml:"find_cost_cap,omitempty" json:"find_cost_cap,omitempty"`
	// MaxInflight caps attempts in flight; when it binds, late starts are counted. Default
	// DefaultMaxInflight.
	MaxInflight int `yaml:"max_inflight" json:"max_inflight"`
	// Strategy is the retry strategy of each logical request of a rate or stages phase (the
	// --strategy flag of `ratelab probe`); nil sends one attempt per request. Discovery (find)
	// never retries: every attempt is evidence.
	Strategy *Strategy `yaml:"strategy" json:"strategy,omitempty"`
	// Mode is live (real HTTP, the default) or sim (virtual time against the mock's limiter
	// model: needs mock:, and takes seconds for what live takes minutes).
	Mode string `yaml:"mode" json:"mode,omitempty"`
}

// Shape returns "rate", "stages" or "find".
func (p *ProbePhase) Shape() string {
	switch {
	case p.Rate != "":
		return "rate"
	case len(p.Stages) > 0:
		return "stages"
	}
	return "find"
}

// ComparePhase runs the same workload under each strategy, in real time, in virtual time, or
// both. The workload is closed (Clients clients sharing one key, each making Requests logical
// requests in turn, pausing Think between them) unless Rate is set, which makes it open
// (arrivals at Rate for Duration).
type ComparePhase struct {
	Strategies Strategies `yaml:"strategies" json:"strategies"`
	// Clients is the number of clients, or several numbers for a sweep. Default DefaultClients.
	Clients Clients `yaml:"clients" json:"clients,omitempty"`
	// Requests is the number of logical requests per client. Default DefaultRequests.
	Requests int      `yaml:"requests" json:"requests,omitempty"`
	Think    Duration `yaml:"think" json:"think,omitempty"`
	Rate     Rate     `yaml:"rate" json:"rate,omitempty"`
	Duration Duration `yaml:"duration" json:"duration,omitempty"`
	// MaxInflight caps attempts in flight of a live segment. Default DefaultMaxInflight; a
	// closed workload's clients each hold one attempt, so it must be at least the largest
	// client count.
	MaxInflight int `yaml:"max_inflight" json:"max_inflight,omitempty"`
	// Mode is live, sim or both. Default DefaultMode.
	Mode string `yaml:"mode" json:"mode"`
	// Stream overrides workload.stream for this phase's requests (nil: the workload's), so one
	// scenario can compare streamed and non-streamed traffic.
	Stream *bool `yaml:"stream" json:"stream,omitempty"`
	// Rest is the pause between live segments against a real API, whose segments share one
	// budget. Zero: until the last rate-limit headers say the budget is replenished (a minute
	// without headers). The embedded mock gives every segment a fresh budget instead.
	Rest Duration `yaml:"rest" json:"rest,omitempty"`
}

// Open reports whether the workload is open (arrivals at a rate) rather than closed (clients).
func (c *ComparePhase) Open() bool { return c.Rate != "" }

// Strategy is one retry/backoff strategy with its parameters.
type Strategy struct {
	// Name is the strategy's name as `ratelab compare --list` prints it.
	Name string `yaml:"name" json:"name"`
	// Label tells two entries of the same strategy apart in results. Default: Name.
	Label string `yaml:"label" json:"label,omitempty"`
	// Params override the strategy's defaults, e.g. {base: 1s, cap: 30s, attempts: 6}.
	Params Params `yaml:"params" json:"params,omitempty"`
}

// Budget stops a run early; zero means no limit.
type Budget struct {
	MaxRequests  int64    `yaml:"max_requests" json:"max_requests,omitempty"`
	MaxDuration  Duration `yaml:"max_duration" json:"max_duration,omitempty"`
	BudgetTokens int64    `yaml:"budget_tokens" json:"budget_tokens,omitempty"` // input plus output tokens
}

// Output says where results go and how much is printed.
type Output struct {
	// Dir is the output directory. Default out/<name>.
	Dir   string `yaml:"dir" json:"dir"`
	Quiet bool   `yaml:"quiet" json:"quiet,omitempty"`
}

// Mock is the embedded mock server's configuration: the mock: section decoded over
// account.DefaultConfig with the same strict rules as the rest of the file, and validated by
// account.Config.Validate. The section as written is kept for run.json.
type Mock struct {
	Config account.Config
	node   *yaml.Node // the mock: section as written; nil for a scenario built from flags
}

// DecodeYAML decodes the mock: section (a mapping, or empty for the defaults).
func (m *Mock) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	m.Config = account.DefaultConfig()
	m.node = n
	d.Mark(path, n)
	switch {
	case strictyaml.IsNull(n):
	case n.Kind == yaml.MappingNode:
		d.Struct(n, reflect.ValueOf(&m.Config).Elem(), path)
	default:
		d.Fail(n, path, "must be a mapping of mock settings (or empty for the defaults), got %s", strictyaml.Describe(n))
	}
}

// MarshalJSON writes the section as written (with the file's field names), or the configuration
// when there is no section (a scenario built from flags).
func (m *Mock) MarshalJSON() ([]byte, error) {
	if m.node == nil {
		return json.Marshal(m.Config)
	}
	v := map[string]any{}
	if m.node.Kind == yaml.MappingNode {
		if err := m.node.Decode(&v); err != nil {
			return nil, fmt.Errorf("mock: %w", err)
		}
	}
	return json.Marshal(v)
}

// source records where a loaded scenario's values came from.
type source struct {
	file string
	pos  map[string]strictyaml.Position
	bad  map[string]bool
}

// given reports whether path was written in the file (with a non-null value).
func (s *Scenario) given(path string) bool {
	if s.src == nil {
		return false
	}
	_, ok := s.src.pos[path]
	return ok
}
