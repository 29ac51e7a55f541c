package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

const rateHelp = "want hits per time unit such as 20/s, 1200/m, 5/500ms, or a bare number per second"

// TestLoadDecodeErrors covers every kind of decoding problem with its exact message and position.
func TestLoadDecodeErrors(t *testing.T) {
	tests := []problemCase{
		{"the quickstart check's bad file", "phases:\n  - probe:\n      stagez: 1\n", []string{
			`bad.yaml:1:1: target: missing: give target.url (a real API) or mock: (the embedded mock server)`,
			`bad.yaml:3:7: phases[0].probe: unknown field "stagez"; did you mean "stages"?`,
		}},
		{"unknown field, no close name", "mock:\nzzz: 1\n", []string{
			`bad.yaml:2:1: unknown field "zzz"; valid: name, description, target, mock, workload, phases, budget, seed, output, expect`,
		}},
		{"unknown nested field with suggestion", "mock:\nworkload: {max_token: 5}\n", []string{
			`bad.yaml:2:12: workload: unknown field "max_token"; did you mean "max_tokens"?`,
		}},
		{"yes is a flag only", "mock:\nyes: true\n", []string{
			`bad.yaml:2:1: unknown field "yes": only the --yes flag skips the confirmation; a file cannot`,
		}},
		{"a key is never a field", "mock:\napi_key: x\n", []string{
			`bad.yaml:2:1: unknown field "api_key": never put a key in a scenario; set target.key_env to the name of the environment variable that holds it`,
		}},
		{"duplicate field", "mock:\nseed: 1\nseed: 2\n", []string{
			`bad.yaml:3:1: field "seed" given twice (first at line 2)`,
		}},
		{"duplicate map key", "target: {url: 'http://x.test', headers: {A: b, A: c}}\n", []string{
			`bad.yaml:1:48: target.headers: key "A" given twice (first at line 1)`,
		}},
		{"not a whole number", "mock:\nseed: abc\n", []string{
			`bad.yaml:2:7: seed: must be a whole number, got "abc"`,
		}},
		{"a float where a whole number goes", "mock:\nworkload: {max_tokens: 1.5}\n", []string{
			`bad.yaml:2:24: workload.max_tokens: must be a whole number, got "1.5"`,
		}},
		{"not a number", "mock:\nworkload: {prompt_tokens_spread: wide}\n", []string{
			`bad.yaml:2:34: workload.prompt_tokens_spread: must be a number, got "wide"`,
		}},
		{"not a bool", "mock:\noutput: {quiet: maybe}\n", []string{
			`bad.yaml:2:17: output.quiet: must be true or false, got "maybe"`,
		}},
		{"duration without unit", "mock:\nworkload: {timeout: 30}\n", []string{
			`bad.yaml:2:21: workload.timeout: must be a duration with a unit, such as 30s`,
		}},
		{"bad duration", "mock:\nbudget: {max_duration: soon}\n", []string{
			`bad.yaml:2:24: budget.max_duration: must be a duration such as 30s, 1m30s or 250ms, got "soon"`,
		}},
		{"mapping where a string goes", "mock:\nname: {a: 1}\n", []string{
			`bad.yaml:2:7: name: must be a string, got a mapping`,
		}},
		{"list where a mapping goes", "target: [1]\n", []string{
			`bad.yaml:1:9: target: must be a mapping of fields (key: value), got a list`,
		}},
		{"mapping where a list goes", "mock:\nphases: {probe: {}}\n", []string{
			`bad.yaml:2:9: phases: must be a list, got a mapping`,
		}},
		{"mock must be a mapping", "mock: 5\n", []string{
			`bad.yaml:1:7: mock: must be a mapping of mock settings (or empty for the defaults), got "5"`,
		}},
		{"long values are shortened", "mock:\nseed: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", []string{
			`bad.yaml:2:7: seed: must be a whole number, got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."`,
		}},
		{"YAML syntax error", "mock:\nphases: [1\n", []string{
			`bad.yaml:1: invalid YAML: did not find expected ',' or ']'`,
		}},
		{"empty file", "\n", []string{
			`bad.yaml: the file is empty; a scenario needs at least target: or mock:`,
		}},
		{"two documents", "mock:\n---\nmock:\n", []string{
			`bad.yaml:2:1: a scenario file holds one YAML document; this is a second one (remove the ---)`,
		}},
		{"top level is not a mapping", "- mock\n", []string{
			`bad.yaml:1:1: must be a mapping of fields (key: value), got a list`,
		}},
		{"alias that refers to itself", "mock:\nphases: &p [*p]\n", []string{
			`bad.yaml:2:9: phases[0]: must be a mapping of fields (key: value), got a list`,
		}},
		{"bad strategy list shape", "mock:\nphases:\n  - compare: {strategies: {a: 1}}\n", []string{
			`bad.yaml:3:27: phases[0].compare.strategies: must be a list of strategies (names or {name, params}) or all, got a mapping`,
		}},
		{"nested strategy parameter", "mock:\nphases:\n  - compare: {strategies: [{name: none, params: {cap: [1]}}]}\n", []string{
			`bad.yaml:3:55: phases[0].compare.strategies[0].params.cap: must be a number, duration, string or true/false, got a list`,
		}},
		{"bad clients", "mock:\nphases:\n  - compare: {strategies: [none], clients: x}\n  - compare: {strategies: [none], clients: [1, a]}\n", []string{
			`bad.yaml:3:44: phases[0].compare.clients: must be a number of clients or a list of them for a sweep, e.g. 50 or [10, 50, 100], got "x"`,
			`bad.yaml:4:48: phases[1].compare.clients[1]: must be a whole number of clients, got "a"`,
		}},
		{"bad stages string", "mock:\nphases:\n  - probe: {stages: \"10s-5/s\"}\n  - probe: {stages: \"soon:5/s\"}\n", []string{
			`bad.yaml:3:21: phases[0].probe.stages: stage 1 "10s-5/s": want DURATION:RATE, e.g. 30s:5/s`,
			`bad.yaml:4:21: phases[1].probe.stages: stage 1 "soon:5/s": bad duration "soon": want e.g. 30s:5/s`,
		}},
		{"bad threshold quantity", "mock:\nexpect: {dropped: {below: lots}}\n", []string{
			`bad.yaml:2:27: expect.dropped.below: bad value "lots": want a number (50), a percentage (5%) or a duration (30s)`,
		}},
		{"bad short condition", "mock:\nexpect: {dropped: \"> 0 and more\"}\n", []string{
			`bad.yaml:2:19: expect.dropped: bad condition "> 0 and more": bad value "0 and more": want a number (50), a percentage (5%) or a duration (30s)`,
		}},
		{"unknown threshold dimension", "mock:\nexpect:\n  limits:\n    request: {burst: 5}\n", []string{
			`bad.yaml:4:5: expect.limits: unknown field "request"; did you mean "requests"?`,
		}},
		{"problems in several sections at once", "mock:\nseed: x\nworkload: {timeout: 5}\noutput: {quiet: 2}\n", []string{
			`bad.yaml:2:7: seed: must be a whole number, got "x"`,
			`bad.yaml:3:21: workload.timeout: must be a duration with a unit, such as 5s`,
			`bad.yaml:4:17: output.quiet: must be true or false, got "2"`,
		}},
	}
	checkProblems(t, tests)
}

// TestLoadValidationErrors covers every semantic check with its exact message and position.
func TestLoadValidationErrors(t *testing.T) {
	tests := []problemCase{
		{"url and mock together", "mock:\ntarget: {url: \"https://api.anthropic.com\", model: m}\n", []string{
			`bad.yaml:2:15: target.url: the embedded mock (mock:) is the target: give target.url only as a path on it, such as /v1beta/models/gemini-2.5-flash:generateContent, or remove mock: to send requests to the URL`,
		}},
		{"bad url and unknown api", "target: {url: \"ftp://x\", api: antropic}\n", []string{
			`bad.yaml:1:15: target.url: must be an http:// or https:// URL such as https://api.anthropic.com, got "ftp://x"`,
			`bad.yaml:1:31: target.api: unknown api "antropic"; did you mean "anthropic"?`,
		}},
		{"model required for a real provider", "target: {url: \"https://api.openai.com/v1\"}\n", []string{
			`bad.yaml:1:9: target.model: is required for api openai, e.g. model: gpt-4o-mini`,
		}},
		{"key in key_env is not echoed", "target: {url: \"https://x.test\", key_env: sk-FAKE-abcdefghijklmnop}\n", []string{
			`bad.yaml:1:42: target.key_env: looks like an API key: key_env takes the NAME of the environment variable that holds the key (e.g. ANTHROPIC_API_KEY), never the key itself`,
		}},
		{"bad env name", "target: {url: \"https://x.test\", key_env: 1BAD}\n", []string{
			`bad.yaml:1:42: target.key_env: must be the name of an environment variable (letters, digits and _, not starting with a digit); the value given is not shown, in case it is a key`,
		}},
		{"headers", "target:\n  url: https://x.test\n  headers:\n    Authorization: Bearer abc\n    X Bad: v\n    X-Ok: \"two\\nlines\"\n    X-Token: abcdefghijklmnopqrstuvwxyz0123456789\n", []string{
			`bad.yaml:4:20: target.headers.Authorization: carries a credential; scenario files are shared and recorded, so put the key in an environment variable and set target.key_env to its name`,
			`bad.yaml:5:12: target.headers["X Bad"]: is not a valid HTTP header name (letters, digits and -)`,
			`bad.yaml:6:11: target.headers.X-Ok: must be on one line`,
			`bad.yaml:7:14: target.headers.X-Token: carries a credential; scenario files are shared and recorded, so put the key in an environment variable and set target.key_env to its name`,
		}},
		{"body and method for a provider API", "target: {url: \"https://api.anthropic.com\", model: m, body: \"{}\", method: GET}\n", []string{
			`bad.yaml:1:60: target.body: is only for api http; anthropic and openai request bodies are built from workload`,
			`bad.yaml:1:74: target.method: api anthropic always sends POST; remove method or use api http`,
		}},
		{"method in lower case", "target: {url: \"https://x.test\", method: get}\n", []string{
			`bad.yaml:1:41: target.method: must be an HTTP method in capitals such as GET or POST, got "get"`,
		}},
		{"bad name", "mock:\nname: \"bad name\"\n", []string{
			`bad.yaml:2:7: name: must be letters, digits, '.', '_' or '-' (it names the output directory), got "bad name"`,
		}},
		{"workload and budget ranges", "mock:\nworkload: {prompt_tokens: 0, max_tokens: -1, prompt_tokens_spread: 1.5, timeout: 0s}\nbudget: {max_requests: -1, budget_tokens: -5, max_duration: -1s}\n", []string{
			`bad.yaml:2:27: workload.prompt_tokens: must be at least 1`,
			`bad.yaml:2:42: workload.max_tokens: must be at least 1`,
			`bad.yaml:2:68: workload.prompt_tokens_spread: must be from 0 up to (not including) 1: a relative spread, 0.2 means ±20%`,
			`bad.yaml:2:82: workload.timeout: must be a duration above 0, such as 30s`,
			`bad.yaml:3:24: budget.max_requests: must not be negative (0 means no limit)`,
			`bad.yaml:3:43: budget.budget_tokens: must not be negative (0 means no limit)`,
			`bad.yaml:3:61: budget.max_duration: must not be negative (0 means no limit)`,
		}},
		{"prompt cache", "mock:\nworkload: {cache_hit_ratio: 1.2}\n", []string{
			`bad.yaml:2:29: workload.cache_hit_ratio: must be a fraction from 0 to 1, e.g. 0.8 for 80% of requests reading the cache`,
		}},
		{"prompt cache ratio without a prefix", "mock:\nworkload: {cache_hit_ratio: 0.8}\n", []string{
			`bad.yaml:2:29: workload.cache_hit_ratio: needs workload.cache_prefix_tokens: the prefix the requests share`,
		}},
		{"probe shapes", "mock:\nphases:\n" +
			"  - probe: {rate: 5/s, stages: \"10s:5/s\"}\n" +
			"  - probe: {rate: 5/s}\n" +
			"  - probe: {find: true, duration: 10s}\n" +
			"  - probe: {start_rate: 1/s}\n" +
			"  - probe: {rate: fast, duration: 10s}\n" +
			"  - probe: {find: false}\n" +
			"  - probe: {stages: [{duration: 0s, target: 5/s}, {duration: 5s, target: x}]}\n" +
			"  - probe: {rate: 0/s, duration: 0s, max_inflight: 0}\n" +
			"  - probe: {stages: \"10s:5/s\", start_rate: slow}\n", []string{
			`bad.yaml:3:12: phases[0].probe: give one of rate (with duration), stages, or find: true; this phase has rate and stages`,
			`bad.yaml:4:12: phases[1].probe.duration: is required with rate, e.g. duration: 30s`,
			`bad.yaml:5:35: phases[2].probe.duration: goes with rate; stages set their own durations, and find stops by itself (bound it with budget.max_duration)`,
			`bad.yaml:6:25: phases[3].probe.start_rate: goes with stages (the rate the first stage ramps from)`,
			`bad.yaml:7:19: phases[4].probe.rate: invalid rate "fast": "fast" is not a number; ` + rateHelp,
			`bad.yaml:8:19: phases[5].probe.find: is false and the phase has no rate or stages: give rate and duration, or stages, or find: true`,
			`bad.yaml:9:33: phases[6].probe.stages[0].duration: must be a duration above 0, such as 30s`,
			`bad.yaml:9:74: phases[6].probe.stages[1].target: invalid rate "x": "x" is not a number; ` + rateHelp,
			`bad.yaml:10:19: phases[7].probe.rate: must be more than 0, e.g. 5/s`,
			`bad.yaml:10:34: phases[7].probe.duration: must be a duration above 0, such as 30s`,
			`bad.yaml:10:52: phases[7].probe.max_inflight: must be at least 1`,
			`bad.yaml:11:44: phases[8].probe.start_rate: invalid rate "slow": "slow" is not a number; ` + rateHelp,
		}},
		{"phase items", "mock:\nphases:\n  - {}\n  - probe: {}\n    compare: {strategies: all}\n  - compare: {}\n", []string{
			`bad.yaml:3:5: phases[0]: a phase needs probe:, compare: or plan:, e.g. - probe: {find: true}`,
			`bad.yaml:4:5: phases[1]: a phase is either probe: or compare:, not both; make them two list items`,
			`bad.yaml:6:14: phases[2].compare.strategies: list the strategies to compare, e.g. [full-jitter, retry-after], or all`,
		}},
		{"strategy names and labels", "mock:\nphases:\n  - compare:\n      strategies: [full-jiter, none, none, {name: all, params: {a: 1}}, {name: none, label: \"bad label\"}, {params: {}}]\n      mode: simm\n", []string{
			`bad.yaml:4:20: phases[0].compare.strategies[0].name: unknown strategy "full-jiter"; did you mean "full-jitter"?`,
			`bad.yaml:4:38: phases[0].compare.strategies[2]: strategy none is listed twice; give this entry a label to run it as a variant (also used by strategies[1])`,
			`bad.yaml:4:44: phases[0].compare.strategies[3]: all takes no label or params; list a strategy on its own to set its parameters`,
			`bad.yaml:4:44: phases[0].compare.strategies[3]: all includes none, which is listed already; give that entry a label to run it as a variant (also used by strategies[1])`,
			`bad.yaml:4:93: phases[0].compare.strategies[4].label: must be letters, digits, '.', '_' or '-' (optionally with a parameter list such as (base=1s)) and not "all", got "bad label"`,
			`bad.yaml:4:107: phases[0].compare.strategies[5].name: is required: which strategy (see ratelab compare --list)`,
			`bad.yaml:5:13: phases[0].compare.mode: unknown mode "simm"; did you mean "sim"?`,
		}},
		{"strategy parameters checked against the backoff table", "mock:\nphases:\n  - compare:\n      strategies:\n        - none\n        - {name: full-jitter, params: {cap: 30s, attempts: 0}}\n        - name: exponential\n          params: {cap: 0, base: 0}\n        - {name: retry-after, params: {cap: soon}}\n", []string{
			`bad.yaml:6:60: phases[0].compare.strategies[1].params.attempts: unknown parameter "attempts" (did you mean "max-attempts"?); valid parameters: base, cap, max-attempts, max-elapsed, retry-terminal`,
			`bad.yaml:8:25: phases[0].compare.strategies[2].params.cap: 0 out of range: want cap ≥ 1ns`,
			`bad.yaml:8:34: phases[0].compare.strategies[2].params.base: 0 out of range: want base ≥ 1ns`,
			`bad.yaml:9:45: phases[0].compare.strategies[3].params.cap: "soon" is not a duration: want e.g. 500ms, 2s, 1m30s or a number of seconds`,
		}},
		{"simulation needs the mock", "target: {url: \"https://api.anthropic.com\", model: m}\nphases:\n  - compare: {strategies: [none], mode: sim}\n", []string{
			`bad.yaml:3:41: phases[0].compare.mode: mode sim needs mock: the simulator runs the mock's limiter model, and a real API cannot be simulated; use mode live`,
		}},
		{"open and closed workloads", "mock:\nphases:\n" +
			"  - compare: {strategies: [none], rate: 5/s, clients: 3, requests: 2, think: 1s}\n" +
			"  - compare: {strategies: [none], clients: [0, 5, 5, 200000], requests: 0, duration: 5s, think: -1s}\n" +
			"  - compare: {strategies: [none], clients: [], max_inflight: -1}\n", []string{
			`bad.yaml:3:14: phases[0].compare.duration: is required with rate (arrivals at the rate for this long), e.g. duration: 60s`,
			`bad.yaml:3:55: phases[0].compare.clients: describes a closed workload (clients making requests in turn), rate and duration an open one; give one or the other`,
			`bad.yaml:3:68: phases[0].compare.requests: describes a closed workload (clients making requests in turn), rate and duration an open one; give one or the other`,
			`bad.yaml:3:78: phases[0].compare.think: describes a closed workload (clients making requests in turn), rate and duration an open one; give one or the other`,
			`bad.yaml:4:45: phases[1].compare.clients[0]: must be at least 1 client`,
			`bad.yaml:4:51: phases[1].compare.clients[2]: 5 clients appears twice in the sweep`,
			`bad.yaml:4:54: phases[1].compare.clients[3]: must be at most 100000 clients`,
			`bad.yaml:4:73: phases[1].compare.requests: must be at least 1 request per client`,
			`bad.yaml:4:86: phases[1].compare.duration: goes with rate (open arrivals); a closed workload ends when every client has made its requests`,
			`bad.yaml:4:97: phases[1].compare.think: must not be negative`,
			`bad.yaml:5:44: phases[2].compare.clients: is empty; give a client count or a list of them`,
			`bad.yaml:5:62: phases[2].compare.max_inflight: must be at least 1`,
		}},
		{"mock section through the hook", "mock:\n  algorithm: token-bucket\n  limits: {requests: {per_minutee: 5, burst: x}}\n", []string{
			`bad.yaml:3:23: mock.limits.requests: unknown field "per_minutee"; did you mean "per_minute"?`,
			`bad.yaml:3:46: mock.limits.requests.burst: must be a whole number, got "x"`,
		}},
		{"mock value checked by the mock's validation", "mock:\n  limits:\n    requests:\n      per_minute: -5\n", []string{
			`bad.yaml:4:19: mock.limits.requests.per_minute: -5 is negative: want a rate per minute ≥ 0 (0 turns the dimension off)`,
		}},
		{"mock setting at its line", "mock:\n  algorithm: broken\n", []string{
			`bad.yaml:2:14: mock.algorithm: unknown algorithm "broken": want one of token-bucket, leaky-bucket, fixed-window, sliding-log, sliding-window, gcra`,
		}},
		{"mock window from the top-level default", "mock:\n  window: 1s\n", []string{
			`bad.yaml:2:11: mock.limits.requests.window: 50 per minute over a 1s window admits less than one unit per window: raise the rate or lengthen the window`,
		}},
		{"thresholds", "mock:\nexpect:\n" +
			"  limits:\n" +
			"    requests: {algorithm: gcra, burst: 5%, effective_per_minute: {within: 5%}}\n" +
			"    output_tokens: {algorithm: token-buckett, advertised_per_minute: {below: 10, above: 20}}\n" +
			"  binding: output\n" +
			"  rate_limited_share: {below: 30s}\n" +
			"  error_share: {}\n" +
			"  dropped: {within: -1, of: 5}\n" +
			"  strategies:\n" +
			"    none: {p95: \"< 30s\"}\n", []string{
			`bad.yaml:4:27: expect.limits.requests.algorithm: gcra cannot be told apart from token-bucket by its behaviour, and is reported as token-bucket; write token-bucket`,
			`bad.yaml:4:40: expect.limits.requests.burst: must be a plain number here, got 5%`,
			`bad.yaml:4:66: expect.limits.requests.effective_per_minute: within and of go together, e.g. {within: 5%, of: 50}`,
			`bad.yaml:5:32: expect.limits.output_tokens.algorithm: unknown algorithm class "token-buckett"; did you mean "token-bucket"?`,
			`bad.yaml:5:70: expect.limits.output_tokens.advertised_per_minute: can never hold: < 10 and > 20`,
			`bad.yaml:6:12: expect.binding: unknown dimension "output"; did you mean "output_tokens"?`,
			`bad.yaml:7:31: expect.rate_limited_share.below: must be a fraction (0.1) or a percentage (10%), got 30s`,
			`bad.yaml:8:16: expect.error_share: needs a condition such as {below: 30s}, {within: 5%, of: 50}, "< 0.1", ">= 40" or "within 5% of 50"`,
			`bad.yaml:9:21: expect.dropped.within: must not be negative`,
			`bad.yaml:11:11: expect.strategies.none: no compare phase: strategy thresholds need one`,
		}},
		{"strategy thresholds", "mock:\nphases:\n  - compare: {strategies: [none, full-jitter]}\nexpect:\n  strategies:\n    full-jiter: {p95: {below: 5%}}\n    none: {mode: sim}\n    all: {mode: foo, failed: 0}\n", []string{
			`bad.yaml:6:17: expect.strategies.full-jiter: unknown strategy label "full-jiter"; did you mean "full-jitter"?`,
			`bad.yaml:6:31: expect.strategies.full-jiter.p95.below: must be a duration (30s) or a number of seconds, got 5%`,
			`bad.yaml:7:11: expect.strategies.none: has no conditions, e.g. p95: "< 30s" or amplification: {below: 2}`,
			`bad.yaml:7:18: expect.strategies.none.mode: no compare phase runs in mode sim`,
			`bad.yaml:8:17: expect.strategies.all.mode: unknown mode "foo"; valid: live, sim`,
		}},
		{"equal bounds that exclude each other", "mock:\nexpect: {dropped: {below: 5, at_least: 5}}\n", []string{
			`bad.yaml:2:19: expect.dropped: can never hold: < 5 and >= 5`,
		}},
	}
	checkProblems(t, tests)
}

// problemCase is a scenario file and the problems loading it must report, exactly.
type problemCase struct {
	name string
	src  string
	want []string
}

// checkProblems loads each case's file and compares the problems it reports, none of which may
// echo a key.
func checkProblems(t *testing.T, tests []problemCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(t, tt.src)
			assert.Equal(t, tt.want, got)
			for _, line := range got {
				assert.NotContains(t, line, "sk-FAKE", "a key must never be echoed")
			}
		})
	}
}
