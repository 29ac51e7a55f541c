package mockserver

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
)

// TestNodeSDKs runs the conformance suite of the official Node SDKs (conformance/node:
// @anthropic-ai/sdk, openai with its AzureOpenAI client, @google/genai) against mocks started
// here, one per configuration below, named in RATELAB_MOCKS. Each test there uses keys of its
// own, so the budgets (one per key) and /_ratelab/stats counts of one do not touch another's.
// Without node or the suite's node_modules it skips, naming what is missing;
// RATELAB_REQUIRE_NODE=1 (set by .ci/run) makes that a failure.
func TestNodeSDKs(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "conformance", "node"))
	require.NoError(t, err)
	node, err := exec.LookPath("node")
	if err != nil {
		nodeMissing(t, "node (Debian package nodejs) is not installed")
	}
	if v, err := exec.Command(node, "-p", "process.versions.node").Output(); err != nil {
		nodeMissing(t, "node does not run: "+err.Error())
	} else if major, _, _ := strings.Cut(strings.TrimSpace(string(v)), "."); atoi(major) < 20 {
		nodeMissing(t, "node "+strings.TrimSpace(string(v))+" is older than the 20 the pinned SDKs need")
	}
	for _, pkg := range []string{"@anthropic-ai/sdk", "openai", "@google/genai"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			nodeMissing(t, "the npm package "+pkg+" is not installed: run npm ci in conformance/node")
		}
	}
	// Reading the test files makes go test's cache see a change to them.
	files, err := filepath.Glob(filepath.Join(dir, "test", "*.test.js"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range append(files, filepath.Join(dir, "test", "mocks.js"), filepath.Join(dir, "package-lock.json")) {
		_, err := os.ReadFile(f)
		require.NoError(t, err)
	}

	mocks := map[string]string{}
	for name, start := range map[string]func() *Server{
		"default": func() *Server { _, s := startMock(t, nil); return s },
		"stream":  func() *Server { _, s := startMock(t, streamed(nil)); return s },
		"stream-error": func() *Server {
			_, s := startMock(t, streamed(func(c *account.Config) { c.StreamErrorRate = 1 }))
			return s
		},
		"anthropic": func() *Server { return startPreset(t, "anthropic", streamed(nil)) },
		"anthropic-1r2s": func() *Server {
			return startPreset(t, "anthropic", oneEveryTwoSeconds)
		},
		"openai":      func() *Server { return startPreset(t, "openai", streamed(nil)) },
		"openai-1r2s": func() *Server { return startPreset(t, "openai", oneEveryTwoSeconds) },
		"openai-quota": func() *Server {
			return startPreset(t, "openai", func(c *account.Config) {
				c.TerminalAfter, c.TerminalCause = 1, account.CauseInsufficientQuota
			})
		},
		"overloaded": func() *Server { _, s := startMock(t, func(c *account.Config) { c.OverloadRate = 1 }); return s },
		"anthropic-spend": func() *Server {
			return startPreset(t, "anthropic", func(c *account.Config) {
				c.TerminalAfter, c.TerminalCause = 1, account.CauseSpendCap
			})
		},
		"azure":       func() *Server { return startPreset(t, "azure-openai", streamed(nil)) },
		"azure-1r2s":  func() *Server { return startPreset(t, "azure-openai", oneEveryTwoSeconds) },
		"gemini":      func() *Server { return startPreset(t, "gemini", streamed(nil)) },
		"gemini-1rpm": func() *Server { return startPreset(t, "gemini", rpm(1)) },
	} {
		mocks[name] = start().URL()
	}
	env, err := json.Marshal(mocks)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RATELAB_MOCKS="+string(env), "RATELAB_REPLY_TEXT="+replyText, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("node --test:\n%s", tail(string(out), 12))
}

// oneEveryTwoSeconds admits one request per 2 s per pool (a bucket of 1 refilling at 30/min):
// a second request right after the first is refused even on a loaded machine.
func oneEveryTwoSeconds(c *account.Config) {
	for i := range c.Provider.Classes {
		c.Provider.Classes[i].Limits.Requests = account.Limit{PerMinute: 30, Burst: ptr(int64(1))}
	}
}

// nodeMissing skips the test, or fails it when RATELAB_REQUIRE_NODE=1.
func nodeMissing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("RATELAB_REQUIRE_NODE") == "1" {
		t.Fatal(why + " (RATELAB_REQUIRE_NODE=1)")
	}
	t.Skip(why)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// atoi is s as a whole number, 0 when it is none.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
