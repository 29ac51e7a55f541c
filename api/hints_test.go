package api

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/ratelimit"
)

// The bodies are captured or documented ones (notes/providers-research.md cites each).
func TestErrorHint(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		wait     time.Duration // -1: none
		from     string
		terminal string
	}{
		{"openai tpm ms", `{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on tokens per min (TPM): Limit 200000, Used 199000, Requested 1500. Please try again in 128ms. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			128 * time.Millisecond, "message", ""},
		{"openai decimal seconds", `{"error":{"message":"Rate limit reached for gpt-4o in organization org-XXXX on tokens per min (TPM): Limit 30000, Used 14567, Requested 24754. Please try again in 18.642s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			18642 * time.Millisecond, "message", ""},
		{"openai minutes", `{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 6m0s.","type":"requests","code":"rate_limit_exceeded"}}`,
			6 * time.Minute, "message", ""},
		{"openai rpd", `{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			7*time.Minute + 12*time.Second, "message", ratelimit.TerminalDailyQuota},
		{"openai insufficient_quota", `{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			-1, "", ratelimit.TerminalInsufficientQuota},
		{"openai old insufficient_quota code null", `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":null}}`,
			-1, "", ratelimit.TerminalInsufficientQuota},
		{"openai project spend limit", `{"error":{"message":"Your project has reached its spend limit.","type":"invalid_request_error","code":"project_spend_limit_exceeded"}}`,
			-1, "", ratelimit.TerminalSpendCap},
		{"openai request too large", `{"error":{"message":"Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Requested 31538. The input or output tokens must be reduced in order to run successfully.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			-1, "", ratelimit.TerminalRequestTooLarge},
		{"anthropic rate limit", `{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (d3f27ff7) of 40,000 input tokens per minute. Please reduce the prompt length or the maximum tokens requested, or try again later."}}`,
			-1, "", ""},
		{"anthropic spend cap", `{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your API usage limits: your organization has crossed its monthly API usage threshold, set based on your organization's API tier. You will regain access on 2026-09-01 at 00:00 UTC.","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"req_018EeWyXxfu5pfWkrYcMdjWG"}`,
			-1, "", ratelimit.TerminalSpendCap},
		{"anthropic own spend limit", `{"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified workspace API usage limits. You will regain access on 2026-01-01 at 00:00 UTC."}}`,
			-1, "", ratelimit.TerminalSpendCap},
		{"azure retry after seconds", `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit."}}`,
			6 * time.Second, "message", ""},
		{"azure try again in seconds", `{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 seconds."}}`,
			2 * time.Second, "message", ""},
		{"azure zero quota", `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-08-01-preview have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 86400 seconds."}}`,
			24 * time.Hour, "message", ""},
		{"gemini tpm", `{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_input_token_count","quotaId":"GenerateContentInputTokensPerModelPerMinute-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"250000"}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"26s"}]}}`,
			26 * time.Second, "retryDelay", ""},
		{"gemini decimal delay", `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.2s"}]}}`,
			200 * time.Millisecond, "retryDelay", ""},
		{"gemini rpd with short delay", `{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"20"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}}`,
			38 * time.Second, "retryDelay", ratelimit.TerminalDailyQuota},
		{"bedrock throttle", `{"message":"Too many tokens, please wait before trying again."}`, -1, "", ""},
		{"bedrock daily", `{"message":"Too many tokens per day, please wait before trying again."}`, -1, "", ratelimit.TerminalDailyQuota},
		{"not json", `<html>429 Too Many Requests</html>`, -1, "", ""},
		{"empty", ``, -1, "", ""},
		{"negative delay ignored", `{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"-5s"}]}}`, -1, "", ""},
		{"absurd delay ignored", `{"error":{"message":"Please try again in 99999999h."}}`, -1, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := ErrorHint([]byte(tc.body))
			if tc.wait < 0 {
				assert.False(t, h.HasRetryAfter, "wait: %s", h)
			} else {
				assert.True(t, h.HasRetryAfter)
				assert.Equal(t, tc.wait, h.RetryAfter)
				assert.Equal(t, tc.from, h.From)
			}
			assert.Equal(t, tc.terminal, h.Terminal, "%s", h)
			if tc.terminal != "" {
				assert.NotEmpty(t, h.Detail)
				assert.NotEmpty(t, ratelimit.TerminalWords(h.Terminal))
			}
		})
	}
}

func TestRunWide(t *testing.T) {
	assert.True(t, ratelimit.RunWide(ratelimit.TerminalDailyQuota))
	assert.True(t, ratelimit.RunWide(ratelimit.TerminalSpendCap))
	assert.False(t, ratelimit.RunWide(ratelimit.TerminalRequestTooLarge))
	assert.False(t, ratelimit.RunWide(""))
}

func FuzzErrorHint(f *testing.F) {
	for _, s := range []string{
		`{"error":{"message":"Please try again in 1m2.5s.","code":"insufficient_quota"}}`,
		`{"error":{"details":[{"@type":"x.google.rpc.RetryInfo","retryDelay":{"seconds":3,"nanos":5}}]}}`,
		`{"message":"Too many requests per day"}`, `{"error":"try again in 5 seconds"}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := ErrorHint(body)
		if h.HasRetryAfter && (h.RetryAfter < 0 || h.RetryAfter > maxHint) {
			t.Fatalf("wait %s out of range", h.RetryAfter)
		}
		if !h.HasRetryAfter && h.RetryAfter != 0 {
			t.Fatalf("wait %s without HasRetryAfter", h.RetryAfter)
		}
		if !utf8.ValidString(h.Detail) || utf8.RuneCountInString(h.Detail) > maxErrorRunes+1 {
			t.Fatalf("detail %q", h.Detail)
		}
		if (h.Terminal == "") != (h.Detail == "") && h.Terminal == "" {
			t.Fatalf("detail without cause: %q", h.Detail)
		}
	})
}
