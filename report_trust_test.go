package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/report"
)

// readmeSweep is the README's simulated client-count sweep.
var readmeSweep = []string{"compare", "--target", "mock", "--rpm", "50", "--mode", "sim", "--clients", "10,50,100", "--requests", "20",
	"--strategies", "exponential,full-jitter(cap=60s),decorrelated-jitter,retry-after,header-pacing"}

// TestReadmeSweepFigures runs the README's sweep (about 18,000 s of virtual time in a few
// seconds) and checks the figures issue 13 found wrong in it: the Duration is the wall-clock time
// and the virtual time is labelled apart (item 2); no simulated attempt is called an HTTP attempt
// (item 3); no worker count comes from the mock's 0 s latency and the peak columns say their
// units (item 4); every request that did not succeed has a reason (item 5); the terminal's last
// line is the recommendation (item 15). The report re-renders byte for byte.
func TestReadmeSweepFigures(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	code, stdout, stderr := runCLI(context.Background(), append(readmeSweep, "--out", dir)...)
	wall := time.Since(start).Seconds()
	require.Equal(t, exitOK, code, stderr)
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	require.NoError(t, err)
	s := readSummary(t, dir)

	// Item 2: Duration is wall-clock time; virtual time has its own row.
	m := regexp.MustCompile(`(?m)^\| Duration \| ([\d,.]+) s of wall-clock time`).FindSubmatch(md)
	require.NotNil(t, m, "report.md's Duration row:\n%s", md)
	dur, err := strconv.ParseFloat(strings.ReplaceAll(string(m[1]), ",", ""), 64)
	require.NoError(t, err)
	assert.LessOrEqual(t, dur, wall, "Duration %v s for a run of %.1f s wall time", dur, wall)
	require.NotNil(t, s.Totals.DurationS)
	require.NotNil(t, s.Totals.VirtualS)
	assert.Greater(t, *s.Totals.VirtualS, 10000.0, "the sweep covers hours of virtual time")
	assert.Regexp(t, `(?m)^\| Simulated time \| [\d,.]+ s \(\d+ h \d+ min\) of virtual time in 15 simulated segments`, string(md))

	// Item 3: simulated attempts are said to be simulated, never HTTP.
	assert.Zero(t, s.Totals.LiveAttempts)
	assert.Equal(t, s.Totals.Attempts, s.Totals.SimulatedAttempts)
	for _, text := range []string{string(md), stdout} {
		assert.NotRegexp(t, `[1-9][\d,]* (live )?HTTP attempts`, text)
	}
	assert.Contains(t, string(md), fmt.Sprintf("%s simulated attempts (virtual time, no HTTP request sent)", groupThousands(s.Totals.Attempts)))

	// Item 4: no Little's law from simulated responses; units in the headers.
	assert.NotContains(t, string(md), "Little's law")
	assert.Contains(t, string(md), "No concurrency is recommended: no live response time was measured")
	assert.Contains(t, string(md), "| peak attempts in 1 s | peak retries in 100 ms |")

	// Item 5: every request that did not succeed is explained.
	incomplete := 0
	for _, st := range s.Strategies {
		var n int64
		for _, r := range st.FailureReasons {
			n += r.Count
			assert.NotContains(t, r.Reason, "does not record why", st.Name)
		}
		assert.Equal(t, st.Requests-st.Succeeded, n, "%s ×%d: reasons for every request that did not succeed", st.Name, st.Clients)
		if n > 0 {
			incomplete++
			assert.Contains(t, string(md), st.Name+" (simulated, "+strconv.Itoa(st.Clients)+" clients): ")
		}
	}
	assert.Positive(t, incomplete, "at 100 clients some strategies give up (max-elapsed 15m)")

	// Item 15: the recommendation is the last line on the terminal.
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Equal(t, "Recommendation: Use header-pacing; pace all clients sharing the key at about 45 requests/min in total.", lines[len(lines)-1])
	assert.Contains(t, string(md), "**"+s.Recommendation+"**")

	testutil.AssertRerender(t, dir)
}

// TestFailuresNamedByKind (issue 13, item 8): HTTP 500s with an HTML body are named by status
// and content type in the findings, as refused connections are named by their error.
func TestFailuresNamedByKind(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%2 == 0 {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	code, _, stderr := runCLI(context.Background(), "probe", "--target", srv.URL+"/search", "--api", "http",
		"--rate", "100/s", "--duration", "300ms", "--out", dir, "--quiet")
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, dir)
	require.Positive(t, s.Totals.Errors)
	assert.Equal(t, []report.ErrorKind{{Error: "HTTP 500 text/html", Count: s.Totals.Errors}}, s.Totals.ErrorKinds)
	assert.Contains(t, strings.Join(s.Findings, "\n"), fmt.Sprintf("Failures by kind: %d × HTTP 500 text/html.", s.Totals.Errors))
}

// groupThousands writes n with comma separators, as the report does.
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
