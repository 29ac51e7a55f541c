// Package testutil holds test helpers shared by the command's and the runner's tests: a
// goroutine-safe output buffer, the check of a completed run's run.json, and the check that a
// run's report re-renders identically from its attempt log. Only tests import it.
package testutil

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
)

// SyncBuffer is a bytes.Buffer safe for a progress goroutine writing and a test reading.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// AssertRerender checks that a report rendered from a copy of dir's run.json and
// attempts.jsonl writes the summary.json, report.md and attempts.csv the run wrote while it
// was recorded, byte for byte.
func AssertRerender(t *testing.T, dir string) {
	t.Helper()
	re := CopyRun(t, dir)
	_, err := report.Generate(re, report.Options{SkipCharts: true})
	require.NoError(t, err)
	AssertSameReport(t, dir, re)
}

// CopyRun copies the inputs of dir's report (run.json and attempts.jsonl) to a fresh directory
// and returns it.
func CopyRun(t *testing.T, dir string) string {
	t.Helper()
	re := t.TempDir()
	testcheck.CopyFiles(t, dir, re, "run.json", record.AttemptsFile)
	return re
}

// AssertSameReport checks that re holds the summary.json, report.md and attempts.csv of want,
// byte for byte.
func AssertSameReport(t *testing.T, want, re string) {
	t.Helper()
	for _, f := range []string{report.SummaryFile, report.MarkdownFile, report.CSVFile} {
		a, err := os.ReadFile(filepath.Join(want, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(re, f))
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), "%s re-rendered differently", f)
	}
}

// CompletedRun reads dir's run.json and checks that the run completed, as command, with seed, and
// against the embedded mock's default target (simulated: its virtual-time model took part).
func CompletedRun(t *testing.T, dir, command string, seed int64, simulated bool) *record.Run {
	t.Helper()
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.False(t, run.Partial)
	assert.Equal(t, "completed", run.StopReason)
	assert.Equal(t, command, run.Command)
	assert.Equal(t, seed, run.Seed)
	assert.Equal(t, record.Target{API: "anthropic", URL: "mock", Model: "claude-sonnet-4-5", Method: "POST",
		KeyEnv: "ANTHROPIC_API_KEY", Embedded: true, Simulated: simulated}, run.Target)
	return run
}

// AssertNoSecret checks that secret appears in no file under dir (none when dir is "") and in
// none of texts: a key must never reach an output file or the terminal.
func AssertNoSecret(t *testing.T, secret, dir string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		assert.NotContains(t, s, secret)
	}
	if dir == "" {
		return
	}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NotContains(t, string(b), secret, p)
		return nil
	}))
}
