package account

import (
	"time"

	"github.com/ratelab/ratelab/ratelimit"
)

// Endpoint is the API a call was made to.
type Endpoint uint8

// The endpoints of the mock.
const (
	// EndpointMessages is POST /v1/messages (Anthropic).
	EndpointMessages Endpoint = iota + 1
	// EndpointChat is POST /v1/chat/completions (OpenAI).
	EndpointChat
	// EndpointCountTokens is POST /v1/messages/count_tokens, under its own requests limit.
	EndpointCountTokens
	// EndpointGeneric is any other path: a JSON endpoint limited by requests only.
	EndpointGeneric
	numEndpoints
)

var endpointNames = [numEndpoints]string{"", "messages", "chat", "count_tokens", "generic"}

// String returns the endpoint's short name.
func (e Endpoint) String() string {
	if e < numEndpoints {
		return endpointNames[e]
	}
	return "unknown"
}

// Call is one request as the account model sees it.
type Call struct {
	Key         string // API key; "" is the anonymous account (or a 401 when keys are required)
	Endpoint    Endpoint
	Model       string        // the request's model, quoted in OpenAI rate-limit messages
	InputTokens int64         // estimated input tokens (CountTokens)
	MaxTokens   int64         // the request's max_tokens
	Cache       []CachePrefix // prompt-cache breakpoints; read under a Provider only
	// DeferOutput: the caller charges the output as generated (ChargeOutput, Reply.OutputDeferred)
	// under actual accounting with a generation time or a stream fault; else Handle charges it.
	DeferOutput bool
}

// Reply is the account model's answer to a Call: everything the HTTP front end needs to write
// the response, and everything the simulator needs to record an attempt.
type Reply struct {
	Status    int    // 200, 401, 403, 429, 500 or 529
	ErrorType string // provider error type ("rate_limit_error", "tokens", …); "" on success
	Message   string // provider-style error message; "" on success
	// Exceeded is the dimension that refused a 429 (count_tokens reports Requests).
	Exceeded ratelimit.Dimension
	// Latency is how long the server takes to answer: the service time plus any leaky-bucket
	// queueing delay.
	Latency time.Duration
	// Delay is the leaky-bucket queueing part of Latency.
	Delay        time.Duration
	InputTokens  int64 // usage: input tokens counted
	OutputTokens int64 // usage: output tokens produced
	// Limits holds the header values: limit (per minute in the anthropic and openai dialects,
	// per window in the others), remaining, reset per dimension,
	// and RetryAfter on a 429.
	Limits  ratelimit.Snapshot
	Dialect ratelimit.Dialect // the header dialect of this endpoint
	// StoreError is why the shared store (UseStore) could not decide: the reply is a 503, or an
	// admission without headers when failing open.
	StoreError error

	Gen            Generation  // when the output is generated, after Latency (see Generation)
	OutputDeferred int64       // output tokens left to the caller's ChargeOutput (Call.DeferOutput)
	Fault          StreamFault // the fault injected into the reply if it is streamed

	// Cause is why a 429 refused (rate-limit, or a terminal cause with Terminal set); LimitName
	// the refusing limit as presets name it (rpm, itpm, rpd…), with its value and use.
	Cause, LimitName            string
	Terminal                    bool
	LimitValue, Used, Requested int64
	CacheCreation, CacheRead    int64  // usage: prompt tokens written to and read from the cache
	CacheCreation1h             int64  // of CacheCreation, the tokens written with a 1h TTL
	Class, Pool                 string // the model class and budget pool, under a Provider
}
