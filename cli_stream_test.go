package main

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/testutil"
)

// TestStreamProbeFaults: a streamed probe against the embedded mock with stream faults records
// each failure as its own outcome, counted in totals.stream_errors and the streaming section.
func TestStreamProbeFaults(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(context.Background(), "probe", "--target", "mock", "--stream", "--rate", "40/s", "--duration", "1s",
		"--ttft", "20ms", "--output-tps", "1000", "--rpm", "6000", "--stream-error-rate", "0.3", "--stream-close-rate", "0.3",
		"--stream-stall-rate", "0.2", "--stream-idle-timeout", "200ms", "--seed", "5", "--out", dir, "--quiet", "--yes")
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, dir)
	require.NotNil(t, s.Streaming)
	require.NotNil(t, s.Totals.StreamErrors)
	kinds := map[string]int64{}
	for _, f := range s.Streaming.Failures {
		kinds[f.Kind] = f.Count
	}
	assert.Positive(t, kinds["overloaded_error"])
	assert.Positive(t, kinds["closed"])
	assert.Positive(t, kinds["stalled"])
	assert.Equal(t, kinds["overloaded_error"]+kinds["closed"]+kinds["stalled"], *s.Totals.StreamErrors)
	assert.Equal(t, s.Totals.Attempts, s.Totals.OK+s.Totals.RateLimited+s.Totals.Overloaded+s.Totals.Errors+*s.Totals.StreamErrors)
	assert.Equal(t, s.Streaming.Completed, s.Totals.OK)
	// TTFT from the scheduled time includes the sender's lateness: never below TTFT from send,
	// which is never below the mock's --ttft.
	require.NotNil(t, s.Streaming.TTFT)
	require.NotNil(t, s.Streaming.TTFTFromScheduled)
	assert.GreaterOrEqual(t, s.Streaming.TTFTFromScheduled.P50, s.Streaming.TTFT.P50)
	assert.GreaterOrEqual(t, s.Streaming.TTFTFromScheduled.P99, s.Streaming.TTFT.P99)
	assert.GreaterOrEqual(t, s.Streaming.TTFT.P50, 0.020, "the mock's --ttft 20ms")

	csvKinds := map[string]int64{}
	for _, row := range readCSV(t, dir) {
		assert.Equal(t, "true", row["stream"], "every attempt of a --stream probe was streamed")
		if row["status"] == "200" {
			assert.NotEmpty(t, row["stream_ms"])
			assert.NotEmpty(t, row["stream_events"])
		}
		if k := row["stream_error"]; k != "" {
			csvKinds[k]++
		}
	}
	assert.Equal(t, kinds, csvKinds, "attempts.csv names the same mid-stream failures as summary.json")
	testutil.AssertRerender(t, dir)
}

// readCSV reads dir/attempts.csv as one map per row, keyed by the header.
func readCSV(t *testing.T, dir string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "attempts.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	out := make([]map[string]string, 0, len(rows)-1)
	for _, r := range rows[1:] {
		m := make(map[string]string, len(r))
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestStreamPerComparePhase: a compare phase's stream overrides the workload's, so one scenario
// runs streamed and non-streamed traffic side by side (here in virtual time).
func TestStreamPerComparePhase(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`mock:
  ttft: 100ms
  output_tps: 200
workload:
  max_tokens: 40
phases:
  - compare: {strategies: [anthropic-sdk], clients: [4], requests: 3, mode: sim, stream: true}
  - compare: {strategies: [full-jitter], clients: [4], requests: 3, mode: sim}
`), 0o644))
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(context.Background(), "run", file, "--quiet", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, out)
	require.Len(t, s.Strategies, 2)
	streamed, plain := s.Strategies[0], s.Strategies[1]
	require.NotNil(t, streamed.TTFT.V)
	assert.InDelta(t, 0.1, streamed.TTFT.V.P50, 0.001, "the mock's ttft in virtual time")
	assert.False(t, plain.TTFT.On, "the non-streamed phase has no stream figures")
	require.NotNil(t, plain.Latency)
	assert.InDelta(t, 0.1+39.0/200, plain.Latency.P50, 0.01, "a non-streamed body arrives with its last token")

	// report.md's Streaming section and its capacity finding from the generation time: 0.1 s
	// to the first token, 39 more at 200/s; the mock's advertised 8,000 output tokens/min.
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "\n## Streaming\n")
	assert.Contains(t, string(md), "| anthropic-sdk (sim, 4 clients) | 12 | 12 | 0 | 0.1 s |")
	assert.Contains(t, string(md), "a stream holds its slot 0.295 s")
	assert.Contains(t, string(md), "limit of 8,000/min sustains 200 requests/min, i.e. about 1 concurrent stream (")
	for _, png := range []string{"ttft.png", "tokens.png"} {
		assert.FileExists(t, filepath.Join(out, png))
		assert.Contains(t, string(md), "]("+png+")")
	}

	// attempts.csv has the stream columns (the scenario streams in one phase); the other phase's
	// rows say stream false with the stream cells empty.
	rows := readCSV(t, out)
	require.Len(t, rows, 24)
	for _, row := range rows {
		switch row["strategy"] {
		case "anthropic-sdk":
			assert.Equal(t, "true", row["stream"])
			assert.Equal(t, "100", row["ttft_ms"], "the mock's ttft in virtual time")
			assert.NotEmpty(t, row["stream_ms"])
			assert.Equal(t, "40", row["output_tokens"])
		case "full-jitter":
			assert.Equal(t, "false", row["stream"])
			for _, c := range []string{"ttft_ms", "stream_ms", "stream_events", "stream_error"} {
				assert.Empty(t, row[c], "%s of a non-streamed attempt", c)
			}
		default:
			t.Errorf("row of strategy %q", row["strategy"])
		}
	}
	testutil.AssertRerender(t, out)
}

// TestProxyStreamCSV: traffic the proxy recorded with streamed replies has the stream fields
// (and attempts.csv the stream columns), as the probe records its own: a stream that completed,
// one that ended in an overloaded_error event and one cut mid-stream; the directory re-renders
// byte for byte.
func TestProxyStreamCSV(t *testing.T) {
	tests := []struct {
		name string
		set  func(*account.Config)
		want string
	}{
		{"completed", func(*account.Config) {}, ""},
		{"error event", func(c *account.Config) { c.StreamErrorRate = 1 }, "overloaded_error"},
		{"cut", func(c *account.Config) { c.StreamCloseRate = 1 }, "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := account.DefaultConfig()
			cfg.OutputTokens = 16
			tt.set(&cfg)
			up := startMock(t, cfg)
			dir := t.TempDir()
			p := startProxy(t, "--upstream", up, "--out", dir)
			for range 2 {
				req, err := http.NewRequest(http.MethodPost, p.base+"/v1/messages", strings.NewReader(
					`{"model":"claude-haiku-4-5","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`))
				require.NoError(t, err)
				req.Header.Set("X-Api-Key", "fake-stream-key")
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body) // a cut stream ends in an error here
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
			}
			require.Equal(t, exitOK, p.interrupt(t), "%s", p.stderr)
			rows := readCSV(t, dir)
			require.Len(t, rows, 2)
			for _, row := range rows {
				assert.Equal(t, "true", row["stream"])
				assert.Equal(t, "200", row["status"])
				assert.NotEmpty(t, row["ttft_ms"])
				assert.NotEmpty(t, row["stream_ms"])
				assert.NotEqual(t, "0", row["stream_events"])
				assert.Equal(t, tt.want, row["stream_error"])
				if tt.want == "" {
					assert.Equal(t, "ok", row["outcome"])
					assert.Equal(t, "16", row["output_tokens"])
				} else {
					assert.Equal(t, "stream_error", row["outcome"])
				}
			}
			testutil.AssertRerender(t, dir)
		})
	}
}
