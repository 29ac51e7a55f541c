package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/record"
)

// TestRerenderIdentical is the contract behind `ratelab report DIR`: from run.json and
// attempts.jsonl alone, summary.json, report.md (and the charts) come out byte-identical.
func TestRerenderIdentical(t *testing.T) {
	for _, name := range fixtureNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := Options{SkipCharts: true} // TestCharts checks that the charts re-render identically
			orig := t.TempDir()
			fixtures[name].write(t, orig)
			_, err := Generate(orig, opts)
			require.NoError(t, err)
			compared := assertRerender(t, orig, opts)
			assert.GreaterOrEqual(t, compared, 5)
		})
	}
}

// assertRerender renders a report from a copy of dir's run.json and attempts.jsonl alone, with
// opts, and checks that each of files (every file in dir when none is named) comes out
// byte-identical to dir's; it returns how many files it compared.
func assertRerender(t *testing.T, dir string, opts Options, files ...string) int {
	t.Helper()
	again := t.TempDir()
	testcheck.CopyFiles(t, dir, again, "run.json", record.AttemptsFile)
	_, err := Generate(again, opts)
	require.NoError(t, err)
	if len(files) == 0 {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			files = append(files, e.Name())
		}
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(again, f))
		require.NoError(t, err, "%s missing from the re-render", f)
		assert.True(t, bytes.Equal(want, got), "%s differs after re-render", f)
	}
	return len(files)
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	fixtures["no-headers"].write(t, dir)
	_, err := Generate(dir, Options{SkipCharts: true})
	require.NoError(t, err)
	f, err := os.Open(filepath.Join(dir, CSVFile))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, "attempts.csv must be valid RFC 4180")
	require.NotEmpty(t, rows)
	assert.Equal(t, csvHeader, rows[0])
	n := 0
	require.NoError(t, record.ScanFile(dir, func(*record.Attempt) error { n++; return nil }))
	assert.Len(t, rows, n+1, "one row per attempt after the header")
	col := func(name string) int {
		for i, h := range rows[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	for _, r := range rows[1:] {
		assert.Empty(t, r[col("requests_remaining")], "no headers: empty cells, never 0")
		if r[col("client_rejected")] == "true" {
			assert.Equal(t, "client_rejected", r[col("outcome")])
		}
	}
}

func TestCSVQuoting(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, false)
	require.NoError(t, err)
	a := record.Attempt{Run: `a,"b"`, Error: "dial tcp: line1\nline2", Status: 0, Number: 1, Latency: 1500 * time.Microsecond}
	require.NoError(t, w.Write(&a))
	require.NoError(t, w.Flush())
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, `a,"b"`, rows[1][0])
	assert.Equal(t, "dial tcp: line1\nline2", rows[1][14])
	assert.Equal(t, "error", rows[1][13])
}

func TestGenerateErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Generate(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run.json")

	fixtures["probe"].write(t, dir)
	require.NoError(t, os.Remove(filepath.Join(dir, record.AttemptsFile)))
	_, err = Generate(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), record.AttemptsFile)

	require.NoError(t, os.WriteFile(filepath.Join(dir, record.AttemptsFile), []byte("{\"run\":1}\nnot json\n"), 0o644))
	_, err = Generate(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 1")
}

func TestJSONToYAML(t *testing.T) {
	got, err := jsonToYAML([]byte(`{"name":"q","n":"1","list":[1,2],"nested":{"b":true,"a":null}}`))
	require.NoError(t, err)
	assert.Equal(t, "name: q\nn: \"1\"\nlist:\n  - 1\n  - 2\nnested:\n  b: true\n  a: null\n", got, "key order kept, strings that look like numbers quoted")
}
