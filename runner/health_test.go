package runner

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/record"
)

// att is a live attempt sent at sent seconds that took 10 ms.
func att(sent float64, status int, errText string) record.Attempt {
	return record.Attempt{Mode: record.ModeLive, Sent: time.Duration(math.Round(sent * 1e9)), Latency: 10 * time.Millisecond,
		Status: status, Error: errText}
}

// TestDeadWatch: the target counts as down at the first failed attempt that ends DeadTargetAfter
// or more after the first of at least DeadTargetAttempts failures in a row; any answer other
// than a transport error or a 5xx starts over, and simulated, locally rejected and cut-off
// attempts do not count.
func TestDeadWatch(t *testing.T) {
	refused := func(sent float64) record.Attempt { return att(sent, 0, "connection refused") }
	html500 := func(sent float64) record.Attempt { return att(sent, 500, "") }
	sim := func(a record.Attempt) record.Attempt { a.Mode = record.ModeSim; return a }
	timedOut := func(sent, after float64) record.Attempt {
		a := att(sent, 0, fmt.Sprintf("timeout after %gs", after))
		a.Latency = time.Duration(math.Round(after * 1e9))
		return a
	}
	tests := []struct {
		name   string
		seq    []record.Attempt
		tripAt int    // index of the attempt that trips the watch, −1 for none
		causes string // the TargetDownError's causes
	}{
		{"refused for 10 s", []record.Attempt{refused(0), refused(1), refused(3), refused(6), refused(9), refused(12)}, 5, "6 × connection refused"},
		{"not yet 10 s", []record.Attempt{refused(0), refused(1), refused(3), refused(6), refused(9.5)}, -1, ""},
		{"10 s but too few attempts", []record.Attempt{refused(0), refused(5), refused(11)}, -1, ""},
		{"many attempts within a second", []record.Attempt{refused(0), refused(0.1), refused(0.2), refused(0.3), refused(0.4), refused(0.5), refused(0.9)}, -1, ""},
		{"HTML 500s", []record.Attempt{html500(0), html500(2), html500(4), html500(6), html500(8), html500(10)}, 5, "6 × HTTP 500"},
		{"mixed causes", []record.Attempt{refused(0), html500(2), att(4, 529, ""), refused(6), att(8, 0, "timeout after 2s"), refused(10)},
			5, "3 × connection refused; 1 × HTTP 500; 1 × HTTP 529 overloaded; 1 × other"},
		{"a 429 starts over", []record.Attempt{refused(0), refused(2), refused(4), att(5, 429, ""), refused(6), refused(8), refused(10), refused(12), refused(14)}, -1, ""},
		{"a 200 starts over", []record.Attempt{refused(0), refused(2), refused(4), att(5, 200, ""), refused(6), refused(8), refused(10), refused(12), refused(14), refused(16)}, 9, "6 × connection refused"},
		{"a 404 is an answer", []record.Attempt{att(0, 404, ""), att(5, 404, ""), att(10, 404, ""), att(15, 404, ""), att(20, 404, "")}, -1, ""},
		{"simulated attempts do not count", []record.Attempt{sim(refused(0)), sim(refused(3)), sim(refused(6)), sim(refused(9)), sim(refused(12))}, -1, ""},
		{"attempts cut off by the run's stop do not count", []record.Attempt{refused(0), refused(3), refused(6), att(9, 0, stoppedByRun), att(12, 0, stoppedByRun)}, -1, ""},
		{"the span ends with the attempt", []record.Attempt{refused(0), refused(1), refused(2), refused(3), timedOut(4, 6)}, 4, "4 × connection refused; 1 × timeout after 6s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d deadWatch
			got := -1
			var err *TargetDownError
			for i := range tt.seq {
				if e := d.add(&tt.seq[i]); e != nil && got < 0 {
					got, err = i, e
				}
			}
			require.Equal(t, tt.tripAt, got)
			if got >= 0 {
				assert.Equal(t, tt.causes, err.Causes)
				assert.GreaterOrEqual(t, err.For, DeadTargetAfter)
				assert.Contains(t, err.Error(), tt.causes)
			}
		})
	}
}

// TestOutcomesFailures: the failure line names the most frequent kinds first, three at most.
func TestOutcomesFailures(t *testing.T) {
	var o outcomes
	add := func(n int, status int, errText string) {
		for range n {
			a := att(0, status, errText)
			o.add(&a)
		}
	}
	add(2, 200, "")
	add(6, 0, "connection refused")
	add(3, 429, "")
	add(1, 500, "")
	add(1, 503, "")
	assert.EqualValues(t, 13, o.attempts)
	assert.EqualValues(t, 2, o.ok)
	assert.Equal(t, "6 × connection refused; 3 × HTTP 429 rate limited; 1 × HTTP 500; 1 × other", o.failures())
	o.reset()
	assert.Empty(t, o.failures())
}

// TestNoSuccessFails: a run in which no request succeeded fails, and run.json says why: live
// against a server that refuses every request, and simulated against a mock that answers only
// 500s. One that succeeded once does not.
func TestNoSuccessFails(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("retry-after", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(refusing.Close)
	tests := []struct {
		name string
		src  string
		want string // in the error and run.json's stop reason; "" for success
	}{
		{"every request refused", fmt.Sprintf("target: {url: %q}\nphases:\n  - probe: {rate: 20/s, duration: 200ms}\n", refusing.URL),
			"no request succeeded: none of 4 attempts got a 2xx (4 × HTTP 429 rate limited)"},
		{"a simulated mock answering only 500s", "mock: {error_rate: 1}\nphases:\n  - compare: {mode: sim, strategies: [{name: exponential, params: {max-attempts: 3}}], clients: 2, requests: 1}\n",
			"no request succeeded: none of 6 attempts got a 2xx (6 × HTTP 500)"},
		{"one success is enough", "mock: {limits: {requests: {per_minute: 1}}}\nphases:\n  - compare: {mode: sim, strategies: [none], clients: 3, requests: 1}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, tt.src)
			o := run(context.Background(), s)
			rec, err := record.ReadRun(s.Output.Dir)
			require.NoError(t, err)
			if tt.want == "" {
				require.NoError(t, o.err)
				assert.Equal(t, "completed", rec.StopReason)
				return
			}
			var ns *NoSuccessError
			require.ErrorAs(t, o.err, &ns)
			assert.Equal(t, tt.want, o.err.Error())
			assert.Equal(t, "failed: "+tt.want, rec.StopReason)
			assert.NotNil(t, o.res.Summary, "the report is written all the same")
		})
	}
}

// TestRestOnlyAfterALimit: between compare segments against a real API the run rests only
// when the last segment saw a limit; a server that never said one gets no rest (it used to be
// a minute).
func TestRestOnlyAfterALimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	s := load(t, fmt.Sprintf("target: {url: %q, api: http}\nphases:\n  - compare: {strategies: [none, full-jitter], clients: 1, requests: 2}\n", srv.URL))
	start := time.Now()
	o := run(context.Background(), s)
	require.NoError(t, o.err, o.stderr)
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Contains(t, o.stderr, "no rate limit seen in the last segment")
	assert.NotContains(t, o.stderr, "resting")
}

// TestInterruptWhileConfirming: Ctrl-C while the run waits for the user to confirm traffic to a
// non-loopback host ends the run with engine.ErrInterrupted at once, nothing written.
func TestInterruptWhileConfirming(t *testing.T) {
	s := load(t, "target: {url: 'https://api.example.invalid', model: m, key_env: MY_KEY}\nphases:\n  - probe: {rate: 1/s, duration: 30s}\n")
	stdin, answer := io.Pipe()
	t.Cleanup(func() { answer.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var errb testutil.SyncBuffer // the question is asked on a goroutine of its own
	start := time.Now()
	_, err := Run(ctx, s, Options{Stdin: stdin, StdinTTY: true, Stderr: &errb,
		Getenv: func(string) string { return fakeKey }})
	require.ErrorIs(t, err, engine.ErrInterrupted)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, errb.String(), "Continue? [y/N]")
	assert.NoDirExists(t, s.Output.Dir, "nothing was started")
}
