package presets

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestBundledPresets(t *testing.T) {
	require.Equal(t, []string{"anthropic", "azure-openai", "bedrock", "gemini", "openai"}, Names(),
		"the acceptance check uses these names")
	all, err := All()
	require.NoError(t, err)
	for _, p := range all {
		t.Run(p.Name, func(t *testing.T) {
			assert.Equal(t, p.Name+".yaml", p.file, "a preset's name is its file's name")
			_, err := time.Parse(time.DateOnly, p.Version)
			assert.NoError(t, err, "version is a date")
			assert.NotEmpty(t, p.Summary)
			require.NotNil(t, p.DefaultTier())
			assert.False(t, p.DefaultTier().Illustrative && p.Name != "gemini" && p.Name != "bedrock",
				"only presets whose provider publishes no figures may have an illustrative default tier")
		})
	}
}

// TestEveryRuleIsSourced checks that every rule of every bundled preset names a source with an
// https link and the date it was checked, and that a rule not in the provider's own words says
// why.
func TestEveryRuleIsSourced(t *testing.T) {
	all, err := All()
	require.NoError(t, err)
	total := 0
	for _, p := range all {
		rules := p.Rules()
		require.NotEmpty(t, rules)
		for _, r := range rules {
			total++
			src := r.Ref()
			require.NotNil(t, src, "%s: %s names no source", p.Name, r.Path)
			assert.True(t, strings.HasPrefix(src.URL, "https://"), "%s: %s: %s", p.Name, r.Path, src.URL)
			_, err := time.Parse(time.DateOnly, src.Checked)
			assert.NoError(t, err, "%s: %s: source %s checked %q", p.Name, r.Path, src.ID, src.Checked)
			if r.Illustrative || r.Unverified {
				assert.NotEmpty(t, r.Note, "%s: %s is illustrative or unverified without a note", p.Name, r.Path)
			}
		}
		// Every source is cited by some rule, as its source or in its note as "(id)".
		for _, s := range p.Sources {
			used := slices.ContainsFunc(rules, func(r Rule) bool { return r.Source == s.ID || strings.Contains(r.Note, "("+s.ID+")") })
			assert.True(t, used, "%s: source %s is cited by no rule", p.Name, s.ID)
		}
	}
	assert.Greater(t, total, 150, "the five presets carry this many sourced rules")
}

func TestLookupEveryTier(t *testing.T) {
	defaults := map[string]string{"anthropic": "start", "openai": "tier-1", "azure-openai": "default", "gemini": "free", "bedrock": "default"}
	all, err := All()
	require.NoError(t, err)
	for _, p := range all {
		tier, err := Lookup(p.Name)
		require.NoError(t, err)
		assert.Equal(t, defaults[p.Name], tier.Name, "%s: a bare name gives the lowest published tier", p.Name)
		assert.True(t, tier.Default)
		assert.Same(t, tier.Preset().DefaultTier(), tier)
		for _, want := range p.Tiers {
			got, err := Lookup(p.Name + ":" + want.Name)
			require.NoError(t, err)
			assert.Equal(t, want.Name, got.Name)
			assert.Equal(t, p.Name+":"+want.Name, got.Spec())
			assert.Equal(t, p.Name, got.Preset().Name)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	cases := []struct {
		spec string
		want []string
	}{
		{"antropic", []string{`unknown preset "antropic" (did you mean "anthropic"?)`, "(presets: anthropic, azure-openai, bedrock, gemini, openai)"}},
		{"azure", []string{`unknown preset "azure" (did you mean "azure-openai"?)`}},
		{"vertex", []string{`unknown preset "vertex" (presets: anthropic, azure-openai, bedrock, gemini, openai)`}},
		{"", []string{"want NAME or NAME:TIER"}},
		{":start", []string{"want NAME or NAME:TIER"}},
		{"anthropic:bild", []string{`preset anthropic has no tier "bild" (did you mean "build"?)`, "(tiers: evaluation, start (default), build, scale, tier-1-2025 (legacy))"}},
		{"anthropic:tier-1", []string{`no tier "tier-1" (did you mean "tier-1-2025"?)`}},
		{"anthropic:", []string{"empty tier after ':'"}},
		{"openai:tier-6", []string{`no tier "tier-6" (did you mean "tier-1"?)`, "tier-5"}},
		{"gemini:tier1", []string{`(did you mean "tier-1"?)`, "(tiers: free (default), tier-1, tier-2, tier-3)"}},
		{"bedrock:on-demand", []string{`preset bedrock has no tier "on-demand" (tiers: default (default))`}},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			_, err := Lookup(c.spec)
			testcheck.ErrAll(t, err, c.want...)
		})
	}
}

func TestClassFor(t *testing.T) {
	cases := []struct {
		spec, model    string
		class, pool    string
		limits         Limits
		fallback       bool
		borrowed       bool
		burndown       float64
		countCacheRead bool
	}{
		{"anthropic", "claude-sonnet-4-5", "sonnet-4", "sonnet-4", Limits{RPM: 1000, ITPM: 2000000, OTPM: 400000}, false, false, 1, false},
		{"anthropic", "claude-sonnet-4-5-20250929", "sonnet-4", "sonnet-4", Limits{RPM: 1000, ITPM: 2000000, OTPM: 400000}, false, false, 1, false},
		{"anthropic", "Claude-Sonnet-4-6", "sonnet-4", "sonnet-4", Limits{RPM: 1000, ITPM: 2000000, OTPM: 400000}, false, false, 1, false},
		{"anthropic", "claude-sonnet-5", "sonnet-5", "sonnet-5", Limits{RPM: 1000, ITPM: 2000000, OTPM: 400000}, false, false, 1, false},
		{"anthropic", "claude-sonnet-5-5", "sonnet-5-5", "sonnet-5-5", Limits{RPM: 1000, ITPM: 2000000, OTPM: 400000}, false, false, 1, false},
		{"anthropic", "claude-opus-4-8", "opus-4", "opus-4", Limits{RPM: 1000, ITPM: 2000000, OTPM: 400000}, false, false, 1, false},
		{"anthropic:scale", "claude-fable-5-1", "fable-5", "fable-5", Limits{RPM: 4000, ITPM: 4000000, OTPM: 800000}, false, false, 1, false},
		{"anthropic:build", "claude-3-5-haiku-20241022", "haiku-3-5", "haiku-3-5", Limits{RPM: 2000, ITPM: 200000, OTPM: 40000}, false, false, 1, true},
		{"anthropic", "mock-model", "sonnet-4", "sonnet-4", Limits{RPM: 1000, ITPM: 2000000, OTPM: 400000}, true, false, 1, false},
		{"anthropic:tier-1-2025", "claude-sonnet-4-5", "sonnet-4", "sonnet-4", Limits{RPM: 50, ITPM: 30000, OTPM: 8000}, false, false, 1, false},
		{"anthropic:tier-1-2025", "claude-fable-5", "fable-5", "fable-5", Limits{RPM: 50, ITPM: 30000, OTPM: 8000}, false, true, 1, false},
		{"openai", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", Limits{RPM: 500, RPD: 10000, TPM: 200000}, false, false, 1, true},
		{"openai", "gpt-4o-2024-08-06", "gpt-4o", "gpt-4o-2024-08-06", Limits{RPM: 500, TPM: 30000}, false, false, 1, true},
		{"openai:tier-5", "gpt-6.1-sol", "gpt-5", "gpt-6.1-sol", Limits{RPM: 15000, TPM: 40000000}, true, false, 1, true},
		{"azure-openai", "gpt-4o", "gpt-4o", "gpt-4o", Limits{RPM: 2700, TPM: 450000}, false, false, 1, true},
		{"azure-openai:enterprise", "gpt-5-mini", "gpt-5-mini", "gpt-5-mini", Limits{RPM: 10000, TPM: 10000000}, false, false, 1, true},
		{"gemini", "gemini-2.5-flash", "gemini-2-5-flash", "gemini-2.5-flash", Limits{RPM: 10, RPD: 250, ITPM: 250000}, false, false, 1, true},
		{"gemini:tier-3", "gemini-2.5-pro", "gemini-2-5-pro", "gemini-2.5-pro", Limits{RPM: 2000, ITPM: 8000000}, false, false, 1, true},
		{"bedrock", "anthropic.claude-3-haiku-20240307-v1:0", "claude-3", "anthropic.claude-3-haiku-20240307-v1:0", Limits{RPM: 200, TPM: 500000, TPD: 720000000}, false, false, 1, false},
		{"bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-5x", "anthropic.claude-sonnet-4-5-20250929-v1:0", Limits{RPM: 200, TPM: 500000, TPD: 720000000}, false, false, 5, false},
		{"bedrock", "global.anthropic.claude-opus-5-5", "claude-10x", "anthropic.claude-opus-5-5", Limits{RPM: 200, TPM: 500000, TPD: 720000000}, false, false, 10, false},
		{"bedrock", "anthropic.claude-opus-4-8-v1:0", "claude-opus-4-8", "anthropic.claude-opus-4-8-v1:0", Limits{RPM: 200, TPM: 500000, TPD: 720000000}, false, false, 15, false},
		{"bedrock", "amazon.nova-pro-v1:0", "other", "amazon.nova-pro-v1:0", Limits{RPM: 200, TPM: 500000, TPD: 720000000}, true, false, 1, false},
	}
	for _, c := range cases {
		t.Run(c.spec+"/"+c.model, func(t *testing.T) {
			tier, err := Lookup(c.spec)
			require.NoError(t, err)
			mc := tier.ClassFor(c.model)
			assert.Equal(t, c.class, mc.Name)
			assert.Equal(t, c.pool, mc.Pool)
			assert.Equal(t, c.limits, mc.Limits)
			assert.Equal(t, c.fallback, mc.Fallback, "fallback")
			assert.Equal(t, c.borrowed, mc.Borrowed, "borrowed")
			assert.Equal(t, c.burndown, mc.OutputBurndown)
			assert.Equal(t, c.countCacheRead, slices.Contains(mc.InputCounts, "cache_read"), "cache reads count: %v", mc.InputCounts)
			require.NotNil(t, mc.Entry.Ref())
		})
	}
}

// TestListGolden pins the listing `ratelab presets` prints from. Regenerate with -update after
// changing a preset's name, version, tiers or sources.
func TestListGolden(t *testing.T) {
	list, err := List()
	require.NoError(t, err)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(list))
	const golden = "testdata/list.golden.json"
	if *update {
		require.NoError(t, os.WriteFile(golden, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./presets -run TestListGolden -update")
	assert.Equal(t, string(want), b.String())
	require.Len(t, list, 5)
	for _, info := range list {
		defaults := 0
		for _, ti := range info.Tiers {
			if ti.Default {
				defaults++
			}
		}
		assert.Equal(t, 1, defaults, info.Name)
		assert.NotEmpty(t, info.Sources, info.Name)
	}
}

func TestRetryHintRead(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	gemini := []byte(`{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.Help"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38.2s"}]}}`)
	cases := []struct {
		name   string
		hint   RetryHint
		header http.Header
		body   []byte
		want   time.Duration
		ok     bool
	}{
		{"seconds", RetryHint{In: "header", Name: "retry-after", Format: "seconds"}, http.Header{"Retry-After": {"7"}}, nil, 7 * time.Second, true},
		{"fractional seconds", RetryHint{In: "header", Name: "retry-after", Format: "seconds"}, http.Header{"Retry-After": {"1.5"}}, nil, 1500 * time.Millisecond, true},
		{"http date", RetryHint{In: "header", Name: "retry-after", Format: "http-date"}, http.Header{"Retry-After": {"Mon, 07 Dec 2026 12:00:30 GMT"}}, nil, 30 * time.Second, true},
		{"milliseconds", RetryHint{In: "header", Name: "retry-after-ms", Format: "milliseconds"}, http.Header{"Retry-After-Ms": {"2000"}}, nil, 2 * time.Second, true},
		{"absent header", RetryHint{In: "header", Name: "retry-after", Format: "seconds"}, http.Header{}, nil, 0, false},
		{"garbage", RetryHint{In: "header", Name: "retry-after", Format: "seconds"}, http.Header{"Retry-After": {"soon"}}, nil, 0, false},
		{"negative", RetryHint{In: "header", Name: "retry-after", Format: "seconds"}, http.Header{"Retry-After": {"-3"}}, nil, 0, false},
		{"google retryDelay", RetryHint{In: "body", Name: "error.details[@type=type.googleapis.com/google.rpc.RetryInfo].retryDelay", Format: "protobuf-duration"}, nil, gemini, 38200 * time.Millisecond, true},
		{"no RetryInfo", RetryHint{In: "body", Name: "error.details[@type=type.googleapis.com/google.rpc.RetryInfo].retryDelay", Format: "protobuf-duration"}, nil, []byte(`{"error":{"details":[]}}`), 0, false},
		{"body not JSON", RetryHint{In: "body", Name: "error.x", Format: "seconds"}, nil, []byte(`<html>`), 0, false},
		{"openai try again ms", RetryHint{In: "message", Name: `(?i)try again in ((?:[0-9]+(?:\.[0-9]+)?(?:ms|h|m|s))+)`, Format: "go-duration"}, nil, []byte(`{"error":{"message":"… Please try again in 644ms. Visit …"}}`), 644 * time.Millisecond, true},
		{"openai try again minutes", RetryHint{In: "message", Name: `(?i)try again in ((?:[0-9]+(?:\.[0-9]+)?(?:ms|h|m|s))+)`, Format: "go-duration"}, nil, []byte(`{"error":{"message":"… Please try again in 1m26.4s. Visit …"}}`), 86400 * time.Millisecond, true},
		{"azure retry after", RetryHint{In: "message", Name: `(?i)retry after ([0-9]+) seconds?`, Format: "seconds"}, nil, []byte(`{"error":{"code":"429","message":"… Please retry after 86400 seconds. …"}}`), 24 * time.Hour, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := c.hint.Read(c.header, c.body, now)
			assert.Equal(t, c.ok, ok)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestResetNext(t *testing.T) {
	pacific := Reset{Every: "day", At: "00:00", TimeZone: "America/Los_Angeles"}
	monthly := Reset{Every: "month", At: "00:00", TimeZone: "UTC"}
	cases := []struct {
		name  string
		reset Reset
		after time.Time
		want  time.Time
	}{
		{"pacific, winter (UTC-8)", pacific, time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)},
		{"pacific, summer (UTC-7)", pacific, time.Date(2026, 7, 1, 6, 59, 0, 0, time.UTC), time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC)},
		{"pacific, at the reset instant", pacific, time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC), time.Date(2026, 7, 2, 7, 0, 0, 0, time.UTC)},
		{"pacific, across the spring change", pacific, time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 7, 0, 0, 0, time.UTC)},
		{"monthly, mid-month", monthly, time.Date(2026, 8, 15, 10, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		{"monthly, December", monthly, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.reset.Next(c.after)
			require.NoError(t, err)
			assert.True(t, c.want.Equal(got), "want %s, got %s", c.want, got.UTC())
		})
	}
}

// TestReadmeNamesEveryTier keeps the README's list of --preset values in step with the data.
func TestReadmeNamesEveryTier(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	text := strings.Join(strings.Fields(string(readme)), " ")
	all, err := All()
	require.NoError(t, err)
	for _, p := range all {
		assert.True(t, strings.Contains(text, "`"+p.Name+".yaml`"), "the README has a section for %s", p.Name)
		for _, tier := range p.Tiers {
			assert.True(t, strings.Contains(text, "`"+p.Name+":"+tier.Name+"`"), "the README lists %s:%s", p.Name, tier.Name)
		}
	}
}
