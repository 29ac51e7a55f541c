package probe

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
)

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"127.0.0.1":         true,
		"127.0.0.1:8080":    true,
		"127.8.9.10:1":      true,
		"[::1]:8080":        true,
		"::1":               true,
		"localhost":         true,
		"LOCALHOST:80":      true,
		"api.localhost:443": true,
		"localhost.":        true,
		"api.anthropic.com": false,
		"10.0.0.1:80":       false,
		"0.0.0.0:80":        false,
		"localhost.evil.io": false,
		"127.0.0.1.nip.io":  false,
		"[fe80::1%eth0]:80": false,
		"":                  false,
	} {
		assert.Equal(t, want, IsLoopback(host), host)
	}
}

func TestNeedsConfirmation(t *testing.T) {
	t.Parallel()
	assert.True(t, NeedsConfirmation("api.anthropic.com", -1), "unbounded")
	assert.True(t, NeedsConfirmation("api.anthropic.com", 21))
	assert.False(t, NeedsConfirmation("api.anthropic.com", 20), "20 may go without asking")
	assert.False(t, NeedsConfirmation("127.0.0.1:9", -1), "loopback never asks")
}

func TestConfirm(t *testing.T) {
	t.Parallel()
	t.Run("no terminal refuses naming --yes", func(t *testing.T) {
		var out bytes.Buffer
		err := Confirm(strings.NewReader("y\n"), &out, false, "api.anthropic.com", 600)
		require.ErrorIs(t, err, ErrNotConfirmed)
		assert.Contains(t, err.Error(), "pass --yes")
		assert.Contains(t, err.Error(), "up to 600 requests to api.anthropic.com")
		assert.Empty(t, out.String(), "nothing is asked")
	})
	for _, tc := range []struct {
		answer string
		ok     bool
	}{{"y\n", true}, {"YES\n", true}, {" yes ", true}, {"n\n", false}, {"\n", false}, {"", false}, {"sure\n", false}} {
		t.Run("answer "+strings.TrimSpace(tc.answer), func(t *testing.T) {
			var out bytes.Buffer
			err := Confirm(strings.NewReader(tc.answer), &out, true, "api.openai.com", -1)
			assert.Contains(t, out.String(), "more than 20 requests to api.openai.com")
			assert.Contains(t, out.String(), "[y/N]")
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrNotConfirmed)
			}
		})
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	s := engine.Stats{Elapsed: 12340 * time.Millisecond, Attempts: 2451, OK: 2400, RateLimited: 51}
	assert.Equal(t, " 12.3s/30s  sent 2451  2xx 2400  429 51  5xx 0  198.2/s", ProgressLine(s, 30*time.Second, 198.24))
	s.Limits[ratelimit.Requests] = ratelimit.State{Remaining: 12, Flags: ratelimit.HasRemaining}
	s.Limits[ratelimit.OutputTokens] = ratelimit.State{Remaining: 8000, Flags: ratelimit.HasRemaining}
	s.TransportErrors, s.ServerErrors, s.Dropped, s.Late = 2, 3, 4, 5
	line := ProgressLine(s, 0, 1)
	assert.Equal(t, " 12.3s  sent 2451  2xx 2400  429 51  5xx 3  err 2  1.0/s  remaining req 12 out 8000  BEHIND: dropped 4 late 5", line)
	assert.NotContains(t, line, "\x1b", "the line itself has no escape codes")
}

func TestProgressRedrawsOneLine(t *testing.T) {
	srv := newLLMServer(t)
	run := newTestRun(t, anthropicTarget(srv.URL), nil)
	var buf bytes.Buffer
	stop := run.Progress(&buf, time.Second)
	stop()
	stop() // idempotent
	out := buf.String()
	assert.True(t, strings.HasPrefix(out, "\r"), "each draw returns to the line start")
	assert.True(t, strings.HasSuffix(out, "\x1b[K\n"), "the last draw clears the rest and ends the line")
	assert.Equal(t, 1, strings.Count(out, "\n"))
	assert.Contains(t, out, "/1s  sent 0")
}
