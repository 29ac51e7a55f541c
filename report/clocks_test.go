package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/probe/record"
)

// TestDurationIsWallTime (issue 13, item 2): report.md's Duration is the wall-clock time the run
// took (run.json's ended − started), never the timeline of live and virtual time end to end; a
// run that simulated says its virtual time on a row of its own; a run.json without an end time
// says the wall time is unknown instead of inventing one.
func TestDurationIsWallTime(t *testing.T) {
	started := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sim := func(label string, start, end float64) record.Segment {
		return record.Segment{Label: label, Kind: "compare", Strategy: "s", Mode: record.ModeSim, Clients: 10, StartS: start, EndS: end}
	}
	tests := []struct {
		name        string
		run         record.Run
		duration    string // the Duration row's cell
		simulated   string // the Simulated time row's cell, "" when there is none
		wallJSON    *float64
		virtualJSON *float64
	}{
		{
			name: "a 6.5 s simulated sweep covering 18,312 s of virtual time",
			run: record.Run{Started: started, Ended: started.Add(6500 * time.Millisecond), DurationS: 18312,
				Segments: []record.Segment{sim("a", 0, 12000), sim("b", 12000, 18312)}},
			duration:  "6.5 s of wall-clock time",
			simulated: "18,312 s (5 h 5 min) of virtual time in 2 simulated segments (not wall-clock time)",
			wallJSON:  fp(6.5), virtualJSON: fp(18312),
		},
		{
			name: "a live run of 27.3 s",
			run: record.Run{Started: started, Ended: started.Add(27300 * time.Millisecond), DurationS: 27.3,
				Segments: []record.Segment{{Label: "ramp", Kind: "probe", Mode: record.ModeLive, StartS: 0, EndS: 27}}},
			duration: "27.3 s of wall-clock time",
			wallJSON: fp(27.3),
		},
		{
			name: "live and simulated: 28 s wall, 51.3 s on the timeline",
			run: record.Run{Started: started, Ended: started.Add(28 * time.Second), DurationS: 51.3,
				Segments: []record.Segment{{Label: "x/live/20", Kind: "compare", Mode: record.ModeLive, StartS: 0, EndS: 27.5}, sim("x/sim/20", 27.5, 51.3)}},
			duration:  "28 s of wall-clock time",
			simulated: "23.8 s of virtual time in 1 simulated segment (not wall-clock time)",
			wallJSON:  fp(28), virtualJSON: fp(23.8),
		},
		{
			name:     "an old run.json without an end time",
			run:      record.Run{Started: started, DurationS: 51.3},
			duration: "unknown: run.json records no end time (wall-clock time not measured)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			run := tt.run
			run.Command, run.StopReason = "compare", "completed"
			require.NoError(t, record.WriteRun(dir, &run))
			require.NoError(t, os.WriteFile(filepath.Join(dir, record.AttemptsFile), nil, 0o644))
			s, err := Generate(dir, Options{SkipCharts: true, SkipCSV: true})
			require.NoError(t, err)
			md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
			require.NoError(t, err)
			assert.Equal(t, tt.duration, row(md, "Duration"))
			assert.Equal(t, tt.simulated, row(md, "Simulated time"))
			assert.Equal(t, tt.wallJSON, s.Totals.DurationS)
			assert.Equal(t, tt.virtualJSON, s.Totals.VirtualS)
			assert.Equal(t, tt.run.DurationS, s.Totals.TimelineS)
		})
	}
}

// row returns the second cell of report.md's table row whose first cell is key, "" when none.
func row(md []byte, key string) string {
	m := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(key) + ` \| (.*) \|$`).FindSubmatch(md)
	if m == nil {
		return ""
	}
	return string(bytes.TrimSpace(m[1]))
}

func TestClockTime(t *testing.T) {
	for sec, want := range map[float64]string{0.5: "0.5 s", 41.2: "41.2 s", 119: "119 s", 187: "187 s (3 min 7 s)",
		3600: "3,600 s (1 h 0 min)", 18312: "18,312 s (5 h 5 min)"} {
		assert.Equal(t, want, clockTime(sec), "%v s", sec)
	}
}
