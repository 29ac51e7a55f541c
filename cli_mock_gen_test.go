package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMockGenerationFlags(t *testing.T) {
	file := writeFile(t, "gen.yaml", "ttft: 2s\noutput_tps: 30\nstream_close_rate: 0.5\n")
	cfg, err := mockConfigOf(t, "--config", file)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, cfg.TTFT)
	assert.Equal(t, 30.0, cfg.OutputTPS)
	assert.Equal(t, 0.5, cfg.StreamCloseRate)

	cfg, err = mockConfigOf(t, "--config", file, "--ttft", "400ms", "--ttft-jitter", "100ms", "--output-tps", "60",
		"--output-tps-jitter", "15", "--stream-error-rate", "0.1", "--stream-close-rate", "0.2", "--stream-stall-rate", "0.3",
		"--stream-stall", "45s")
	require.NoError(t, err)
	assert.Equal(t, 400*time.Millisecond, cfg.TTFT)
	assert.Equal(t, 100*time.Millisecond, cfg.TTFTJitter)
	assert.Equal(t, 60.0, cfg.OutputTPS)
	assert.Equal(t, 15.0, cfg.OutputTPSJitter)
	assert.Equal(t, 0.1, cfg.StreamErrorRate)
	assert.Equal(t, 0.2, cfg.StreamCloseRate)
	assert.Equal(t, 0.3, cfg.StreamStallRate)
	assert.Equal(t, 45*time.Second, cfg.StreamStall)

	tests := []usageCase{
		{"negative ttft", []string{"--ttft", "-1s"}, "--ttft -1s: ttft: -1s is negative"},
		{"jitter without a rate", []string{"--output-tps-jitter", "5"}, "--output-tps-jitter 5: output_tps_jitter: set without output_tps"},
		{"stream rates add up over 1", []string{"--stream-error-rate", "0.6", "--stream-stall-rate", "0.6"}, "--stream-stall-rate 0.6: stream_stall_rate: stream_error_rate + stream_close_rate + stream_stall_rate = 1.2 exceeds 1"},
	}
	checkUsageErrors(t, runMockCLI, []string{"mock"}, tests)
	code, out, _ := runMockCLI(context.Background(), "probe", "--help")
	assert.Equal(t, exitOK, code)
	for _, flag := range genFlagNames {
		assert.Contains(t, out, "--"+flag+" ", "probe --target mock takes the generation flags")
	}
}

func TestGenerationSummary(t *testing.T) {
	cfg, err := mockConfigOf(t)
	require.NoError(t, err)
	assert.Empty(t, generationSummary(cfg), "instant replies: no line")
	cfg, err = mockConfigOf(t, "--ttft", "800ms", "--ttft-jitter", "300ms", "--output-tps", "60", "--stream-close-rate", "0.05")
	require.NoError(t, err)
	assert.Equal(t, "generation: time to first token 800ms ± 300ms, 60 output tokens/s, 5% of streams are cut off", generationSummary(cfg))
}
