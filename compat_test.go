package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/record"
)

// compatDirs are run directories written by ratelab's binary as it was when the package layout of
// issue 14 began (testdata/compat/README.md says how): a simulated scenario with thresholds, a
// live-and-simulated compare, a live discovery, an interrupted probe and a budget stop. Their
// charts are kept as SHA-256 sums (charts.sha256), not as images.
func compatDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "compat", "*", record.AttemptsFile))
	require.NoError(t, err)
	require.NotEmpty(t, dirs, "testdata/compat holds no run directory")
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

// TestReportRerendersFrozenDirs: `ratelab report DIR` re-renders each frozen directory byte for
// byte: summary.json, report.md, attempts.csv, and every chart.
func TestReportRerendersFrozenDirs(t *testing.T) {
	for _, dir := range compatDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			re := testutil.CopyRun(t, dir)
			code, _, stderr := runCLI(context.Background(), "report", re)
			require.Equal(t, exitOK, code, stderr)
			testutil.AssertSameReport(t, dir, re)
			sums, err := os.ReadFile(filepath.Join(dir, "charts.sha256"))
			require.NoError(t, err)
			for line := range strings.Lines(string(sums)) {
				sum, name, ok := strings.Cut(strings.TrimSpace(line), "  ")
				require.True(t, ok, "charts.sha256 line %q", line)
				png, err := os.ReadFile(filepath.Join(re, name))
				require.NoError(t, err, "chart %s not drawn", name)
				h := sha256.Sum256(png)
				assert.Equal(t, sum, hex.EncodeToString(h[:]), "chart %s drawn differently", name)
			}
		})
	}
}

// TestAttemptsJSONLRoundTrip: every line of the frozen attempt logs reads back and writes out to
// the same bytes, so the Go side of the record (field types, times) keeps the file format.
func TestAttemptsJSONLRoundTrip(t *testing.T) {
	for _, dir := range compatDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join(dir, record.AttemptsFile))
			require.NoError(t, err)
			var out bytes.Buffer
			w := record.NewWriter(&out)
			require.NoError(t, record.Scan(bytes.NewReader(b), func(a *record.Attempt) error { return w.Write(a) }))
			require.NoError(t, w.Flush())
			in, again := bufio.NewScanner(bytes.NewReader(b)), bufio.NewScanner(&out)
			in.Buffer(nil, 1<<20)
			again.Buffer(nil, 1<<20)
			for n := 1; in.Scan(); n++ {
				require.True(t, again.Scan(), "line %d was dropped", n)
				require.Equal(t, in.Text(), again.Text(), "line %d", n)
			}
			assert.False(t, again.Scan(), "lines were added")
		})
	}
}
