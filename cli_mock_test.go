package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// runMockCLI runs ratelab with args (an empty environment) and returns what it printed.
func runMockCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = runWithEnv(ctx, env, args)
	return code, out.String(), errb.String()
}

func TestMockHelp(t *testing.T) {
	code, out, _ := runMockCLI(context.Background(), "mock", "--help")
	assert.Equal(t, exitOK, code)
	for _, want := range []string{
		"--addr HOST:PORT", "(default 127.0.0.1:8080)", "--rpm N", "(default 50)", "--tpm N", "--itpm N", "(default 30000)",
		"--otpm N", "(default 8000)", "--algorithm NAME", "(default token-bucket)", "--window DURATION", "(default 1m)",
		"--burst N", "--dialect NAME", "--latency DURATION", "--latency-jitter DURATION", "--error-rate X", "--overload-rate X",
		"--count-rejected ", "--config FILE", "--output-tokens N", "--output-accounting MODE", "(default actual)",
		"--require-key ", "--max-accounts N", "(default 10000)", "--seed N", "Examples:\n  # ",
	} {
		assert.Contains(t, out, want)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestMockUsageErrors(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "limits:\n  requests:\n    per_minte: 5\n")
	tests := []usageCase{
		{"unknown config field", []string{"--config", bad}, bad + `:3:5: limits.requests: unknown field "per_minte"; did you mean "per_minute"?`},
		{"missing config", []string{"--config", "/nonexistent.yaml"}, "--config /nonexistent.yaml: open /nonexistent.yaml"},
		{"window too short", []string{"--window", "1s"}, "--window 1s: limits.requests.window: 50 per minute over a 1s window admits less than one unit per window"},
		{"rate too low for the window", []string{"--rpm", "30", "--window", "1s"}, "--window 1s: limits.requests.window"},
		{"algorithm", []string{"--algorithm", "bucket"}, `--algorithm: unknown algorithm "bucket": want one of token-bucket, leaky-bucket`},
		{"dialect", []string{"--dialect", "github"}, `--dialect github: dialect: unknown dialect "github"`},
		{"burst on a window", []string{"--algorithm", "fixed-window", "--burst", "5"}, "--burst 5: limits.requests.burst: set with fixed-window"},
		{"rates", []string{"--error-rate", "2"}, "--error-rate 2: error_rate: 2: want a probability between 0 and 1"},
		{"accounting", []string{"--output-accounting", "later"}, `--output-accounting later: output_accounting: unknown mode "later"`},
		{"argument", []string{"extra"}, `mock: unexpected argument "extra"`},
		{"counter rounding", []string{"--algorithm", "sliding-window", "--counter-rounding", "nearest"}, `--counter-rounding nearest: counter_rounding: unknown value "nearest": want one of floor, round-half-up, fractional`},
		{"window start without a fixed window", []string{"--window-start", "first-request"}, "--window-start first-request: window_start: set, but no limit runs fixed-window"},
		{"window start on a file's sliding log", []string{"--config", writeFile(t, "sl.yaml", "limits: {requests: {per_minute: 5, algorithm: sliding-log, window_start: first-request}}\n")},
			"limits.requests.window_start: set with sliding-log: window_start applies to fixed-window only"},
		{"reset rounding", []string{"--reset-rounding", "ceil"}, `--reset-rounding ceil: reset_rounding: unknown value "ceil": want one of up, truncate, fractional`},
		{"remaining rounding", []string{"--remaining-rounding", "round"}, `--remaining-rounding round: remaining_rounding: unknown value "round": want one of exact, thousands`},
		{"flag", []string{"--rpn", "5"}, "mock: unknown flag: --rpn"},
	}
	checkUsageErrors(t, runMockCLI, []string{"mock"}, tests)
}

// mockConfigOf parses args with the mock flags and returns the configuration.
func mockConfigOf(t *testing.T, args ...string) (account.Config, error) {
	t.Helper()
	fs := newFlagSet("mock", "", "")
	mf := addMockFlags(fs)
	require.NoError(t, fs.Parse(args))
	return mf.config()
}

func TestMockFlagsOverrideTheConfigFile(t *testing.T) {
	file := writeFile(t, "mock.yaml", `algorithm: fixed-window
limits:
  requests: {per_minute: 10, algorithm: sliding-log, window: 30s}
  input_tokens: {per_minute: 1000}
latency: 1s
count_rejected: true
`)
	cfg, err := mockConfigOf(t, "--config", file)
	require.NoError(t, err)
	assert.Equal(t, limiter.FixedWindow, cfg.Algorithm)
	assert.Equal(t, int64(10), cfg.Limits.Requests.PerMinute)
	assert.Equal(t, limiter.SlidingLog, cfg.Limits.Requests.Algorithm)
	assert.Equal(t, time.Second, cfg.Latency)
	assert.True(t, cfg.CountRejected)
	assert.Equal(t, int64(account.DefaultOTPM), cfg.Limits.OutputTokens.PerMinute, "what neither sets keeps its default")

	cfg, err = mockConfigOf(t, "--config", file, "--rpm", "20", "--algorithm", "gcra", "--window", "2m",
		"--burst", "7", "--latency", "0s", "--count-rejected=false", "--tpm", "500", "--dialect", "ietf",
		"--output-tokens", "4", "--output-accounting", "max_tokens", "--require-key", "--max-accounts", "3",
		"--error-rate", "0.1", "--overload-rate", "0.2", "--latency-jitter", "5ms", "--itpm", "2000", "--otpm", "300",
		"--reset-rounding", "truncate", "--remaining-rounding", "exact")
	require.NoError(t, err)
	assert.Equal(t, int64(20), cfg.Limits.Requests.PerMinute)
	assert.Equal(t, limiter.GCRA, cfg.Algorithm)
	assert.Empty(t, cfg.Limits.Requests.Algorithm, "--algorithm applies to every dimension")
	assert.Equal(t, 2*time.Minute, cfg.Window)
	assert.Zero(t, cfg.Limits.Requests.Window, "--window applies to every dimension")
	assert.Equal(t, int64(7), *cfg.Limits.Requests.Burst)
	assert.Zero(t, cfg.Latency)
	assert.False(t, cfg.CountRejected)
	assert.Equal(t, int64(500), cfg.Limits.Tokens.PerMinute)
	assert.Equal(t, int64(2000), cfg.Limits.InputTokens.PerMinute)
	assert.Equal(t, int64(300), cfg.Limits.OutputTokens.PerMinute)
	assert.Equal(t, "ietf", cfg.Dialect)
	assert.Equal(t, int64(4), cfg.OutputTokens)
	assert.Equal(t, account.AccountMaxTokens, cfg.OutputAccounting)
	assert.True(t, cfg.RequireKey)
	assert.Equal(t, 3, cfg.MaxAccounts)
	assert.Equal(t, 0.1, cfg.ErrorRate)
	assert.Equal(t, 0.2, cfg.OverloadRate)
	assert.Equal(t, 5*time.Millisecond, cfg.LatencyJitter)
	assert.Equal(t, ratelimit.ResetTruncate, cfg.ResetRounding)
	assert.Equal(t, ratelimit.RemainingExact, cfg.RemainingRounding)

	cfg, err = mockConfigOf(t, "--config", file, "--algorithm", "fixed-window", "--window-start", "first-request")
	require.NoError(t, err)
	assert.Equal(t, limiter.StartFirstRequest, cfg.WindowStart)
	cfg, err = mockConfigOf(t, "--algorithm", "sliding-window", "--counter-rounding", "round-half-up", "--window", "10s")
	require.NoError(t, err)
	assert.Equal(t, limiter.RoundHalfUp, cfg.CounterRounding)

	cfg, err = mockConfigOf(t)
	require.NoError(t, err)
	assert.Equal(t, account.DefaultConfig(), cfg, "no flags: the defaults")
}

// lineWriter passes each line written to it to a channel (dropping lines nobody waits for).
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case w.lines <- strings.TrimSpace(line):
		default:
		}
	}
}

func TestMockServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lineWriter{lines: make(chan string, 64)}
	var errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: out, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int)
	go func() {
		done <- runWithEnv(ctx, env, []string{"mock", "--addr", "127.0.0.1:0", "--rpm", "600", "--window", "5s", "--algorithm", "fixed-window"})
	}()
	first := <-out.lines
	require.True(t, strings.HasPrefix(first, "ratelab mock listening on http://127.0.0.1:"), first)
	url := strings.TrimPrefix(first, "ratelab mock listening on ")
	var printed []string
	for line := range out.lines {
		printed = append(printed, line)
		if strings.HasPrefix(line, "headers:") {
			break
		}
	}
	assert.Contains(t, printed, "requests: 50 per 5s (fixed-window, 600/min)")

	res, err := http.Post(url+"/v1/messages", "application/json", strings.NewReader(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}]}`))
	require.NoError(t, err)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	// 50 per 5 s window, and Anthropic's limit header says it per minute, as Anthropic does.
	assert.Equal(t, "600", res.Header.Get("anthropic-ratelimit-requests-limit"))
	assert.Equal(t, "49", res.Header.Get("anthropic-ratelimit-requests-remaining"))

	cancel() // SIGINT/SIGTERM
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("ratelab mock did not stop")
	}
	assert.Equal(t, "ratelab mock stopped", <-out.lines)
}

func TestMockAddressInUse(t *testing.T) {
	srv := testutil.StartMock(t, account.DefaultConfig())
	code, _, errOut := runMockCLI(context.Background(), "mock", "--addr", srv.Addr)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "mock: listen on "+srv.Addr)
}
