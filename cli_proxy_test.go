package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// startMock serves a mock with cfg on loopback until the test ends and returns its URL.
func startMock(t *testing.T, cfg account.Config) string {
	t.Helper()
	return testutil.StartMock(t, cfg).URL()
}

// proxyRun is `ratelab proxy` running in the background.
type proxyRun struct {
	base           string
	stdout, stderr *testutil.SyncBuffer
	stop           context.CancelFunc
	code           chan int
}

// startProxy runs `ratelab proxy args…` on a free loopback port and waits until it listens.
func startProxy(t *testing.T, args ...string) *proxyRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &proxyRun{stdout: &testutil.SyncBuffer{}, stderr: &testutil.SyncBuffer{}, stop: cancel, code: make(chan int, 1)}
	env := &cliEnv{stdin: strings.NewReader(""), stdout: p.stdout, stderr: p.stderr, getenv: func(string) string { return "" }}
	go func() { p.code <- runWithEnv(ctx, env, append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...)) }()
	re := regexp.MustCompile(`listening on (http://\S+),`)
	require.Eventually(t, func() bool { return re.MatchString(p.stdout.String()) }, 5*time.Second, 5*time.Millisecond, "%s", p.stderr)
	p.base = re.FindStringSubmatch(p.stdout.String())[1]
	t.Cleanup(cancel)
	return p
}

// interrupt is Ctrl-C: it returns the exit code.
func (p *proxyRun) interrupt(t *testing.T) int {
	t.Helper()
	p.stop()
	select {
	case c := <-p.code:
		return c
	case <-time.After(15 * time.Second):
		t.Fatal("ratelab proxy still running 15 s after the interrupt")
		return -1
	}
}

// post sends one small Messages request through base with key and returns the status.
func post(t *testing.T, base, key string) testcheck.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/messages?key="+key,
		strings.NewReader(`{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}`))
	require.NoError(t, err)
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Ratelab-Client", "worker-1")
	return testcheck.Do(t, req)
}

func TestProxyRecordsAndReports(t *testing.T) {
	cfg := account.DefaultConfig()
	cfg.Limits.Requests.PerMinute = 600
	burst := int64(5)
	cfg.Limits.Requests.Burst = &burst
	up := startMock(t, cfg)
	dir := t.TempDir()
	p := startProxy(t, "--upstream", up, "--out", dir)
	const key = "fake-proxy-secret-0987654321"
	codes := map[int]int{}
	for range 20 {
		codes[post(t, p.base, key).Status]++
	}
	assert.Equal(t, exitOK, p.interrupt(t), "%s", p.stderr)
	assert.Positive(t, codes[200])
	assert.Positive(t, codes[429], "a burst of 5 refills at 10/s: 20 back-to-back requests meet refusals")

	testutil.AssertNoSecret(t, key, dir, p.stdout.String(), p.stderr.String())
	testutil.AssertNoSecret(t, "secretkey", dir)
	var n int
	require.NoError(t, record.ScanFile(dir, func(a *record.Attempt) error {
		n++
		assert.True(t, a.Observed)
		assert.Equal(t, "claude-haiku-4-5", a.Model)
		assert.Equal(t, 0, a.Client, "one key, one client header: one client")
		if a.Status == 200 {
			assert.Equal(t, int64(3), a.InputTokens)
			assert.Equal(t, int64(16), a.OutputTokens)
		}
		return nil
	}))
	assert.Equal(t, 20, n)
	for _, f := range []string{"run.json", "summary.json", "report.md"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	var s summary.Summary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	var adv *float64
	for _, l := range s.Limits {
		if l.Dimension == "requests" {
			adv = l.AdvertisedPerMinute
		}
	}
	require.NotNil(t, adv)
	assert.InDelta(t, 600, *adv, 0.5)
	testutil.AssertRerender(t, dir)
}

func TestProxyLimitInFront(t *testing.T) {
	up := startMock(t, account.DefaultConfig()) // 50/min with a burst of 50: never refuses 6
	dir := t.TempDir()
	p := startProxy(t, "--upstream", up, "--out", dir, "--rpm", "3", "--burst", "3")
	var got []int
	for range 6 {
		r := post(t, p.base, "k")
		got = append(got, r.Status)
		assert.Equal(t, "3", r.Header.Get("Anthropic-Ratelimit-Requests-Limit"), "the mock's headers replace the upstream's")
		if r.Status == 429 {
			assert.Contains(t, r.Body, `"rate_limit_error"`)
		} else {
			assert.Contains(t, r.Body, `"usage"`, "the upstream's answer")
		}
	}
	assert.Equal(t, []int{200, 200, 200, 429, 429, 429}, got)
	assert.Equal(t, exitOK, p.interrupt(t))
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.Contains(t, string(run.Mock), `"per_minute": 3,`, "run.json records the limiter in front")
	var n429 int
	require.NoError(t, record.ScanFile(dir, func(a *record.Attempt) error {
		if a.Status == 429 {
			n429++
			assert.Equal(t, int64(3), a.Limits[0].Limit, "the refusal's headers are recorded")
		}
		return nil
	}))
	assert.Equal(t, 3, n429)
}

func TestProxyUsageErrors(t *testing.T) {
	checkUsageErrors(t, runMockCLI, []string{"proxy"}, []usageCase{
		{"no upstream", nil, "--upstream is required"},
		{"bad upstream", []string{"--upstream", "ftp://x"}, "want an http or https URL"},
		{"public listen", []string{"--upstream", "http://127.0.0.1:1", "--listen", "0.0.0.0:8088"}, "not a loopback address"},
		{"bad limit", []string{"--upstream", "http://127.0.0.1:1", "--algorithm", "nope"}, "--algorithm"},
	})
}

func TestProxyMaxDuration(t *testing.T) {
	up := startMock(t, account.DefaultConfig())
	dir := t.TempDir()
	p := startProxy(t, "--upstream", up, "--out", dir, "--max-duration", "500ms")
	assert.Equal(t, 200, post(t, p.base, "k").Status)
	select {
	case code := <-p.code:
		assert.Equal(t, exitOK, code, "%s", p.stderr)
	case <-time.After(10 * time.Second):
		t.Fatal("--max-duration 500ms did not end the recording")
	}
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.Equal(t, "--max-duration 500ms reached", run.StopReason)
	assert.Equal(t, "proxy", run.Command)
	assert.Equal(t, "claude-haiku-4-5", run.Target.Model, "the model most requests named")
	assert.Equal(t, "anthropic", run.Target.API, "the API shape of the requests' path")
	assert.FileExists(t, filepath.Join(dir, "report.md"))
}

// TestProxyHelperProcess is `ratelab` itself when run by TestProxySIGINT (the arguments after
// "--"); otherwise it does nothing.
func TestProxyHelperProcess(t *testing.T) {
	if os.Getenv("RATELAB_HELPER_PROCESS") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Args = append([]string{"ratelab"}, args...)
	main()
}

func TestProxySIGINT(t *testing.T) {
	up := startMock(t, account.DefaultConfig())
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProxyHelperProcess$", "--",
		"proxy", "--upstream", up, "--listen", "127.0.0.1:0", "--out", dir)
	cmd.Env = append(os.Environ(), "RATELAB_HELPER_PROCESS=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	m := regexp.MustCompile(`listening on (http://\S+),`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	for range 3 {
		assert.Equal(t, 200, post(t, m[1], "sk-sigint-secret").Status)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	go io.Copy(io.Discard, stdout)
	require.NoError(t, cmd.Wait(), "exit status 0 after SIGINT")
	run, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.Equal(t, "recording ended by a signal (Ctrl-C or SIGTERM)", run.StopReason)
	for _, f := range []string{"attempts.jsonl", "summary.json", "report.md"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	testutil.AssertNoSecret(t, "sk-sigint-secret", dir)
}

// TestProxyMetricsAddr scrapes --metrics-addr while the proxy records: the exchanges so far are
// counted by outcome, and the hashed key never appears in the key's place.
func TestProxyMetricsAddr(t *testing.T) {
	cfg := account.DefaultConfig()
	burst := int64(2)
	cfg.Limits.Requests.Burst = &burst
	up := startMock(t, cfg)
	addr := "127.0.0.1:" + strconv.Itoa(testcheck.FreePort(t))
	p := startProxy(t, "--upstream", up, "--out", t.TempDir(), "--metrics-addr", addr)
	const key = "fake-metrics-secret-1234567890"
	for range 4 {
		post(t, p.base, key)
	}
	body := testcheck.Get(t, "http://"+addr+"/metrics").Body
	assert.Regexp(t, `ratelab_run_attempts_total\{mode="live",outcome="ok",segment="[^"]*"\} 2\n`, body)
	assert.Regexp(t, `ratelab_run_attempts_total\{mode="live",outcome="rate_limited",segment="[^"]*"\} 2\n`, body)
	assert.NotContains(t, body, key)
	assert.Equal(t, exitOK, p.interrupt(t))
}
