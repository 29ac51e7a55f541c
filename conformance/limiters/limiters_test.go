//go:build limiters

package limiters

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/summary"
)

// RequireEnv names the environment variable that, set to 1, turns a skip for a missing limiter
// into a failure (.ci/run sets it after installing them).
const RequireEnv = "RATELAB_REQUIRE_LIMITERS"

// findTimeout bounds one discovery run, --max-duration included.
const findTimeout = 2 * time.Minute

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// missing skips the test naming what to install, or fails it when RequireEnv is 1.
func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(why + " (" + RequireEnv + "=1)")
	}
	t.Skip(why)
}

// ratelab builds the ratelab binary once per package run and returns its path.
func ratelab(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ratelab-limiters-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ratelab")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", binPath, ".")
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// waitListening dials url's host:port until it accepts a connection, for at most 10 s, or fails
// with the server's log. It sends no request: a request would count against the limiter.
func waitListening(t *testing.T, url string, exited <-chan struct{}, logPath string) {
	t.Helper()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("the server for %s exited at start:\n%s", url, b)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("%s did not accept connections within 10 s:\n%s", url, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startConfigured runs the installed server name (the Debian package of that name) with the
// configuration conf writes for a fresh directory and a free loopback port, saved as file in
// that directory and handed to it by args; it waits until the port accepts connections and
// returns the server's URL. The server stops in t.Cleanup. need says which test needs it, for
// the skip when it is not installed.
func startConfigured(t *testing.T, name, need, file string, conf func(dir string, port int) []byte,
	args func(confPath, dir string) []string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		bin = filepath.Join("/usr/sbin", name)
		if _, serr := os.Stat(bin); serr != nil {
			missing(t, name+" is not installed (apt-get install "+name+"): "+need+" needs it")
		}
	}
	dir := t.TempDir()
	port := testcheck.FreePort(t)
	confPath := filepath.Join(dir, file)
	require.NoError(t, os.WriteFile(confPath, conf(dir, port), 0o644))
	exited, log := startProcess(t, exec.Command(bin, args(confPath, dir)...), dir, name)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	waitListening(t, url, exited, log)
	return url
}

// startProcess runs cmd with its output in dir/name.log, stops it by its PID in t.Cleanup and
// returns a channel closed when it has exited.
func startProcess(t *testing.T, cmd *exec.Cmd, dir, name string) (<-chan struct{}, string) {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	log, err := os.Create(logPath)
	require.NoError(t, err)
	defer log.Close()
	if cmd.Stdout == nil {
		cmd.Stdout = log
	}
	cmd.Stderr = log
	require.NoError(t, cmd.Start(), "starting %s", cmd.Path)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return done, logPath
}

// find runs `ratelab probe --find` against url (--api http) and returns its requests limit with
// the whole summary.json, decoded with the type that writes it (package summary): the suite is
// black-box on the binary it runs, not on the file format, whose compatibility the compat test
// guards byte for byte.
func find(t *testing.T, url string, extra ...string) (summary.Limit, summary.Summary) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	args := append([]string{"probe", "--target", url, "--api", "http", "--find",
		"--max-duration", "90s", "--quiet", "--out", out}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), findTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ratelab(t), args...)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "ratelab %v:\n%s", args, b)
	raw, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	var s summary.Summary
	require.NoError(t, json.Unmarshal(raw, &s))
	require.NotNil(t, s.Discovery, "summary.json has no discovery cost: %s", raw)
	for _, l := range s.Limits {
		if l.Dimension == "requests" {
			t.Logf("ratelab %s\n  effective %s (%s–%s)/min, advertised %s/min, burst %s, %s, window %s s; discovery %d requests (%d refused), %.1f s\n  %s",
				strings.Join(args, " "), f(l.EffectivePerMinute), f(l.EffectiveLow), f(l.EffectiveHigh), f(l.AdvertisedPerMinute), f(l.Burst), l.Algorithm, f(l.WindowSeconds),
				s.Discovery.Requests, s.Discovery.RateLimited, s.Discovery.Seconds, l.Evidence)
			return l, s
		}
	}
	t.Fatalf("summary.json has no requests limit: %s", raw)
	return summary.Limit{}, s
}

// f formats an optional figure.
func f(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// checkRate asserts that the effective rate is within tol (a fraction) of want per minute and
// that the reported interval holds want.
func checkRate(t *testing.T, l summary.Limit, want, tol float64) {
	t.Helper()
	require.NotNil(t, l.EffectivePerMinute, "no effective rate inferred: %s", l.Evidence)
	errPct := (*l.EffectivePerMinute - want) / want
	require.LessOrEqual(t, abs(errPct), tol, "effective %.2f/min vs the limiter's %.0f/min: %+.1f%%, tolerance ±%.0f%%",
		*l.EffectivePerMinute, want, 100*errPct, 100*tol)
	require.NotNil(t, l.EffectiveLow)
	require.NotNil(t, l.EffectiveHigh)
	require.True(t, *l.EffectiveLow <= want && want <= *l.EffectiveHigh,
		"interval %.2f–%.2f/min does not hold the limiter's %.0f/min", *l.EffectiveLow, *l.EffectiveHigh, want)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// readLine reads the first line of r within d.
func readLine(t *testing.T, r *bufio.Reader, d time.Duration) string {
	t.Helper()
	ch := make(chan string, 1)
	go func() { s, _ := r.ReadString('\n'); ch <- s }()
	select {
	case s := <-ch:
		return s
	case <-time.After(d):
		t.Fatalf("no line within %s", d)
		return ""
	}
}
