package account

import (
	"strconv"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
)

// refuse writes a terminal refusal of cause into r, with the account's current header values.
func (m *Ledger) refuse(now time.Time, call *Call, r *Reply, cause, dim string, limit int64, retry time.Duration) {
	e := call.Endpoint
	r.Dialect = m.dialects[e]
	r.Limits.Dialect, r.Limits.Rounding = r.Dialect, m.res.rounding
	r.Status, r.Cause, r.Terminal = 429, cause, true
	r.LimitName, r.LimitValue, r.Used, r.Requested = dim, limit, limit, 1
	r.Exceeded = ratelimit.Requests
	if dim == "tpd" {
		r.Exceeded = ratelimit.Tokens
	}
	r.ErrorType, r.Message = terminalError(e, cause, dim, call.Model, limit, retry)
	if a := m.account(call.Key); a != nil {
		a.mu.Lock()
		a.stats.count(429)
		for _, d := range m.dims[e] {
			a.header(now, &m.res, d, nil, &r.Limits)
		}
		a.mu.Unlock()
	}
	combineTokens(&r.Limits)
	if retry > 0 {
		r.Limits.RetryAfter, r.Limits.HasRetryAfter = retry, true
	}
}

// terminalError is the type and message of a terminal refusal in the words of endpoint e's
// provider family; a preset's own templates replace them in the HTTP mock.
func terminalError(e Endpoint, cause, dim, model string, limit int64, retry time.Duration) (string, string) {
	if e == EndpointChat {
		switch cause {
		case CauseDailyQuota:
			unit, short := "requests per day", "RPD"
			if dim == "tpd" {
				unit, short = "tokens per day", "TPD"
			}
			return "requests", "Rate limit reached for " + model + " in organization " + Organization + " on " + unit + " (" + short +
				"): Limit " + itoa(limit) + ", Used " + itoa(limit) + ", Requested 1. Please try again in " + retry.Round(time.Millisecond).String() +
				". Visit https://platform.openai.com/account/rate-limits to learn more."
		case CauseInsufficientQuota:
			return "insufficient_quota", "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
		}
		return "insufficient_quota", "Your organization has reached its spend limit. Raise the limit in your billing settings to continue."
	}
	switch cause {
	case CauseDailyQuota:
		unit := "requests per day"
		if dim == "tpd" {
			unit = "tokens per day"
		}
		return "rate_limit_error", "This request would exceed your organization's daily limit of " + thousands(limit) + " " + unit + "."
	case CauseInsufficientQuota:
		return "billing_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
	}
	return "rate_limit_error", "You have reached your API usage limits: your organization has crossed its monthly API usage threshold, set based on your organization's API tier."
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Thousands formats n with comma thousands separators (30000 → "30,000"), as Anthropic's
// messages write limits.
func Thousands(n int64) string { return thousands(n) }
