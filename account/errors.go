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

// wording is an error's type and message in each provider family's words: Anthropic's
// (messages and count_tokens), OpenAI's (chat completions) and the generic endpoint's.
type wording [3]struct{ typ, msg string }

// of returns e's type and message.
func (w *wording) of(e Endpoint) (typ, msg string) {
	i := 0
	switch e {
	case EndpointChat:
		i = 1
	case EndpointGeneric:
		i = 2
	}
	return w[i].typ, w[i].msg
}

var (
	authWording = wording{
		{"authentication_error", "x-api-key header is required"},
		{"invalid_request_error", "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). This is the ratelab mock: any non-empty key works."},
		{"unauthorized", "An API key is required: send x-api-key or Authorization: Bearer (any non-empty key works)."},
	}
	overloadWording = wording{
		{"overloaded_error", "Overloaded"},
		{"server_error", "The server is overloaded or not ready yet."},
		{"overloaded", "The server is overloaded; try again later."},
	}
	serverWording = wording{
		{"api_error", "Internal server error"},
		{"server_error", "The server had an error while processing your request. Sorry about that!"},
		{"internal-error", "Internal server error"},
	}
	accountLimitTypes = wording{{"permission_error", ""}, {"invalid_request_error", ""}, {"forbidden", ""}}
)

// authError is the 401 for a request without an API key.
func authError(e Endpoint) (int, string, string) {
	typ, msg := authWording.of(e)
	return 401, typ, msg
}

// accountLimitError is the 403 for a new key once MaxAccounts keys have accounts.
func accountLimitError(e Endpoint, maxAccounts int) (int, string, string) {
	typ, _ := accountLimitTypes.of(e)
	return 403, typ, "The ratelab mock serves at most " + strconv.Itoa(maxAccounts) + " API keys (max_accounts) and this key is new; reuse a known key or raise --max-accounts."
}

// overloadError is the 529 of an injected overload.
func overloadError(e Endpoint) (int, string, string) {
	typ, msg := overloadWording.of(e)
	return StatusOverloaded, typ, msg
}

// ServerError is the status, error type and message of a 500 on endpoint e.
func ServerError(e Endpoint) (int, string, string) {
	typ, msg := serverWording.of(e)
	return 500, typ, msg
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
	return "rate_limit_error", m.refusals[d] // Anthropic's: the same text for every refusal of a limit
}

// anthropicRefusal is Anthropic's 429 message for dimension d limited to perMinute: This
// request would exceed the rate limit for your organization (…) of 40,000 input tokens per
// minute. For details, refer to: …
func anthropicRefusal(d mockDim, perMinute int64) string {
	return "This request would exceed the rate limit for your organization (" + Organization + ") of " +
		thousands(perMinute) + " " + dimPhrase[d] + " per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. " +
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
