package workload

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    Rate
		perSec  float64
		written string
	}{
		{"20/s", Rate{20, time.Second}, 20, "20/s"},
		{"1200/m", Rate{1200, time.Minute}, 20, "1200/m"},
		{"20/1s", Rate{20, time.Second}, 20, "20/s"},
		{"5/500ms", Rate{5, 500 * time.Millisecond}, 10, "5/500ms"},
		{"7", Rate{7, time.Second}, 7, "7/s"},
		{"2.5/s", Rate{2.5, time.Second}, 2.5, "2.5/s"},
		{" 3/s ", Rate{3, time.Second}, 3, "3/s"},
		{"3600/h", Rate{3600, time.Hour}, 1, "3600/h"},
		{"60/min", Rate{60, time.Minute}, 1, "60/m"},
		{"1/ms", Rate{1, time.Millisecond}, 1000, "1/1ms"},
		{"0/s", Rate{0, time.Second}, 0, "0/s"},
		{"5/1m30s", Rate{5, 90 * time.Second}, 5.0 / 90, "5/1m30s"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseRate(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, r)
			assert.InDelta(t, tc.perSec, r.PerSecond(), 1e-12)
			assert.Equal(t, tc.written, r.String())
		})
	}
}

func TestParseRateErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // part of the message besides the example
	}{
		{"", "no number"},
		{"/s", "no number"},
		{"abc", `"abc" is not a number`},
		{"-1/s", "negative"},
		{"5/", "no time unit"},
		{"5/x", `unknown time unit "x"`},
		{"5/0s", "not positive"},
		{"5/-1s", "not positive"},
		{"NaN/s", "not a number"},
		{"Inf", "not a number"},
		{"1e9/ms", "above"},
		{"5/s/s", "unknown time unit"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseRate(tc.in)
			testcheck.Err(t, err, tc.want)
			assert.Contains(t, err.Error(), "20/s", "the message shows a valid example")
			assert.Contains(t, err.Error(), `"`+tc.in+`"`, "the message names the input")
		})
	}
}

func TestParseStages(t *testing.T) {
	t.Parallel()
	st, err := ParseStages("30s:5/s,60s:20/s")
	require.NoError(t, err)
	assert.Equal(t, []Stage{{30 * time.Second, Rate{5, time.Second}}, {time.Minute, Rate{20, time.Second}}}, st)
	assert.Equal(t, "30s:5/s,1m0s:20/s", FormatStages(st))

	st, err = ParseStages(" 1m:100/m , 10s:0 ")
	require.NoError(t, err)
	assert.Equal(t, []Stage{{time.Minute, Rate{100, time.Minute}}, {10 * time.Second, Rate{0, time.Second}}}, st)

	for _, tc := range []struct {
		in, want string
	}{
		{"", "empty"},
		{"30s", "no ':'"},
		{"30s:", "stage 1"},
		{"0s:5/s", "not a positive duration"},
		{"-1s:5/s", "not a positive duration"},
		{"x:5/s", `duration "x"`},
		{"30s:abc", `"abc" is not a number`},
		{"30s:5/s,", "stage 2"},
		{"30s:5/s,10s:-1/s", "stage 2"},
		{"2562047h:1/s,1h:1/s", "overflows"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseStages(tc.in)
			testcheck.Err(t, err, tc.want)
			if tc.in != "" && tc.want != "overflows" {
				assert.Regexp(t, `30s:5/s|20/s`, err.Error(), "the message shows a valid example")
			}
		})
	}
}

// FuzzParseRate checks that any accepted rate is finite, bounded, and written back in a form
// that parses to the same rate.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"20/s", "1200/m", "5/500ms", "7", "2.5/h", "0/s", "1e3/1m30s", "-1/s", "5/", "1/µs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		ps := r.PerSecond()
		if math.IsNaN(ps) || ps < 0 || ps > MaxRatePerSecond {
			t.Fatalf("ParseRate(%q) = %v: %g per second", s, r, ps)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %v, written %q, read back %v, %v", s, r, r.String(), back, err)
		}
	})
}

// FuzzParseStages checks that accepted stages round-trip and pace monotonically, with every
// hit inside the stages' duration.
func FuzzParseStages(f *testing.F) {
	for _, s := range []string{"30s:5/s,60s:20/s", "1m:100/m", "1s:0,1s:10", "500ms:3/500ms", "1h:1e6/s", "0s:1/s", "1s"} {
		f.Add(s, "1/s")
	}
	f.Fuzz(func(t *testing.T, s, start string) {
		st, err := ParseStages(s)
		if err != nil {
			return
		}
		back, err := ParseStages(FormatStages(st))
		if err != nil || len(back) != len(st) {
			t.Fatalf("ParseStages(%q) written %q, read back %v, %v", s, FormatStages(st), back, err)
		}
		for i := range st {
			if back[i] != st[i] {
				t.Fatalf("stage %d: %v read back as %v", i, st[i], back[i])
			}
		}
		sr, err := ParseRate(start)
		if err != nil {
			sr = Rate{1, time.Second}
		}
		p := Stages(sr, st)
		prev := time.Duration(-1)
		for n := uint64(0); n < 200; n++ {
			at, ok := p.Due(n)
			if !ok {
				break
			}
			if at < prev || at >= p.Duration() {
				t.Fatalf("%s: Due(%d) = %s after %s (duration %s)", p, n, at, prev, p.Duration())
			}
			prev = at
		}
	})
}
