package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/internal/testcheck"
)

// TestProbeMetricsAddr scrapes --metrics-addr while a probe runs: the attempts counted so far
// by outcome, their latency histogram and the remaining header are there, and the endpoint
// closes with the run.
func TestProbeMetricsAddr(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(testcheck.FreePort(t))
	dir := t.TempDir()
	done := make(chan string, 1)
	go func() {
		code, _, stderr := runCLI(context.Background(), "probe", "--target", "mock", "--rpm", "60", "--burst", "5",
			"--rate", "20/s", "--duration", "3s", "--out", dir, "--quiet", "--metrics-addr", addr)
		if code != exitOK {
			done <- stderr
		}
		close(done)
	}()
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + addr + "/metrics"); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body = string(b)
			if strings.Contains(body, `outcome="rate_limited"`) {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{
		`ratelab_run_attempts_total\{mode="live",outcome="ok",segment="probe"\} [5-9]\n`,
		`ratelab_run_attempts_total\{mode="live",outcome="rate_limited",segment="probe"\} [1-9]`,
		`ratelab_run_attempt_duration_seconds_count\{outcome="ok",segment="probe"\} [5-9]\n`,
		`ratelab_run_remaining\{dimension="requests",segment="probe"\} 0\n`,
	} {
		assert.Regexp(t, want, body)
	}
	if msg, failed := <-done; failed {
		t.Fatalf("probe failed: %s", msg)
	}
	_, err := http.Get("http://" + addr + "/metrics")
	assert.Error(t, err, "the endpoint closes with the run")
}
