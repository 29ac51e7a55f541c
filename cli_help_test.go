package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
)

// TestHelp: every command's help has a usage line, a description, examples (but version's),
// every flag in a titled group with its value and default, plain boolean flags, and lines
// wrapped at helpWidth (but example commands).
func TestHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(context.Background(), c.name, "--help")
			require.Equal(t, exitOK, code, stderr)
			assert.True(t, strings.HasPrefix(out, "Usage: ratelab "+c.name), out)
			paras := strings.Split(out, "\n\n")
			require.GreaterOrEqual(t, len(paras), 2)
			assert.Greater(t, len(paras[1]), 40, "a description follows the usage line")
			if c.name != "version" {
				assert.Contains(t, out, "\nExamples:\n  # ")
				assert.Contains(t, out, "\n  ratelab "+c.name)
			}
			assert.NotContains(t, out, "[=true|false]", "booleans render as plain --flag")
			assert.NotContains(t, out, "Other flags:", "every flag is in a group")
			assert.NotContains(t, out, "0s)", "durations without trailing zero units")
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "  ratelab ") || strings.HasPrefix(line, "  curl ") {
					continue // an example command is kept whole, to copy
				}
				assert.LessOrEqual(t, cols(line), helpWidth, "line too long: %q", line)
			}
		})
	}
}

// TestHelpFlags: the flags render with their value placeholders and defaults, --addr only where
// it does something (ratelab mock), and the units of --rate are stated.
func TestHelpFlags(t *testing.T) {
	tests := []struct {
		cmd     string
		want    []string
		notWant []string
	}{
		{"probe", []string{"\n  --quiet  ", "\n  --find  ", "--rate N/s ", "a bare number N means N/s", "--duration DURATION ",
			"--target mock|URL ", "(default mock)", "--timeout DURATION ", "(default 1m)", "--start-rate N/s ", "(default 1/s)",
			"\nEmbedded mock limits (with --target mock):\n", "--rpm N ", "5xx statuses for 10 s and 5 attempts", "130 interrupted"},
			[]string{"--addr", "--stages  "}},
		{"compare", []string{"--strategies LIST ", "--clients N[,N…] ", "(default 10)", "--rate N/s ", "a bare number N means N/s",
			"\nComparison:\n", "--list  "}, []string{"--addr", "--find", "--stages", "--start-rate", "--strategy "}},
		{"mock", []string{"--addr HOST:PORT ", "(default 127.0.0.1:8080)", "\nExamples:\n", "ratelab mock --addr"}, nil},
		{"report", []string{"\n  --quiet    print nothing but errors\n", "\n  --out DIR  with --merge", "Usage: ratelab report [flags] DIR\n"}, nil},
		{"run", []string{"--max-duration DURATION ", "--out DIR "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			_, out, _ := runCLI(context.Background(), tt.cmd, "--help")
			for _, w := range tt.want {
				assert.True(t, strings.Contains(out, w), "%s --help lacks %q", tt.cmd, w)
			}
			for _, w := range tt.notWant {
				assert.False(t, strings.Contains(out, w), "%s --help has %q", tt.cmd, w)
			}
		})
	}
}

// TestReportHelpWrapped: report's description is wrapped, not one line (it was 180 columns).
func TestReportHelpWrapped(t *testing.T) {
	_, out, _ := runCLI(context.Background(), "report", "--help")
	about := strings.Split(out, "\n\n")[1]
	assert.GreaterOrEqual(t, strings.Count(about, "\n"), 2, about)
}

// TestFlagValues: a flag given a value it cannot take says so, naming it, instead of a
// misleading message ("needs --duration" for --duration -3s) or a silent default.
func TestFlagValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative duration", []string{"probe", "--rate", "5/s", "--duration", "-3s"}, "--duration -3s: want a positive duration such as 30s"},
		{"zero duration", []string{"probe", "--rate", "5/s", "--duration", "0s"}, "--duration 0s: want a positive duration such as 30s"},
		{"no duration", []string{"probe", "--rate", "5/s"}, "--rate 5/s needs --duration, e.g. --duration 30s"},
		{"compare negative duration", []string{"compare", "--rate", "5/s", "--duration", "-1s"}, "--duration -1s: want a positive duration such as 1m"},
		{"compare zero duration", []string{"compare", "--rate", "5/s", "--duration", "0"}, "--duration 0s: want a positive duration such as 1m"},
		{"zero max tokens", []string{"probe", "--rate", "5/s", "--duration", "1s", "--max-tokens", "0"}, "--max-tokens 0: want at least 1 token"},
		{"zero prompt tokens", []string{"compare", "--prompt-tokens", "0"}, "--prompt-tokens 0: want at least 1 token"},
		{"zero window", []string{"probe", "--rate", "5/s", "--duration", "1s", "--window", "0"}, "--window 0s: want a positive duration such as 1m or 5s"},
		{"mock zero window", []string{"mock", "--window", "0s"}, "--window 0s: want a positive duration"},
		{"negative timeout", []string{"probe", "--rate", "5/s", "--duration", "1s", "--timeout", "-1s"}, "--timeout -1s: want a positive duration"},
		{"negative max duration", []string{"run", "quickstart", "--max-duration", "-1s"}, "ratelab: run: --max-duration: must not be negative (0 means no limit)\n"},
		{"negative think", []string{"compare", "--think", "-1s"}, "--think -1s: want a duration ≥ 0"},
		{"negative rest", []string{"compare", "--rest", "-1s"}, "--rest -1s: want a duration ≥ 0"},
		{"too many clients", []string{"compare", "--clients", "200000"}, "--clients \"200000\": want client counts from 1 to 100000"},
		{"zero requests", []string{"compare", "--requests", "0"}, "--requests 0: want at least 1"},
		{"rate without units", []string{"probe", "--rate", "fast", "--duration", "1s"}, "want hits per time unit such as 20/s, 1200/m, 5/500ms, or a bare number per second"},
		{"addr is the mock command's", []string{"probe", "--addr", "127.0.0.1:9"}, "probe: unknown flag: --addr"},
		{"compare has no addr either", []string{"compare", "--addr", "127.0.0.1:9"}, "compare: unknown flag: --addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(context.Background(), tt.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
}

// TestBareRateIsPerSecond: --rate 20 is documented to mean 20/s, and does.
func TestBareRateIsPerSecond(t *testing.T) {
	counts := map[string]int{}
	for _, rate := range []string{"20", "20/s"} {
		out := filepath.Join(t.TempDir(), "run")
		code, _, stderr := runCLI(context.Background(), "probe", "--target", "mock", "--rpm", "6000",
			"--rate", rate, "--duration", "500ms", "--quiet", "--out", out)
		require.Equal(t, exitOK, code, stderr)
		require.NoError(t, record.ScanFile(out, func(*record.Attempt) error { counts[rate]++; return nil }))
	}
	assert.Equal(t, 10, counts["20"])
	assert.Equal(t, counts["20/s"], counts["20"])
}
