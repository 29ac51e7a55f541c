package account

import (
	"strconv"
	"time"

	"github.com/ratelab/ratelab/limiter"
)

// StatusOverloaded is Anthropic's 529 overloaded_error.
const StatusOverloaded = 529

// Organization is the organization id the mock names in rate-limit messages.
const Organization = "org-ratelab-mock"

// authError is the 401 for a request without an API key.
func authError(e Endpoint) (int, string, string) {
	switch e {
	case EndpointChat:
		return 401, "invalid_request_error", "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). This is the ratelab mock: any non-empty key works."
	case EndpointGeneric:
		return 401, "unauthorized", "An API key is required: send x-api-key or Authorization: Bearer (any non-empty key works)."
	}
	return 401, "authentication_error", "x-api-key header is required"
}

// accountLimitError is the 403 for a new key once MaxAccounts keys have accounts.
func accountLimitError(e Endpoint, maxAccounts int) (int, string, string) {
	msg := "The ratelab mock serves at most " + strconv.Itoa(maxAccounts) + " API keys (max_accounts) and this key is new; reuse a known key or raise --max-accounts."
	switch e {
	case EndpointChat:
		return 403, "invalid_request_error", msg
	case EndpointGeneric:
		return 403, "forbidden", msg
	}
	return 403, "permission_error", msg
}

func overloadError(e Endpoint) (int, string, string) {
	switch e {
	case EndpointChat:
		return StatusOverloaded, "server_error", "The server is overloaded or not ready yet."
	case EndpointGeneric:
		return StatusOverloaded, "overloaded", "The server is overloaded; try again later."
	}
	return StatusOverloaded, "overloaded_error", "Overloaded"
}

// ServerError is the status, error type and message of a 500 on endpoint e.
func ServerError(e Endpoint) (int, string, string) {
	switch e {
	case EndpointChat:
		return 500, "server_error", "The server had an error while processing your request. Sorry about that!"
	case EndpointGeneric:
		return 500, "internal-error", "Internal server error"
	}
	return 500, "api_error", "Internal server error"
}

// dimPhrase names a dimension's unit the way Anthropic's messages do.
var dimPhrase = [numMockDims]string{"requests", "tokens", "input tokens", "output tokens", "requests"}

// openAIDim names a dimension the way OpenAI's messages do, with its short form.
var openAIDim = [numMockDims][2]string{{"requests", "RPM"}, {"tokens", "TPM"}, {"input tokens", "ITPM"}, {"output tokens", "OTPM"}, {"requests", "RPM"}}

// rateLimitError is the error type and message of a 429 on endpoint e, refused by dimension d
// for a request costing cost; p is the refusing limiter's state.
func (m *Ledger) rateLimitError(e Endpoint, d mockDim, call *Call, cost int64, p limiter.Decision, retryAfter time.Duration) (string, string) {
	spec := &m.res.dims[d]
	switch e {
	case EndpointChat:
		// Rate limit reached for gpt-4o-mini in organization org-… on requests per min (RPM):
		// Limit 3, Used 3, Requested 1. Please try again in 20s. Visit … to learn more.
		kind := "requests"
		if d != dimRequests {
			kind = "tokens"
		}
		per := "per min (" + openAIDim[d][1] + ")"
		if spec.window != time.Minute {
			per = "per " + spec.window.String()
		}
		used := max(spec.quota-p.Remaining, 0)
		model := call.Model
		if model == "" {
			model = "the requested model"
		}
		return kind, "Rate limit reached for " + model + " in organization " + Organization + " on " + openAIDim[d][0] + " " + per +
			": Limit " + strconv.FormatInt(spec.quota, 10) + ", Used " + strconv.FormatInt(used, 10) +
			", Requested " + strconv.FormatInt(cost, 10) + ". Please try again in " + retryAfter.Round(time.Millisecond).String() +
			". Visit https://platform.openai.com/account/rate-limits to learn more."
	case EndpointGeneric:
		return "quota-exceeded", "Request quota exceeded: " + strconv.FormatInt(spec.quota, 10) + " requests per " + spec.window.String() +
			" window. Retry in " + retryAfter.Round(time.Millisecond).String() + "."
	}
	// Anthropic: This request would exceed the rate limit for your organization (…) of
	// 40,000 input tokens per minute. For details, refer to: …
	return "rate_limit_error", "This request would exceed the rate limit for your organization (" + Organization + ") of " +
		thousands(spec.perMinute) + " " + dimPhrase[d] + " per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. " +
		"You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. " +
		"You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase."
}

// thousands formats n with comma thousands separators: 30000 → "30,000".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
