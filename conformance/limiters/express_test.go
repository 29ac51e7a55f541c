//go:build limiters

package limiters

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startExpress runs conformance/node/servers/express-rate-limit.js (npm packages express and
// express-rate-limit, pinned in conformance/node) with limit requests per window and the given
// standardHeaders, and returns its URL; it stops in t.Cleanup.
func startExpress(t *testing.T, limit int, window time.Duration, headers string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		nodeMissing(t, "node is not installed (apt-get install nodejs npm): the express-rate-limit conformance test needs it")
	}
	dir, err := filepath.Abs(filepath.Join("..", "node"))
	require.NoError(t, err)
	for _, pkg := range []string{"express", "express-rate-limit"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			nodeMissing(t, "the npm package "+pkg+" is not installed: run npm ci --ignore-scripts in conformance/node")
		}
	}
	cmd := exec.Command(node, filepath.Join(dir, "servers", "express-rate-limit.js"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("RATELAB_LIMIT=%d", limit),
		fmt.Sprintf("RATELAB_WINDOW_MS=%d", window.Milliseconds()), "RATELAB_HEADERS="+headers)
	stdin, err := cmd.StdinPipe() // the server exits when this closes
	require.NoError(t, err)
	t.Cleanup(func() { _ = stdin.Close() })
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	exited, log := startProcess(t, cmd, t.TempDir(), "express")
	line := readLine(t, bufio.NewReader(stdout), 10*time.Second)
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		b, _ := os.ReadFile(log)
		t.Fatalf("express-rate-limit server said %q:\n%s", line, b)
	}
	url := "http://127.0.0.1:" + port + "/"
	waitListening(t, url, exited, log)
	return url
}

// nodeMissing skips the test, or fails it when RATELAB_REQUIRE_NODE=1: .ci/run sets that once node
// 20 or later and conformance/node's packages are installed, as for mockserver's TestNodeSDKs.
func nodeMissing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("RATELAB_REQUIRE_NODE") == "1" {
		t.Fatal(why + " (RATELAB_REQUIRE_NODE=1)")
	}
	t.Skip(why)
}

// TestExpressRateLimit discovers express-rate-limit's default MemoryStore: a fixed window per
// client opened by its first request, with the IETF RateLimit headers of the given draft, so
// both the advertised and the effective rate are checked (±3% with headers).
func TestExpressRateLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		limit   int
		window  time.Duration
		headers string
		// foreign is how many requests another client of the same key sends just before
		// discovery starts, opening the first window.
		foreign int
	}{
		{name: "20 per 10s draft-7", limit: 20, window: 10 * time.Second, headers: "draft-7"},
		{name: "5 per 1s draft-8", limit: 5, window: time.Second, headers: "draft-8"},
		{name: "20 per 10s draft-7 after a foreign request", limit: 20, window: 10 * time.Second,
			// One request of another client leaves the first window 19 of ours: fitted from
			// the windows' counts alone this was 19 per 9.77 s, 116.73 (116.71–116.75)/min.
			headers: "draft-7", foreign: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := startExpress(t, tc.limit, tc.window, tc.headers)
			for range tc.foreign {
				resp, err := http.Get(url)
				require.NoError(t, err)
				resp.Body.Close()
			}
			want := float64(tc.limit) * float64(time.Minute) / float64(tc.window)
			l, _ := find(t, url)
			require.NotNil(t, l.AdvertisedPerMinute, "no advertised rate read from the %s headers", tc.headers)
			require.InDelta(t, want, *l.AdvertisedPerMinute, 0.01*want, "advertised %s", tc.headers)
			checkRate(t, l, want, 0.03)
			require.Equal(t, "fixed-window", l.Algorithm)
		})
	}
}
