package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/presets"
)

func TestPresetsList(t *testing.T) {
	code, out, errOut := runMockCLI(context.Background(), "presets")
	require.Equal(t, 0, code, errOut)
	for _, n := range []string{"anthropic —", "openai —", "azure-openai —", "gemini —", "bedrock —", "start*", "tier-1*",
		"https://platform.claude.com/docs/en/api/rate-limits", "https://ai.google.dev/"} {
		assert.Contains(t, out, n)
	}
	code, out, _ = runMockCLI(context.Background(), "presets", "--json")
	require.Equal(t, 0, code)
	var list []presets.Info
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	assert.Len(t, list, 5)
}

func TestMockPresetFlags(t *testing.T) {
	cfg, err := mockConfigOf(t, "--preset", "anthropic", "--itpm", "20000", "--rpd", "7", "--lenient")
	require.NoError(t, err)
	assert.Equal(t, "anthropic:start", cfg.Preset)
	require.NotNil(t, cfg.Provider)
	assert.True(t, cfg.Provider.Lenient)
	assert.Equal(t, int64(7), cfg.RequestsPerDay)
	for _, c := range cfg.Provider.Classes {
		assert.Equal(t, int64(20_000), c.Limits.InputTokens.PerMinute, "--itpm overrides every class: %s", c.Name)
	}
	i, _ := cfg.Provider.Classify("claude-opus-4-8")
	assert.Equal(t, int64(1000), cfg.Provider.Classes[i].Limits.Requests.PerMinute, "the preset's figure where no flag is given")

	cfg, err = mockConfigOf(t, "--config", writeFile(t, "p.yaml", "preset: gemini:tier-1\n"), "--rpm", "3")
	require.NoError(t, err)
	assert.Equal(t, "gemini:tier-1", cfg.Preset)
	i, _ = cfg.Provider.Classify("gemini-2.5-pro")
	assert.Equal(t, int64(3), cfg.Provider.Classes[i].Limits.Requests.PerMinute)

	cfg, err = mockConfigOf(t, "--terminal-after", "5", "--terminal-cause", "insufficient-quota", "--acceleration", "2")
	require.NoError(t, err)
	assert.Equal(t, account.CauseInsufficientQuota, cfg.TerminalCause)
	assert.Equal(t, 2.0, cfg.Acceleration.Factor)
}

func TestMockPresetUsageErrors(t *testing.T) {
	tests := []usageCase{
		{"unknown preset", []string{"--preset", "antropic"}, `--preset unknown preset "antropic" (did you mean "anthropic"?) (presets: anthropic, azure-openai, bedrock, gemini, openai)`},
		{"unknown tier", []string{"--preset", "openai:tier-9"}, `--preset preset openai has no tier "tier-9"`},
		{"lenient alone", []string{"--lenient"}, "--lenient: applies with --preset only"},
		{"negative rpd", []string{"--rpd", "-1"}, "--rpd -1: requests_per_day: -1 is negative"},
		{"terminal cause", []string{"--terminal-after", "1", "--terminal-cause", "broke"}, `--terminal-cause broke: terminal_cause: unknown cause "broke": want one of spend-cap, insufficient-quota, daily-quota`},
		{"acceleration", []string{"--acceleration", "0.5"}, "--acceleration 0.5: acceleration: factor 0.5"},
	}
	checkUsageErrors(t, runMockCLI, []string{"mock"}, tests)
}
