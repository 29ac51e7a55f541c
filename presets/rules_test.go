package presets

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustGet(t *testing.T, name string) *Preset {
	t.Helper()
	p, err := Get(name)
	require.NoError(t, err)
	return p
}

// render renders the template to send for cause and dim with the template's sample values.
func render(t *testing.T, p *Preset, cause, dim string) (*ErrorTemplate, map[string]any, map[string]string) {
	t.Helper()
	e := p.ErrorFor(cause, dim)
	require.NotNil(t, e, "%s has a %s template for %q", p.Name, cause, dim)
	h, body, err := e.Render(e.sampleVars())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc), "%s", body)
	headers := map[string]string{}
	for k := range h {
		headers[strings.ToLower(k)] = h.Get(k)
	}
	return e, doc, headers
}

// The tests below pin the documented facts each preset must keep, whatever its figures.

func TestAnthropicRules(t *testing.T) {
	p := mustGet(t, "anthropic")
	assert.Equal(t, "class", p.Scope.Pool, "limits are per model class, shared pools included")
	assert.Equal(t, []string{"input", "cache_creation"}, p.Accounting.Input.Counts, "cache reads do not count toward ITPM")
	assert.Equal(t, []string{"input", "cache_creation", "cache_read"}, p.Class("haiku-3-5").InputCounts, "except on Haiku 3.5")
	assert.Equal(t, "generated", p.Accounting.Output.Charge, "OTPM counts tokens as generated, no max_tokens reservation")
	e := p.EnforcementFor("itpm")
	require.NotNil(t, e)
	assert.Equal(t, "token-bucket", e.Algorithm)
	assert.Equal(t, time.Minute, e.Burst.D(), "the bucket holds a full minute's limit")

	assert.Equal(t, "anthropic", p.Headers.Dialect)
	for _, dim := range []string{"requests", "tokens", "input-tokens", "output-tokens"} {
		for _, f := range []string{"limit", "remaining", "reset"} {
			assert.Contains(t, p.Headers.Names, "anthropic-ratelimit-"+dim+"-"+f)
		}
	}
	assert.Equal(t, "rfc3339", p.Headers.ResetFormat)

	require.Len(t, p.API.Required, 1)
	req := p.API.Required[0]
	assert.Equal(t, "anthropic-version", req.Header)
	missing := p.Error(req.Missing)
	require.NotNil(t, missing)
	assert.Equal(t, 400, missing.Status)
	assert.Contains(t, missing.Body, "invalid_request_error")

	_, doc, h := render(t, p, "rate-limit", "itpm")
	assert.Equal(t, "7", h["retry-after"])
	assert.Equal(t, "rate_limit_error", doc["error"].(map[string]any)["type"])

	cap, doc, h := render(t, p, "spend-cap", "")
	assert.True(t, cap.Terminal)
	assert.Equal(t, 429, cap.Status)
	assert.NotContains(t, h, "retry-after", "the spend-cap 429 has no retry-after")
	assert.Equal(t, "enforced_spend_limit_reached", doc["error"].(map[string]any)["details"].(map[string]any)["error_code"])

	start, err := p.Tier("start")
	require.NoError(t, err)
	require.NotNil(t, start.SpendCap)
	assert.Equal(t, 500.0, start.SpendCap.USDPerMonth)
	next, err := start.SpendCap.Reset.Next(time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), next)

	legacy, err := p.Tier("tier-1-2025")
	require.NoError(t, err)
	assert.True(t, legacy.Legacy)
	assert.Equal(t, Limits{RPM: 50, ITPM: 30000, OTPM: 8000}, legacy.Limits["sonnet-4"].Limits, "the mock's pre-preset defaults")
	eval, err := p.Tier("evaluation")
	require.NoError(t, err)
	assert.True(t, eval.Illustrative, "Evaluation figures are not published")
}

func TestOpenAIRules(t *testing.T) {
	p := mustGet(t, "openai")
	assert.Equal(t, "model", p.Scope.Pool)
	assert.Equal(t, "reserved", p.Accounting.Output.Charge, "max_tokens is reserved at admission")
	assert.True(t, p.Accounting.Rejected.Counted, "unsuccessful requests count")
	assert.Equal(t, "go-duration", p.Headers.ResetFormat)
	for _, n := range []string{"x-ratelimit-limit-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"} {
		assert.Contains(t, p.Headers.Names, n)
	}
	daily := p.EnforcementFor("rpd")
	require.NotNil(t, daily)
	assert.Equal(t, 24*time.Hour, daily.Window.D())

	e, doc, _ := render(t, p, "daily-quota", "rpd")
	assert.True(t, e.Terminal)
	msg := doc["error"].(map[string]any)["message"].(string)
	assert.Contains(t, msg, "on requests per day (RPD): Limit")
	for _, cause := range []string{"insufficient-quota", "spend-cap", "request-too-large"} {
		e := p.ErrorFor(cause, "")
		require.NotNil(t, e, cause)
		assert.True(t, e.Terminal, cause)
	}
	_, doc, _ = render(t, p, "insufficient-quota", "")
	assert.Equal(t, "insufficient_quota", doc["error"].(map[string]any)["code"])
}

func TestAzureRules(t *testing.T) {
	p := mustGet(t, "azure-openai")
	assert.Equal(t, "deployment", p.Scope.Unit)
	assert.Equal(t, "api-key", p.API.Auth)
	assert.Contains(t, p.API.Endpoints, "POST /openai/deployments/{deployment}/chat/completions")
	rpm := p.EnforcementFor("rpm")
	require.NotNil(t, rpm)
	assert.Equal(t, []Duration{Duration(time.Second), Duration(10 * time.Second)}, rpm.EnforcedOver)
	assert.True(t, p.Accounting.Rejected.Counted)

	_, _, h := render(t, p, "rate-limit", "tpm")
	assert.Equal(t, "6500", h["retry-after-ms"])
	_, doc, _ := render(t, p, "rate-limit", "rpm")
	assert.Contains(t, doc["error"].(map[string]any)["message"], "call rate limit")

	// RPM is derived from TPM by the model's capacity unit in the published default table.
	def := p.DefaultTier()
	ratios := map[string]float64{"gpt-4o": 6, "gpt-4o-mini": 6, "gpt-4-1": 1, "gpt-4-1-mini": 1, "gpt-5": 10, "gpt-5-mini": 1, "o4-mini": 1}
	for class, ratio := range ratios {
		c := p.Class(class)
		require.NotNil(t, c, class)
		assert.InDelta(t, ratio, c.CapacityUnit.RPMPer1000TPM(), 1e-9, class)
		l := def.Limits[c.Pool]
		assert.InDelta(t, ratio, float64(l.RPM)*1000/float64(l.TPM), 1e-9, class)
	}
}

func TestGeminiRules(t *testing.T) {
	p := mustGet(t, "gemini")
	assert.Equal(t, "none", p.Headers.Dialect, "no rate-limit headers")
	assert.Empty(t, p.Headers.Names)
	assert.Equal(t, "project", p.Scope.Unit)
	assert.Equal(t, "none", p.Accounting.Output.Charge, "TPM counts input only")
	rpd := p.EnforcementFor("rpd")
	require.NotNil(t, rpd)
	require.NotNil(t, rpd.Reset)
	assert.Equal(t, "America/Los_Angeles", rpd.Reset.TimeZone)
	assert.Equal(t, "00:00", rpd.Reset.At)
	for _, tier := range p.Tiers {
		assert.True(t, tier.Illustrative, "%s: Google publishes no per-model figures in the docs", tier.Name)
	}

	_, doc, h := render(t, p, "rate-limit", "rpm")
	assert.Empty(t, h)
	errObj := doc["error"].(map[string]any)
	assert.Equal(t, "RESOURCE_EXHAUSTED", errObj["status"])
	assert.EqualValues(t, 429, errObj["code"])
	var types []string
	for _, d := range errObj["details"].([]any) {
		types = append(types, d.(map[string]any)["@type"].(string))
	}
	assert.Contains(t, types, "type.googleapis.com/google.rpc.QuotaFailure")
	assert.Contains(t, types, "type.googleapis.com/google.rpc.RetryInfo")

	daily, _, _ := render(t, p, "daily-quota", "rpd")
	assert.True(t, daily.Terminal)
	assert.Contains(t, daily.Vars["quota_id"], "PerDay", "a daily 429 is told apart by its quotaId")
}

func TestBedrockRules(t *testing.T) {
	p := mustGet(t, "bedrock")
	assert.Equal(t, "none", p.Headers.Dialect)
	assert.Equal(t, "reserved", p.Accounting.Output.Charge, "input + max_tokens reserved at admission")
	assert.Equal(t, "actual", p.Accounting.Output.Settle)
	assert.NotContains(t, p.Accounting.Input.Counts, "cache_read")
	_, doc, h := render(t, p, "rate-limit", "tpm")
	assert.True(t, strings.HasPrefix(h["x-amzn-errortype"], "ThrottlingException"), h["x-amzn-errortype"])
	assert.Equal(t, "Too many tokens, please wait before trying again.", doc["message"])
	daily, _, _ := render(t, p, "daily-quota", "tpd")
	assert.True(t, daily.Terminal)
	for pool, l := range p.DefaultTier().Limits {
		assert.Equal(t, l.TPM*24*60, l.TPD, "%s: TPD defaults to TPM x 1440", pool)
	}
	burn := map[string]float64{"claude-opus-4-8": 15, "claude-10x": 10, "claude-5x": 5, "claude-3": 1, "other": 1}
	for class, want := range burn {
		assert.Equal(t, want, p.Class(class).OutputBurndown, class)
	}
}
