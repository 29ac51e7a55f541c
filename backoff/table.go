package backoff

import (
	"strconv"
	"time"
)

// Defaults shared by the generic backoffs (exponential, the jitters, retry-after and the pacing
// and throttling strategies' retries). Half a second is the SDKs' first backoff; 30 s is half a
// per-minute window. A request is bounded by time, not by a count of attempts (0 = no bound),
// with cenkalti/backoff's 15-minute max elapsed time: a comparison of generic backoffs then
// measures how much work and time each needs to finish the same requests, instead of how many
// requests each abandons in a retry storm. Strategies that emulate a client with a fixed retry
// count (the SDKs, additive-jitter, retry-budget) keep their own counts.
const (
	DefaultBase        = 500 * time.Millisecond
	DefaultCap         = 30 * time.Second
	DefaultMaxAttempts = 0
	DefaultMaxElapsed  = 15 * time.Minute
)

// nano is the smallest positive duration, as a Param.Min.
const nano = 1.0

func pBase(def string) Param {
	return Param{Name: "base", Kind: KindDuration, Default: def, Min: nano,
		Doc: "backoff before the first retry (n = 0)"}
}

func pCap(def string) Param {
	return Param{Name: "cap", Kind: KindDuration, Default: def, Min: nano, Doc: "longest backoff"}
}

func pAttempts(def string) Param {
	return Param{Name: "max-attempts", Kind: KindInt, Default: def, Min: 0, Max: 1000,
		Doc: "attempts per request, the first included; 0 = no bound"}
}

func pTerminal() Param {
	return Param{Name: "retry-terminal", Kind: KindInt, Default: "0", Min: 0, Max: 1,
		Doc: "1 = retry a terminal refusal (daily quota, spend cap, wait > max-elapsed) as any 429"}
}

func pElapsed() Param {
	return Param{Name: "max-elapsed", Kind: KindDuration, Default: DefaultMaxElapsed.String(),
		Doc: "give up when a retry would be due later than this after the request was scheduled; 0 = none"}
}

func pPoll() Param {
	return Param{Name: "poll", Kind: KindDuration, Default: "50ms", Min: float64(time.Millisecond),
		Doc: "re-check interval while an attempt is held and no estimate says when it may go"}
}

func pSDKAttempts(def string) Param {
	return Param{Name: "max-attempts", Kind: KindInt, Default: def, Min: 1, Max: 1000, Doc: "MaxRetries + 1"}
}

// generic is the parameter list of the AWS-formula backoffs.
func generic() []Param {
	return []Param{pBase("500ms"), pCap("30s"), pAttempts(strconv.Itoa(DefaultMaxAttempts)), pElapsed(), pTerminal()}
}

// capped is the table entry of a strategy with the generic parameters whose waits grow from base
// up to cap (exponential and the AWS jitters).
func capped(name, summary string, mk func(seed int64, l limits, base, limit time.Duration) Fleet) Definition {
	return Definition{
		Name: name, Summary: summary, Params: generic(),
		build: func(seed int64, v values) Fleet {
			return mk(seed, v.limits(), v.dur("base"), v.dur("cap"))
		},
	}
}

// definitions is the strategy table. It is never modified; Definitions hands out copies.
var definitions = []Definition{
	{
		Name: "none", Summary: "no retries: one attempt per request",
		build: func(seed int64, _ values) Fleet { return newNone(seed) },
	},
	{
		Name: "constant", Summary: "fixed pause before every retry",
		Params: []Param{
			{Name: "pause", Kind: KindDuration, Default: "1s", Doc: "wait before each retry"},
			pAttempts(strconv.Itoa(DefaultMaxAttempts)), pElapsed(), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newConstant(seed, v.limits(), v.dur("pause"))
		},
	},
	{
		Name: "additive-jitter", Summary: "tutorial pattern: min(cap, base·2^n + U(0, jitter)), 5 tries",
		Params: []Param{
			pBase("1s"),
			{Name: "jitter", Kind: KindDuration, Default: "1s", Doc: "width of the uniform term added to each wait"},
			pCap("64s"), pAttempts("5"), pElapsed(), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newAdditiveJitter(seed, v.limits(), v.dur("base"), v.dur("jitter"), v.dur("cap"))
		},
	},
	capped("exponential", "AWS exponential, no jitter: min(cap, base·2^n)", newExponential),
	capped("full-jitter", "AWS full jitter: U(0, min(cap, base·2^n))", newFullJitter),
	capped("equal-jitter", "AWS equal jitter: t/2 + U(0, t/2), t = min(cap, base·2^n)", newEqualJitter),
	capped("decorrelated-jitter", "AWS decorrelated jitter: min(cap, U(base, 3·previous sleep))", newDecorrelated),
	{
		Name: "anthropic-sdk", Summary: "anthropic-sdk-go v1 defaults: 2 retries, 0.5s·2^n ≤ 8s −U·¼, any retry-after",
		Params: []Param{
			pSDKAttempts("3"), pBase("500ms"), pCap("8s"), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newAnthropicSDK(seed, v.limits(), v.dur("base"), v.dur("cap"))
		},
	},
	{
		Name: "openai-sdk", Summary: "OpenAI SDK defaults: as anthropic-sdk; retry-after over 120s gives up",
		Params: []Param{
			pSDKAttempts("3"), pBase("500ms"), pCap("8s"),
			{Name: "max-retry-after", Kind: KindDuration, Default: "2m", Min: nano,
				Doc: "honour 0 < retry-after ≤ this; a longer one ends the request"},
			pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newOpenAISDK(seed, v.limits(), v.dur("base"), v.dur("cap"), v.dur("max-retry-after"))
		},
	},
	{
		Name: "openai-go-sdk", Summary: "openai-go v3 defaults: 2 retries, 0.5s·2^n −U·¼, retry-after clamped to 8s",
		Params: []Param{
			pSDKAttempts("3"), pBase("500ms"),
			{Name: "max-retry-delay", Kind: KindDuration, Default: "8s", Min: nano,
				Doc: "WithMaxRetryDelay: caps the backoff and clamps any retry-after to it"},
			pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newOpenAIGoSDK(seed, v.limits(), v.dur("base"), v.dur("max-retry-delay"))
		},
	},
	{
		Name: "gemini-sdk", Summary: "go-genai with RetryOptions: 5 tries, min(1s·2^n + U(0,1s), 60s), no hints",
		Params: []Param{
			pSDKAttempts("5"), pBase("1s"),
			{Name: "jitter", Kind: KindDuration, Default: "1s", Doc: "width of the uniform term added to each wait"},
			pCap("60s"), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newGeminiSDK(seed, v.limits(), v.dur("base"), v.dur("jitter"), v.dur("cap"))
		},
	},
	{
		Name: "aws-sdk", Summary: "aws-sdk-go-v2 standard: 3 tries, U(0,1)·2^n s ≤ 20s, 500-token retry quota",
		Params: []Param{
			pSDKAttempts("3"), pCap("20s"),
			{Name: "quota", Kind: KindInt, Default: "500", Min: 0, Doc: "retry quota tokens per client; 0 = unlimited"},
			{Name: "cost", Kind: KindInt, Default: "5", Min: 1, Doc: "quota tokens a retry costs (twice for a timeout)"},
			pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newAWSSDK(seed, v.limits(), v.dur("cap"), v.int("quota"), v.int("cost"))
		},
	},
	{
		Name: "retry-after", Summary: "wait the server's hint (headers, else body) ×(1+U(0,jitter)); else full jitter",
		Params: append(generic(), Param{Name: "jitter", Kind: KindFloat, Default: "0", Min: 0, Max: 10,
			Doc: "spread each wait over hint·[1, 1+jitter); 0 = clients retry in lock-step"}),
		build: func(seed int64, v values) Fleet {
			return newRetryAfter(seed, v.limits(), v.dur("base"), v.dur("cap"), v.float("jitter"))
		},
	},
	{
		Name: "header-pacing", Summary: "fleet paces on remaining/reset headers; 429 retry-after pauses all",
		Params: []Param{
			{Name: "window", Kind: KindDuration, Default: "0s",
				Doc: "limit refills per window; 0 = IETF w=, 1m for anthropic/openai, else spread over reset"},
			{Name: "probe", Kind: KindInt, Default: "1", Min: 1, Doc: "attempts in flight before the first headers arrive"},
			pPoll(),
			{Name: "input-tokens", Kind: KindInt, Default: "0", Doc: "input tokens per request to pace on; 0 = don't"},
			{Name: "output-tokens", Kind: KindInt, Default: "0", Doc: "output tokens per request to pace on; 0 = don't"},
			pBase("500ms"), pCap("30s"), pAttempts(strconv.Itoa(DefaultMaxAttempts)), pElapsed(), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newHeaderPacing(seed, v.limits(), v.dur("window"), v.int("probe"), v.dur("poll"),
				v.int("input-tokens"), v.int("output-tokens"), v.dur("base"), v.dur("cap"))
		},
	},
	{
		Name: "client-limiter", Summary: "fleet-shared token bucket at rpm (local x/time/rate, or in Redis with store=), then retry-after",
		Params: []Param{
			{Name: "rpm", Kind: KindFloat, Default: "50", Min: 1e-6, Doc: "requests per minute the fleet may send"},
			{Name: "burst", Kind: KindInt, Default: "1", Min: 1, Doc: "bucket capacity"},
			{Name: "store", Kind: KindString, Default: "", Doc: "redis://HOST:PORT/DB: the bucket lives in Redis, shared with every process naming the same key"},
			{Name: "key", Kind: KindString, Default: "fleet", Doc: "the shared bucket's name in the store"},
			{Name: "rtt", Kind: KindDuration, Default: "1ms", Min: 0, Doc: "store round trip the simulator models (live runs pay the real one)"},
			pBase("500ms"), pCap("30s"), pAttempts(strconv.Itoa(DefaultMaxAttempts)), pElapsed(), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			if v.str("store") != "" {
				return newSharedLimiter(seed, v, nil)
			}
			return newClientLimiter(seed, v.limits(), v.float("rpm"), v.int("burst"), v.dur("base"), v.dur("cap"))
		},
	},
	{
		Name: "sre-adaptive", Summary: "Google SRE throttling: reject p = (req − K·acc)/(req+1) locally",
		Params: []Param{
			{Name: "k", Kind: KindFloat, Default: "2", Min: 1e-9, Doc: "accepts multiplier K (lower rejects more)"},
			{Name: "window", Kind: KindDuration, Default: "2m", Min: float64(windowBuckets), Doc: "counting window"},
			pBase("500ms"), pCap("30s"), pAttempts(strconv.Itoa(DefaultMaxAttempts)), pElapsed(), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newSREAdaptive(seed, v.limits(), v.float("k"), v.dur("window"), v.dur("base"), v.dur("cap"))
		},
	},
	{
		Name: "retry-budget", Summary: "SRE retry budget: ≤ 3 attempts, retries < 10% of requests per client",
		Params: []Param{
			pAttempts("3"),
			{Name: "ratio", Kind: KindFloat, Default: "0.1", Min: 0, Doc: "retries allowed per request"},
			pBase("500ms"), pCap("30s"), pElapsed(), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newRetryBudget(seed, v.limits(), v.float("ratio"), v.dur("base"), v.dur("cap"))
		},
	},
	{
		Name: "aimd", Summary: "fleet concurrency limit: +1 when full and ok, ×0.9 on 429/503/529",
		Params: []Param{
			{Name: "initial", Kind: KindInt, Default: "10", Min: 1, Doc: "starting concurrency limit"},
			{Name: "max-limit", Kind: KindInt, Default: "1000", Min: 1, Doc: "largest concurrency limit"},
			{Name: "ratio", Kind: KindFloat, Default: "0.9", Min: 1e-9, Max: 1, Doc: "multiplicative decrease"},
			{Name: "poll", Kind: KindDuration, Default: "50ms", Min: float64(time.Millisecond),
				Doc: "shortest re-check while held at the limit (longer when queued deep: see the doc)"},
			pBase("500ms"), pCap("30s"), pAttempts(strconv.Itoa(DefaultMaxAttempts)), pElapsed(), pTerminal(),
		},
		build: func(seed int64, v values) Fleet {
			return newAIMD(seed, v.limits(), v.int("initial"), v.int("max-limit"), v.float("ratio"),
				v.dur("poll"), v.dur("base"), v.dur("cap"))
		},
	},
}
