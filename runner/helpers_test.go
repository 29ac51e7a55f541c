package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/scenario"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeKey is a recognisable fake API key that must appear in no output.
const fakeKey = "fake-RUNNER-SECRET-31337"

// load resolves a scenario from YAML with the real hooks, writing into a fresh directory.
func load(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Load("test.yaml", []byte(src))
	require.NoError(t, err)
	s.Output.Dir = filepath.Join(t.TempDir(), "run")
	return s
}

// outcome is what one run returned and printed.
type outcome struct {
	res            *Result
	err            error
	stdout, stderr string
}

// run executes s with the fake key in every key variable and stdin not a terminal.
func run(ctx context.Context, s *scenario.Scenario) outcome {
	var out, errb testutil.SyncBuffer
	res, err := Run(ctx, s, Options{
		Version: "test", Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			if strings.HasSuffix(k, "_API_KEY") || k == "MY_KEY" {
				return fakeKey
			}
			return ""
		},
	})
	return outcome{res: res, err: err, stdout: out.String(), stderr: errb.String()}
}

// attempts reads dir's attempt log, checking that it holds whole lines only.
func attempts(t *testing.T, dir string) []record.Attempt {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, record.AttemptsFile))
	require.NoError(t, err)
	if len(b) > 0 {
		require.True(t, bytes.HasSuffix(b, []byte("\n")), "the log ends with a whole line")
	}
	var out []record.Attempt
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		require.True(t, json.Valid(line), "line %d is not a JSON object: %q", i+1, line)
	}
	require.NoError(t, record.ScanFile(dir, func(a *record.Attempt) error { out = append(out, *a); return nil }))
	return out
}

// readSummary reads dir/summary.json as written.
func readSummary(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, report.SummaryFile))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// countdownCtx is a context that reports itself cancelled once its Err has been asked n
// times: an interrupt at an exact point of a simulated run, which checks Err as it goes.
type countdownCtx struct {
	context.Context
	mu   sync.Mutex
	left int
	done chan struct{}
}

func newCountdownCtx(n int) *countdownCtx {
	c := &countdownCtx{Context: context.Background(), left: n, done: make(chan struct{})}
	if n <= 0 {
		close(c.done)
	}
	return c
}

func (c *countdownCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left > 0 {
		c.left--
		if c.left == 0 {
			close(c.done)
		}
		return nil
	}
	return context.Canceled
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }
