package account

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// Default limits, Anthropic's published Tier 1 figures for a Sonnet-class model, and the other
// defaults of a mock that names nothing.
const (
	DefaultRPM            = 50     // requests per minute
	DefaultITPM           = 30_000 // input tokens per minute
	DefaultOTPM           = 8_000  // output tokens per minute
	DefaultCountTokensRPM = 100    // count_tokens requests per minute (a separate limit)
	DefaultMaxAccounts    = 10_000 // API keys served before new keys are refused
	// DefaultChatMaxTokens is the max_tokens assumed for a chat completion that names none.
	DefaultChatMaxTokens = 16
	// MaxBodyBytes is the largest request body accepted (32 MB, as the Anthropic API); larger
	// bodies get 413 request_too_large.
	MaxBodyBytes = 32 << 20
)

// DefaultAlgorithm is the algorithm of a dimension that names none: Anthropic documents a token
// bucket.
const DefaultAlgorithm = limiter.TokenBucket

// OutputAccounting says when output tokens are charged against the output (and combined)
// token limits.
type OutputAccounting string

// The output accounting modes.
const (
	// AccountActual admits a request while the output budget is not in debt and charges the
	// reply's actual output tokens after the fact (Anthropic's documentation since 2026).
	AccountActual OutputAccounting = "actual"
	// AccountMaxTokens pre-charges the request's max_tokens at admission and never adjusts it
	// (as OpenAI counts, and as Anthropic documented until 2025).
	AccountMaxTokens OutputAccounting = "max_tokens"
)

// Limit configures one rate-limited dimension of every account.
//
// PerMinute is the sustained rate. A window algorithm (fixed-window, sliding-log,
// sliding-window) admits floor(PerMinute × Window / 1m) units per Window; a bucket algorithm
// (token-bucket, leaky-bucket, gcra) refills at PerMinute per minute and holds Burst units
// (default: one window's quota, floor(PerMinute × Window / 1m)). The limit header advertises
// PerMinute in the anthropic and openai dialects, whose limits are per minute, and the quota per
// window in the others (the IETF fields state the window beside it).
type Limit struct {
	// PerMinute is the rate in units per minute; 0 turns the dimension off.
	PerMinute int64 `yaml:"per_minute"`
	// Algorithm overrides Config.Algorithm for this dimension.
	Algorithm limiter.Algorithm `yaml:"algorithm"`
	// Window overrides Config.Window for this dimension.
	Window time.Duration `yaml:"window"`
	// Burst is the bucket capacity (token-bucket, gcra) or the queue size (leaky-bucket); nil
	// means one window's quota.
	Burst *int64 `yaml:"burst,omitempty"`
	// NoDelay serves queued leaky-bucket requests at once, as nginx limit_req nodelay.
	NoDelay bool `yaml:"nodelay"`
	// CounterRounding overrides Config.CounterRounding for this dimension (sliding-window only).
	CounterRounding limiter.CounterRounding `yaml:"counter_rounding,omitempty"`
	// WindowStart overrides Config.WindowStart for this dimension (fixed-window only).
	WindowStart limiter.WindowStart `yaml:"window_start,omitempty"`
	// Advertise, when set, is the limit the headers advertise while this one is enforced: a
	// shadow limiter charged in parallel supplies the limit, remaining and reset values
	// (e.g. advertise 60 per minute while enforcing 1 per second).
	Advertise *Limit `yaml:"advertise,omitempty"`
}

// Limits holds the per-dimension limits of every account.
type Limits struct {
	Requests     Limit `yaml:"requests"`
	Tokens       Limit `yaml:"tokens"` // input plus output, off by default
	InputTokens  Limit `yaml:"input_tokens"`
	OutputTokens Limit `yaml:"output_tokens"`
	// CountTokens limits POST /v1/messages/count_tokens requests, independently of the rest.
	CountTokens Limit `yaml:"count_tokens"`
}

// Config configures a Mock. The zero value is not useful; start from DefaultConfig.
type Config struct {
	// Algorithm is the algorithm of every dimension that names none.
	Algorithm limiter.Algorithm `yaml:"algorithm"`
	// Window is the window of every dimension that names none.
	Window time.Duration `yaml:"window"`
	// Limits are the per-dimension limits.
	Limits Limits `yaml:"limits"`
	// CounterRounding is how every sliding-window dimension counts the previous window's
	// weighted share: floor (default), round-half-up or fractional (see limiter.CounterRounding).
	CounterRounding limiter.CounterRounding `yaml:"counter_rounding,omitempty"`
	// WindowStart is where every fixed-window dimension's windows begin: clock (default:
	// aligned to the clock) or first-request (opened by the first request after the previous
	// window ended).
	WindowStart limiter.WindowStart `yaml:"window_start,omitempty"`
	// Dialect forces one rate-limit header dialect on every endpoint (anthropic, openai, ietf,
	// ietf-legacy, x-ratelimit, none). Empty: anthropic on /v1/messages, openai on
	// /v1/chat/completions, ietf elsewhere.
	Dialect string `yaml:"dialect"`
	// ResetRounding is how reset values are written: up or truncate (whole seconds) or
	// fractional (milliseconds); empty: as each dialect's provider writes them.
	ResetRounding ratelimit.ResetRounding `yaml:"reset_rounding,omitempty"`
	// RemainingRounding is how token remaining values are written: exact or thousands; empty:
	// as each dialect's provider writes them (Anthropic's to the nearest thousand).
	RemainingRounding ratelimit.RemainingRounding `yaml:"remaining_rounding,omitempty"`
	// Latency is the service time of an admitted request; LatencyJitter spreads it uniformly
	// over [Latency−LatencyJitter, Latency+LatencyJitter] (never below zero). Rejections and
	// injected faults answer at once.
	Latency       time.Duration `yaml:"latency"`
	LatencyJitter time.Duration `yaml:"latency_jitter"`
	// ErrorRate and OverloadRate are the probabilities that a request fails with 500 api_error
	// or 529 overloaded_error before it reaches the rate limiter (it consumes no quota).
	ErrorRate    float64 `yaml:"error_rate"`
	OverloadRate float64 `yaml:"overload_rate"`
	// CountRejected charges a rejected request against the requests limit, as OpenAI documents.
	CountRejected bool `yaml:"count_rejected"`
	// OutputAccounting is actual (default) or max_tokens.
	OutputAccounting OutputAccounting `yaml:"output_accounting"`
	// OutputTokens is the length of every reply in tokens, capped at the request's max_tokens;
	// 0 means max_tokens (the model talks until it is cut off).
	OutputTokens int64 `yaml:"output_tokens"`
	// RequireKey answers 401 authentication_error to a request without an API key.
	RequireKey bool `yaml:"require_key"`
	// MaxAccounts bounds memory: once that many API keys have accounts, a request with a new
	// key gets 403 permission_error (existing keys keep their budgets). 0 means no bound.
	MaxAccounts int `yaml:"max_accounts"`
	// TTFT is the time from the response headers to the first output token, spread uniformly
	// over ±TTFTJitter; OutputTPS is the decode rate in output tokens per second, spread over
	// ±OutputTPSJitter (see Generation). Zero: replies are instant. Streamed and non-streamed
	// replies take the same time.
	TTFT            time.Duration `yaml:"ttft,omitempty"`
	TTFTJitter      time.Duration `yaml:"ttft_jitter,omitempty"`
	OutputTPS       float64       `yaml:"output_tps,omitempty"`
	OutputTPSJitter float64       `yaml:"output_tps_jitter,omitempty"`
	// StreamErrorRate, StreamCloseRate and StreamStallRate are the probabilities that an
	// admitted streamed reply ends with an overloaded error event, is cut off, or stalls for
	// StreamStall (0: until the client goes away), after some of its output (see StreamFault).
	StreamErrorRate float64       `yaml:"stream_error_rate,omitempty"`
	StreamCloseRate float64       `yaml:"stream_close_rate,omitempty"`
	StreamStallRate float64       `yaml:"stream_stall_rate,omitempty"`
	StreamStall     time.Duration `yaml:"stream_stall,omitempty"`
}

// DefaultConfig returns the configuration of a mock that names nothing: 50 RPM, 30,000 ITPM,
// 8,000 OTPM, no combined TPM, 100 count_tokens RPM, token buckets over a 1-minute window.
func DefaultConfig() Config {
	return Config{
		Algorithm: DefaultAlgorithm,
		Window:    limiter.DefaultWindow,
		Limits: Limits{
			Requests:     Limit{PerMinute: DefaultRPM},
			InputTokens:  Limit{PerMinute: DefaultITPM},
			OutputTokens: Limit{PerMinute: DefaultOTPM},
			CountTokens:  Limit{PerMinute: DefaultCountTokensRPM},
		},
		OutputAccounting: AccountActual,
		MaxAccounts:      DefaultMaxAccounts,
	}
}

// FieldError is an invalid configuration value. Field is the YAML path of the value
// (e.g. "limits.requests.per_minute"), so a loader can point at its line and the CLI at its flag.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErrorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// mockDim indexes an account's limiters: the four ratelimit dimensions, then count_tokens.
type mockDim uint8

const (
	dimRequests    = mockDim(ratelimit.Requests)
	dimTokens      = mockDim(ratelimit.Tokens)
	dimInput       = mockDim(ratelimit.InputTokens)
	dimOutput      = mockDim(ratelimit.OutputTokens)
	dimCountTokens = mockDim(ratelimit.NumDimensions)
	numMockDims    = dimCountTokens + 1
)

var mockDimNames = [numMockDims]string{"requests", "tokens", "input_tokens", "output_tokens", "count_tokens"}

func (d mockDim) String() string { return mockDimNames[d] }

// limitOf returns the configured limit of dimension d.
func (l *Limits) limitOf(d mockDim) *Limit {
	switch d {
	case dimRequests:
		return &l.Requests
	case dimTokens:
		return &l.Tokens
	case dimInput:
		return &l.InputTokens
	case dimOutput:
		return &l.OutputTokens
	default:
		return &l.CountTokens
	}
}

// dimSpec is one dimension resolved: what to build and what to advertise.
type dimSpec struct {
	on        bool
	perMinute int64
	quota     int64 // units per window: the limit header
	window    time.Duration
	limiter   limiter.Config
	advertise *dimSpec // nil: headers come from the enforced limiter
}

// quotaPerWindow is floor(perMinute × window / 1m), computed without overflow.
func quotaPerWindow(perMinute int64, window time.Duration) int64 {
	hi, lo := bits.Mul64(uint64(perMinute), uint64(window))
	if hi >= uint64(time.Minute) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Minute))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// limitDefaults are the settings of Config that a Limit naming none takes.
type limitDefaults struct {
	alg      limiter.Algorithm
	window   time.Duration
	rounding limiter.CounterRounding
	start    limiter.WindowStart
}

// resolve validates a limit and fills in its defaults. path is its YAML path.
func (l *Limit) resolve(path string, def limitDefaults, nested bool) (dimSpec, error) {
	defAlg, defWindow := def.alg, def.window
	if l.PerMinute < 0 {
		return dimSpec{}, fieldErrorf(path+".per_minute", "%d is negative: want a rate per minute ≥ 0 (0 turns the dimension off)", l.PerMinute)
	}
	if l.PerMinute == 0 {
		if l.Advertise != nil {
			return dimSpec{}, fieldErrorf(path+".advertise", "set on a dimension that is off (per_minute 0)")
		}
		return dimSpec{}, nil
	}
	alg := l.Algorithm
	if alg == "" {
		alg = defAlg
	}
	if _, err := limiter.ParseAlgorithm(string(alg)); err != nil {
		return dimSpec{}, &FieldError{Field: path + ".algorithm", Msg: err.Error()}
	}
	window := l.Window
	if window == 0 {
		window = defWindow
	}
	if window < time.Millisecond {
		return dimSpec{}, fieldErrorf(path+".window", "%v is too short: want at least 1ms", window)
	}
	quota := quotaPerWindow(l.PerMinute, window)
	if quota < 1 {
		return dimSpec{}, fieldErrorf(path+".window", "%d per minute over a %v window admits less than one unit per window: raise the rate or lengthen the window", l.PerMinute, window)
	}
	s := dimSpec{on: true, perMinute: l.PerMinute, quota: quota, window: window}
	switch alg {
	case limiter.TokenBucket, limiter.GCRA, limiter.LeakyBucket:
		// Buckets refill at exactly PerMinute per minute; the window only sets the default burst.
		burst := quota
		if l.Burst != nil {
			burst = *l.Burst
			// limiter.New reads a zero Burst as "Limit", so a leaky bucket without a queue
			// cannot be expressed: every bucket needs at least 1.
			if burst < 1 {
				return dimSpec{}, fieldErrorf(path+".burst", "%d: want a bucket capacity (leaky-bucket: queue size) ≥ 1", burst)
			}
		}
		s.limiter = limiter.Config{Algorithm: alg, Limit: l.PerMinute, Window: time.Minute, Burst: burst, NoDelay: l.NoDelay}
	default:
		if l.Burst != nil {
			return dimSpec{}, fieldErrorf(path+".burst", "set with %s: burst applies to token-bucket, leaky-bucket and gcra only", alg)
		}
		s.limiter = limiter.Config{Algorithm: alg, Limit: quota, Window: window}
	}
	if l.CounterRounding != "" && alg != limiter.SlidingWindow {
		return dimSpec{}, fieldErrorf(path+".counter_rounding", "set with %s: counter_rounding applies to sliding-window only", alg)
	}
	if l.WindowStart != "" && alg != limiter.FixedWindow {
		return dimSpec{}, fieldErrorf(path+".window_start", "set with %s: window_start applies to fixed-window only", alg)
	}
	switch alg {
	case limiter.SlidingWindow:
		s.limiter.Rounding = cmp.Or(l.CounterRounding, def.rounding)
		if err := checkVariant(path+".counter_rounding", s.limiter.Rounding, limiter.CounterRoundings); err != nil {
			return dimSpec{}, err
		}
	case limiter.FixedWindow:
		s.limiter.Start = cmp.Or(l.WindowStart, def.start)
		if err := checkVariant(path+".window_start", s.limiter.Start, limiter.WindowStarts); err != nil {
			return dimSpec{}, err
		}
	}
	if l.NoDelay && alg != limiter.LeakyBucket {
		return dimSpec{}, fieldErrorf(path+".nodelay", "set with %s: nodelay applies to leaky-bucket only", alg)
	}
	if l.Advertise != nil {
		if nested {
			return dimSpec{}, fieldErrorf(path+".advertise", "an advertised limit cannot itself advertise another")
		}
		if l.Advertise.PerMinute == 0 {
			return dimSpec{}, fieldErrorf(path+".advertise.per_minute", "missing: an advertised limit needs a rate per minute ≥ 1")
		}
		adv, err := l.Advertise.resolve(path+".advertise", def, true)
		if err != nil {
			return dimSpec{}, err
		}
		s.advertise = &adv
	}
	return s, nil
}

// checkVariant reports a value that is not one of vals ("" is the default) as a *FieldError.
func checkVariant[T ~string](field string, v T, vals []T) error {
	if v == "" || slices.Contains(vals, v) {
		return nil
	}
	names := make([]string, len(vals))
	for i, x := range vals {
		names[i] = string(x)
	}
	return fieldErrorf(field, "unknown value %q: want one of %s", v, strings.Join(names, ", "))
}

// resolved is a validated Config with every default filled in.
type resolved struct {
	dims       [numMockDims]dimSpec
	dialect    ratelimit.Dialect
	dialectSet bool
	accounting OutputAccounting
	rounding   ratelimit.Rounding
}

// Validate reports the first invalid value of c as a *FieldError.
func (c *Config) Validate() error {
	_, err := c.resolve()
	return err
}

func (c *Config) resolve() (resolved, error) {
	var r resolved
	alg := c.Algorithm
	if alg == "" {
		alg = DefaultAlgorithm
	}
	if _, err := limiter.ParseAlgorithm(string(alg)); err != nil {
		return r, &FieldError{Field: "algorithm", Msg: err.Error()}
	}
	window := c.Window
	if window == 0 {
		window = limiter.DefaultWindow
	}
	if window < 0 {
		return r, fieldErrorf("window", "%v is negative: want a duration such as 1m or 5s", window)
	}
	if err := checkVariant("counter_rounding", c.CounterRounding, limiter.CounterRoundings); err != nil {
		return r, err
	}
	if err := checkVariant("window_start", c.WindowStart, limiter.WindowStarts); err != nil {
		return r, err
	}
	def := limitDefaults{alg: alg, window: window, rounding: c.CounterRounding, start: c.WindowStart}
	var uses [2]bool // some dimension runs a sliding window counter; a fixed window
	for d := range numMockDims {
		s, err := c.Limits.limitOf(d).resolve("limits."+d.String(), def, false)
		if err != nil {
			return r, err
		}
		r.dims[d] = s
		uses[0] = uses[0] || s.on && s.limiter.Algorithm == limiter.SlidingWindow
		uses[1] = uses[1] || s.on && s.limiter.Algorithm == limiter.FixedWindow
	}
	if c.CounterRounding != "" && !uses[0] {
		return r, fieldErrorf("counter_rounding", "set, but no limit runs sliding-window: it applies to sliding-window only")
	}
	if c.WindowStart != "" && !uses[1] {
		return r, fieldErrorf("window_start", "set, but no limit runs fixed-window: it applies to fixed-window only")
	}
	if err := checkVariant("reset_rounding", c.ResetRounding, ratelimit.ResetRoundings); err != nil {
		return r, err
	}
	if err := checkVariant("remaining_rounding", c.RemainingRounding, ratelimit.RemainingRoundings); err != nil {
		return r, err
	}
	r.rounding = ratelimit.Rounding{Reset: c.ResetRounding, Remaining: c.RemainingRounding}
	if c.Dialect != "" {
		d, ok := ratelimit.ParseDialect(c.Dialect)
		if !ok {
			return r, fieldErrorf("dialect", "unknown dialect %q: want one of %v", c.Dialect, ratelimit.Dialects())
		}
		r.dialect, r.dialectSet = d, true
	}
	if c.Latency < 0 {
		return r, fieldErrorf("latency", "%v is negative: want a duration ≥ 0", c.Latency)
	}
	if c.LatencyJitter < 0 {
		return r, fieldErrorf("latency_jitter", "%v is negative: want a duration ≥ 0", c.LatencyJitter)
	}
	if !(c.ErrorRate >= 0 && c.ErrorRate <= 1) {
		return r, fieldErrorf("error_rate", "%v: want a probability between 0 and 1", c.ErrorRate)
	}
	if !(c.OverloadRate >= 0 && c.OverloadRate <= 1) {
		return r, fieldErrorf("overload_rate", "%v: want a probability between 0 and 1", c.OverloadRate)
	}
	if c.ErrorRate+c.OverloadRate > 1 {
		return r, fieldErrorf("overload_rate", "error_rate %v + overload_rate %v exceeds 1", c.ErrorRate, c.OverloadRate)
	}
	switch c.OutputAccounting {
	case "":
		r.accounting = AccountActual
	case AccountActual, AccountMaxTokens:
		r.accounting = c.OutputAccounting
	default:
		return r, fieldErrorf("output_accounting", "unknown mode %q: want actual or max_tokens", c.OutputAccounting)
	}
	if c.OutputTokens < 0 {
		return r, fieldErrorf("output_tokens", "%d is negative: want a reply length ≥ 0 (0: max_tokens)", c.OutputTokens)
	}
	if err := c.validateGeneration(); err != nil {
		return r, err
	}
	if err := c.validateStreamFaults(); err != nil {
		return r, err
	}
	if c.MaxAccounts < 0 {
		return r, fieldErrorf("max_accounts", "%d is negative: want ≥ 0 (0: no bound)", c.MaxAccounts)
	}
	return r, nil
}

// Describe returns one line per enforced dimension, e.g.
// "requests: 50 per 1m0s (token-bucket, burst 50)", for the CLI to print.
func (c *Config) Describe() ([]string, error) {
	r, err := c.resolve()
	if err != nil {
		return nil, err
	}
	var lines []string
	for d := range numMockDims {
		s := r.dims[d]
		if !s.on {
			lines = append(lines, d.String()+": off")
			continue
		}
		line := d.String() + ": " + s.describe()
		if s.advertise != nil {
			line += "; advertised as " + s.advertise.describe()
		}
		lines = append(lines, line)
	}
	return lines, nil
}

func (s *dimSpec) describe() string {
	out := strconv.FormatInt(s.quota, 10) + " per " + s.window.String() + " (" + string(s.limiter.Algorithm)
	switch s.limiter.Algorithm {
	case limiter.TokenBucket, limiter.GCRA:
		out += ", burst " + strconv.FormatInt(s.limiter.Burst, 10)
	case limiter.LeakyBucket:
		out += ", queue " + strconv.FormatInt(s.limiter.Burst, 10)
		if s.limiter.NoDelay {
			out += ", nodelay"
		}
	case limiter.FixedWindow:
		if s.limiter.Start == limiter.StartFirstRequest {
			out += ", opened by the first request"
		}
	case limiter.SlidingWindow:
		if r := s.limiter.Rounding; r != "" && r != limiter.RoundFloor {
			out += ", share " + string(r)
		}
	}
	out += ", " + strconv.FormatInt(s.perMinute, 10) + "/min)"
	return out
}
