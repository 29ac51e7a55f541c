//go:build soak

package soak

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
)

var ratelabBin = flag.String("ratelab", "", "ratelab binary to run (default: built from this module)")

// mockProc is a `ratelab mock` process on a loopback port.
type mockProc struct {
	cmd  *exec.Cmd
	url  string
	port int
	log  bytes.Buffer
}

// binary returns the ratelab binary, building it once into the test's temporary directory.
func binary(t *testing.T) string {
	t.Helper()
	if *ratelabBin != "" {
		return *ratelabBin
	}
	out := filepath.Join(os.TempDir(), fmt.Sprintf("ratelab-soak-%d", os.Getpid()))
	if _, err := os.Stat(out); err == nil {
		return out
	}
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = "../.."
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", b)
	*ratelabBin = out
	return out
}

// startMock runs `ratelab mock` with args on a free loopback port and waits for /healthz; the
// process is interrupted (and waited for) when the test ends.
func startMock(t *testing.T, args ...string) *mockProc {
	t.Helper()
	m := &mockProc{port: testcheck.FreePort(t)}
	m.url = "http://127.0.0.1:" + strconv.Itoa(m.port)
	m.cmd = exec.Command(binary(t), append([]string{"mock", "--addr", "127.0.0.1:" + strconv.Itoa(m.port)}, args...)...)
	m.cmd.Stdout, m.cmd.Stderr = &m.log, &m.log
	require.NoError(t, m.cmd.Start())
	t.Cleanup(func() {
		m.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- m.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			m.cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(m.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return m
			}
		}
		require.True(t, time.Now().Before(deadline), "mock did not come up: %s", m.log.String())
		time.Sleep(50 * time.Millisecond)
	}
}

// rssKB returns the process's resident set size in kB (VmRSS of /proc/PID/status).
func (m *mockProc) rssKB(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	require.NoError(t, err)
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", m.cmd.Process.Pid)
	return 0
}

// established counts the established TCP connections whose local port is the mock's, from
// /proc/net/tcp (the mock's side of every client connection).
func (m *mockProc) established(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	require.NoError(t, err)
	want := fmt.Sprintf(":%04X", m.port)
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && strings.HasSuffix(f[1], want) && f[3] == "01" {
			n++
		}
	}
	return n
}

// mockStats is the part of GET /_ratelab/stats the soak reads.
type mockStats struct {
	Accounts []accountStats   `json:"accounts"`
	Unkeyed  map[string]int64 `json:"unkeyed"`
	Requests int64            `json:"requests"`
}

// accountStats are one key's counters in GET /_ratelab/stats.
type accountStats struct {
	Key        string           `json:"key"`
	Requests   int64            `json:"requests"`
	Status     map[string]int64 `json:"status"`
	Dimensions map[string]struct {
		Admitted int64 `json:"admitted"`
		Rejected int64 `json:"rejected"`
	} `json:"dimensions"`
}

func (m *mockProc) stats(t *testing.T) mockStats {
	t.Helper()
	resp, err := http.Get(m.url + "/_ratelab/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var s mockStats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}

// messageBody is the request every soak client sends: a small Messages call.
const messageBody = `{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}`

// send posts one Messages request with key and returns the status (0 on a transport error, with
// the error) and the body.
func send(ctx context.Context, c *http.Client, url, key string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/messages", strings.NewReader(messageBody))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("x-api-key", key)
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("content-type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// nofile returns the soft limit on open files of this process.
func nofile() uint64 {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) != nil {
		return 0
	}
	return r.Cur
}
