package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/record"
)

// probeKey is a recognisable fake key that must appear in no output.
const probeKey = "fake-probe-key-SECRET-90210"

// runCLI runs ratelab with args, the fake key in the environment and stdin not a terminal.
func runCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb testutil.SyncBuffer
	env := &cliEnv{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string {
			if k == "ANTHROPIC_API_KEY" || k == "OPENAI_API_KEY" || k == "MY_KEY" {
				return probeKey
			}
			return ""
		},
	}
	code = runWithEnv(ctx, env, args)
	return code, out.String(), errb.String()
}

func TestProbeUsageErrors(t *testing.T) {
	checkUsageErrors(t, runCLI, []string{"probe"}, []usageCase{
		{"find with a rate", []string{"--find", "--rate", "1/s", "--duration", "1s"}, "--find sets its own load"},
		{"find-ramp with a rate", []string{"--find-ramp", "--rate", "1/s", "--duration", "1s"}, "--find-ramp and --find-cost-cap go with discovery"},
		{"find-cost-cap below 1", []string{"--find-cost-cap", "0.5"}, "want 0 (no cap) or a factor of at least 1"},
		{"duration without a rate", []string{"--duration", "1s"}, "--find stops by itself"},
		{"find with a strategy", []string{"--find", "--strategy", "full-jitter"}, "--strategy does not apply to --find"},
		{"rate and stages", []string{"--rate", "1/s", "--duration", "1s", "--stages", "1s:2/s"}, "not both"},
		{"rate without duration", []string{"--rate", "5/s"}, "--rate 5/s needs --duration"},
		{"bad rate", []string{"--rate", "fast", "--duration", "1s"}, `--rate: invalid rate "fast"`},
		{"zero rate", []string{"--rate", "0/s", "--duration", "1s"}, "want a positive rate"},
		{"bad stages", []string{"--stages", "30s"}, "30s:5/s"},
		{"duration with stages", []string{"--stages", "1s:2/s", "--duration", "1s"}, "--duration goes with --rate"},
		{"bad start rate", []string{"--stages", "1s:2/s", "--start-rate", "x"}, "--start-rate"},
		{"bad api", []string{"--rate", "1/s", "--duration", "1s", "--api", "grpc"}, "unknown api"},
		{"bad strategy", []string{"--rate", "1/s", "--duration", "1s", "--strategy", "nope"}, "--strategy"},
		{"mock flag without mock", []string{"--target", "http://127.0.0.1:1/", "--rpm", "5", "--rate", "1/s", "--duration", "1s"}, "--rpm configures the embedded mock"},
		{"bad header", []string{"--target", "http://127.0.0.1:1/", "--header", "novalue", "--rate", "1/s", "--duration", "1s"}, "want NAME:VALUE"},
		{"bad target", []string{"--target", "ftp://x", "--rate", "1/s", "--duration", "1s"}, "want mock or an http(s) URL"},
		{"model needed", []string{"--target", "https://api.anthropic.com", "--rate", "1/s", "--duration", "1s"}, "--model is required"},
		{"key env unset", []string{"--target", "https://api.anthropic.com", "--model", "m", "--api-key-env", "NOPE", "--rate", "1/s", "--duration", "1s"}, "--api-key-env NOPE: the variable is not set"},
		{"stray argument", []string{"extra", "--rate", "1/s", "--duration", "1s"}, `unexpected argument "extra"`},
	})
}

func TestProbeRefusesRemoteHostWithoutTerminal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	// .invalid never resolves (RFC 6761), and the refusal comes before any connection anyway.
	code, stdout, stderr := runCLI(context.Background(), "probe", "--target", "https://api.example.invalid", "--model", "m",
		"--rate", "1/s", "--duration", "30s", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "pass --yes")
	assert.Contains(t, stderr, "api.example.invalid")
	assert.NoDirExists(t, out, "nothing was started")
	testutil.AssertNoSecret(t, "SECRET", "", stdout, stderr)
}

func TestProbeAgainstEmbeddedMock(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(context.Background(), "probe", "--target", "mock", "--rpm", "600", "--burst", "3",
		"--rate", "50/s", "--duration", "200ms", "--out", out, "--seed", "3")
	require.Equal(t, exitOK, code, stderr)

	run := testutil.CompletedRun(t, out, "probe", 3, false)
	assert.Equal(t, "50/s", run.Workload.Rate)
	assert.NotEmpty(t, run.Mock)
	require.NotEmpty(t, run.Known)
	assert.Equal(t, record.KnownLimit{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 600, Burst: 3, WindowS: 60}, run.Known[0])
	require.Len(t, run.Segments, 1)

	var recs []record.Attempt
	require.NoError(t, record.ScanFile(out, func(a *record.Attempt) error { recs = append(recs, *a); return nil }))
	require.Len(t, recs, 10)
	var ok, limited int
	for _, a := range recs {
		switch a.Status {
		case 200:
			ok++
		case 429:
			limited++
		}
		assert.Equal(t, int64(600), a.Limits[0].Limit)
	}
	// A bucket of 3 refilled at 10/s admits the first 3 hits and then about one per 100ms:
	// between 3 and 3 + 10/s × 0.2s.
	assert.GreaterOrEqual(t, ok, 3)
	assert.LessOrEqual(t, ok, 5)
	assert.Equal(t, 10, ok+limited)
	assert.Contains(t, stdout, "429 rate limited")
	assert.Contains(t, stdout, "Last-seen limits (anthropic headers)")
	assert.NotContains(t, stderr, "\x1b", "no escape codes when stderr is not a terminal")
	assert.NotContains(t, stderr, "sent 0", "no progress line either")
	testutil.AssertNoSecret(t, "SECRET", out, stdout, stderr)
}

func TestProbeQuietHTTPTarget(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.Header.Get("X-Team")+" "+r.Header.Get("Authorization")+" "+string(b))
		mu.Unlock()
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "99")
	}))
	defer srv.Close()
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body.json")
	require.NoError(t, os.WriteFile(bodyFile, []byte(`{"q":1}`), 0o644))
	out := filepath.Join(dir, "run")
	code, stdout, stderr := runCLI(context.Background(), "probe", "--target", srv.URL+"/search", "--header", "X-Team: probe",
		"--body", "@"+bodyFile, "--api-key-env", "MY_KEY", "--rate", "100/s", "--duration", "50ms", "--out", out, "--quiet")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout, "--quiet prints no table")
	mu.Lock()
	require.Len(t, got, 5)
	assert.Equal(t, `POST probe Bearer `+probeKey+` {"q":1}`, got[0])
	mu.Unlock()
	run, err := record.ReadRun(out)
	require.NoError(t, err)
	assert.Equal(t, "http", run.Target.API)
	assert.Equal(t, "MY_KEY", run.Target.KeyEnv)
	assert.Equal(t, srv.URL+"/search", run.Target.URL)
	testutil.AssertNoSecret(t, "SECRET", out, stdout, stderr)
}

func TestProbeInterrupt(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 3 {
			cancel() // Ctrl-C while this request is in flight
		}
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	code, _, stderr := runCLI(ctx, "probe", "--target", srv.URL, "--rate", "20/s", "--duration", "10s", "--out", out, "--quiet")
	assert.Equal(t, exitInterrupted, code, stderr)
	assert.Contains(t, stderr, "interrupted; partial results written")
	run, err := record.ReadRun(out)
	require.NoError(t, err)
	assert.True(t, run.Partial)
	assert.Equal(t, "interrupted", run.StopReason)
	b, err := os.ReadFile(filepath.Join(out, record.AttemptsFile))
	require.NoError(t, err)
	assert.True(t, bytes.HasSuffix(b, []byte("\n")), "whole lines only")
	lines := bytes.Count(b, []byte("\n"))
	assert.Equal(t, int64(lines), n.Load(), "the attempt in flight at the interrupt finished within the grace and was recorded")
	assert.Less(t, lines, 10, "scheduling stopped at the interrupt")
}
