package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
)

// writeTinyRun writes a three-attempt run into dir.
func writeTinyRun(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, record.WriteRun(dir, &record.Run{Command: "probe", ToolVersion: Version, Seed: 1,
		Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Target: record.Target{API: "http", URL: "http://127.0.0.1:1/"}, DurationS: 2}))
	w, err := record.Create(dir)
	require.NoError(t, err)
	for i, status := range []int{200, 429, 200} {
		require.NoError(t, w.Write(&record.Attempt{Run: "ramp", Request: int64(i + 1), Number: 1,
			Scheduled: time.Duration(i) * 500 * time.Millisecond, Sent: time.Duration(i) * 500 * time.Millisecond, Latency: 50 * time.Millisecond, Status: status, Final: true}))
	}
	require.NoError(t, w.Close())
}

// runReportCLI runs ratelab with args as runMockCLI does (an empty environment).
func runReportCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runMockCLI(context.Background(), args...)
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	writeTinyRun(t, dir)
	noLog := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(noLog, "run.json"), []byte(`{}`), 0o644))
	file := filepath.Join(dir, "run.json")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"renders", []string{"report", dir}, exitOK, "Report: " + filepath.Join(dir, "report.md"), ""},
		{"quiet", []string{"report", "--quiet", dir}, exitOK, "", ""},
		{"no DIR", []string{"report"}, exitUsage, "", "missing DIR"},
		{"two DIRs", []string{"report", dir, dir}, exitUsage, "", "one DIR expected"},
		{"DIR does not exist", []string{"report", filepath.Join(dir, "nope")}, exitUsage, "", "does not exist"},
		{"DIR is a file", []string{"report", file}, exitUsage, "", "is not a directory"},
		{"no run.json", []string{"report", t.TempDir()}, exitUsage, "", "run.json is missing"},
		{"no attempts.jsonl", []string{"report", noLog}, exitUsage, "", "attempts.jsonl is missing"},
		{"help", []string{"report", "--help"}, exitOK, "Usage: ratelab report [flags] DIR", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runReportCLI(t, tt.args...)
			assert.Equal(t, tt.wantCode, code, "stderr: %s", errOut)
			if tt.wantOut != "" {
				assert.Contains(t, out, tt.wantOut)
			} else if tt.wantCode == exitOK {
				assert.Empty(t, out)
			}
			if tt.wantErr != "" {
				assert.Contains(t, errOut, tt.wantErr)
			}
		})
	}
	for _, f := range []string{"summary.json", "report.md", "attempts.csv", "timeline.png"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
}
