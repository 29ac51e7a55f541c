package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/limiter"
)

// unitSeries builds a requests series from (time, admitted) pairs.
func unitSeries(ts []float64, acc []bool) *series {
	s := &series{t: ts, acc: acc, rejChg: 1, lat: make([]float64, len(ts))}
	return s
}

func TestReplayModels(t *testing.T) {
	// A bucket of 2 refilling at 1/s: at 0, 0, 0 (third refused), then at 0.5 (refused: half a
	// token), at 1.0 (admitted).
	ts := []float64{0, 0, 0, 0.5, 1.0}
	acc := []bool{true, true, false, false, true}
	for _, tc := range []struct {
		name string
		got  int
		want int
	}{
		{"token bucket, true parameters", tbMismatch(unitSeries(ts, acc), 1, 2, false), 0},
		{"token bucket, too fast", tbMismatch(unitSeries(ts, acc), 2.5, 2, false), 1}, // 0.5 s refills 1.25
		{"token bucket, too small", tbMismatch(unitSeries(ts, acc), 1, 1, false), 2},  // refuses the second at 0 and the one at 1.0
		{"token bucket counting refusals", tbMismatch(unitSeries(ts, acc), 1, 2, true), 1},
		// Fixed window of 2 per second from 0: the window [0, 1) admits two, [1, 2) admits again.
		{"fixed window, true parameters", fwMismatch(unitSeries(ts, acc), 2, 1, 0), 0},
		{"fixed window, boundary at 0.4", fwMismatch(unitSeries(ts, acc), 2, 1, 0.4), 1}, // 0.5 would pass
		{"sliding counter, at rest it admits its quota", swMismatch(unitSeries(ts[:3], acc[:3]), 2, 1, 0, false, roundFloor), 0},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.got) })
	}
}

func TestSlidingLogGaps(t *testing.T) {
	s := unitSeries([]float64{0, 0.2, 0.5, 1.1, 1.15}, []bool{true, true, false, true, false})
	gaps := slGaps(s, 2, false, nil)
	// Before each attempt, the gap to the 2nd most recent admission: none, none, 0.5−0, 1.1−0,
	// 1.15−0.2.
	require.Len(t, gaps, 5)
	assert.True(t, math.IsInf(gaps[0], 1))
	assert.True(t, math.IsInf(gaps[1], 1))
	assert.InDelta(t, 0.5, gaps[2], 1e-12)
	assert.InDelta(t, 1.1, gaps[3], 1e-12)
	assert.InDelta(t, 0.95, gaps[4], 1e-12)
	// A log of 2 per second: the refusals have gaps < 1, the admission ≥ 1.
	f := fitSL(s, 2, false)
	assert.Equal(t, 0, f.m)
	assert.LessOrEqual(t, f.lo, 2.0)
	assert.GreaterOrEqual(t, f.hi, 2.0)
}

// limiterSeries replays arrivals through a real limiter (the mock's) and returns the series:
// bursts after rests and random arrivals, the kind of traffic discovery makes.
func limiterSeries(t *testing.T, cfg limiter.Config, seed uint64, n int) *series {
	t.Helper()
	l, err := limiter.New(cfg)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 1, 5, 9, 0, 7, 370_000_000, time.UTC)
	rate := float64(cfg.Limit) / cfg.Window.Seconds()
	s := &series{rejChg: 1}
	at := 0.0
	for len(s.t) < n {
		// A burst at ten times the rate until a refusal, then a rest of a random fraction of
		// the window, then random arrivals at 1.3 times the rate for a while.
		for k := 0; k < 2000; k++ {
			d := l.Allow(start.Add(time.Duration(at*1e9)), 1)
			s.t, s.acc = append(s.t, at), append(s.acc, d.Allowed)
			at += 0.1 / rate
			if !d.Allowed {
				break
			}
		}
		at += rng.Float64() * cfg.Window.Seconds()
		for k := 0; k < 40; k++ {
			d := l.Allow(start.Add(time.Duration(at*1e9)), 1)
			s.t, s.acc = append(s.t, at), append(s.acc, d.Allowed)
			at += rng.ExpFloat64() / (1.3 * rate)
		}
	}
	s.lat = make([]float64, len(s.t))
	return s
}

func TestFitsFindTheLimiter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   limiter.Config
		model string
		rate  float64 // sustained, per second
	}{
		{"token bucket", limiter.Config{Algorithm: limiter.TokenBucket, Limit: 600, Window: time.Minute, Burst: 30}, "tb", 10},
		{"gcra", limiter.Config{Algorithm: limiter.GCRA, Limit: 120, Window: time.Minute, Burst: 5}, "tb", 2},
		{"fixed window", limiter.Config{Algorithm: limiter.FixedWindow, Limit: 50, Window: 5 * time.Second}, "fw", 10},
		{"sliding log", limiter.Config{Algorithm: limiter.SlidingLog, Limit: 50, Window: 10 * time.Second}, "sl", 5},
		{"sliding window counter", limiter.Config{Algorithm: limiter.SlidingWindow, Limit: 50, Window: 10 * time.Second}, "sw", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := limiterSeries(t, tc.cfg, 1, 600)
			fits := fitAll(s)
			require.NotEmpty(t, fits)
			best := fits[0]
			assert.Equal(t, tc.model, best.model)
			assert.Equal(t, 0, best.m, "the true model explains every attempt")
			require.True(t, best.ok)
			assert.LessOrEqual(t, best.lo, tc.rate*1.0001, "interval holds the truth")
			assert.GreaterOrEqual(t, best.hi, tc.rate*0.9999, "interval holds the truth")
			assert.InDelta(t, tc.rate, best.rate, 0.02*tc.rate)
		})
	}
}

func TestFitZoomsOnLongSeries(t *testing.T) {
	s := limiterSeries(t, limiter.Config{Algorithm: limiter.TokenBucket, Limit: 3000, Window: time.Minute, Burst: 100}, 2, 8000)
	require.Greater(t, s.len(), zoomSize)
	fits := fitAll(s)
	require.NotEmpty(t, fits)
	assert.Equal(t, "tb", fits[0].model)
	assert.InDelta(t, 50, fits[0].rate, 0.1)
	assert.Equal(t, 100.0, fits[0].burst)
}

func TestShaperRate(t *testing.T) {
	// A shaper draining 4/s: a burst of 6 at once is served at 0, 0.25, 0.5, … (latency grows
	// by 0.25 s per request after the first).
	s := &series{rejChg: 1}
	for i := range 6 {
		s.t = append(s.t, 0)
		s.acc = append(s.acc, true)
		s.lat = append(s.lat, 0.001+0.25*float64(i))
	}
	rate, lo, hi, ok := shaperRate(s)
	require.True(t, ok)
	assert.InDelta(t, 4, rate, 1e-6)
	assert.LessOrEqual(t, lo, 4.0)
	assert.GreaterOrEqual(t, hi, 4.0)
}

// TestRefineFromALooseHint checks that refining a window fit made on a prefix that left the
// window loose (its rates spanning far more than the refinement searches around it) still finds
// the window the whole series needs, here 44% shorter than the hint.
func TestRefineFromALooseHint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    limiter.Config
		refine func(*series, fit) fit
		model  string
	}{
		{"fixed window", limiter.Config{Algorithm: limiter.FixedWindow, Limit: 50, Window: 5 * time.Second}, refineFW, "fw"},
		{"sliding window counter", limiter.Config{Algorithm: limiter.SlidingWindow, Limit: 50, Window: 5 * time.Second}, refineSW, "sw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := limiterSeries(t, tc.cfg, 1, 600)
			// A prefix fit of 50 per 7.2 s with rates from 5 to 10/s fitting as well.
			hint := fit{model: tc.model, ok: true, q: 50, window: 7.2, phi: 1, rate: 50 / 7.2, lo: 5, hi: 10}
			f := tc.refine(s, hint)
			assert.Equal(t, 0, f.m, "the true window explains every attempt")
			assert.InDelta(t, 10, f.rate, 0.2)
		})
	}
}

// TestFixedWindowFirstBurstStraddles: a live discovery run against 50 per 5 s whose first
// burst from rest straddled a boundary and took 77, overstating the quota: boundary intervals
// built for 77 put no candidate near 5 s (the fit took 150 per 15 s and mispredicted 63). The
// runs of admissions between refusals give 50, and the fit finds the window.
func TestFixedWindowFirstBurstStraddles(t *testing.T) {
	b, err := os.ReadFile("testdata/fixed-window-5s-live.tsv")
	require.NoError(t, err)
	s := &series{rejChg: 1}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		var at, lat float64
		var admitted int
		_, err := fmt.Sscanf(line, "%g\t%d\t%g", &at, &admitted, &lat)
		require.NoError(t, err, line)
		s.t, s.acc, s.lat = append(s.t, at), append(s.acc, admitted == 1), append(s.lat, lat)
	}
	require.Equal(t, 77.0, firstBurst(s))
	assert.Equal(t, 50, typicalRun(s))
	f := fitFW(s)
	assert.Equal(t, 0, f.m)
	assert.InDelta(t, 10, f.rate, 0.05)
	assert.InDelta(t, 5, f.window, 0.02)
}

// TestCounterPhase: for the true window length, the cell-to-cell phase search lands on a phase
// that explains every attempt of a real counter, under each rounding, from a start 3% of a
// window off (the boundary at 09:00:10, 2.63 s into the series).
func TestCounterPhase(t *testing.T) {
	for rd, rounding := range limiter.CounterRoundings {
		t.Run(string(rounding), func(t *testing.T) {
			cfg := limiter.Config{Algorithm: limiter.SlidingWindow, Limit: 50, Window: 10 * time.Second, Rounding: rounding}
			s := limiterSeries(t, cfg, 1, 600)
			require.Zero(t, swMismatch(s, 50, 10, 2.63, false, uint8(rd)), "the true counter")
			var sc swPhaseScratch
			for _, off := range []float64{-0.3, 0.3} {
				phi, m := sc.swPhase(s, 50, 10, 2.63+off, 0.5, false, uint8(rd))
				assert.Zero(t, m, "from %+g s: phase %g", off, phi)
				assert.InDelta(t, 2.63, mod(phi, 10), 0.1)
			}
		})
	}
}

// TestCounterReplayUnitMatchesGeneral: the counter's replay for attempts of one unit (the fast
// path) mispredicts exactly what the general replay does, over random series, parameters,
// roundings and refusal counting.
func TestCounterReplayUnitMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		s := &series{rejChg: 1}
		at := 0.0
		for range 200 {
			at += rng.ExpFloat64() * 0.1
			s.t, s.acc, s.lat = append(s.t, at), append(s.acc, rng.IntN(4) != 0), append(s.lat, 0.001)
		}
		s.win = decisionWindows(s)
		q, w, phi := float64(2+rng.IntN(10)), 0.3+rng.Float64()*3, rng.Float64()*3
		rd, cr := uint8(trial%3), trial%2 == 0
		general := *s
		general.adm, general.chg = make([]float64, s.len()), make([]float64, s.len())
		for i := range general.adm {
			general.adm[i], general.chg[i] = 1, 1
		}
		require.Equal(t, swMismatch(&general, q, w, phi, cr, rd), swMismatchUnit(s, q, w, phi, cr, rd),
			"trial %d: q %v w %v phi %v rd %d cr %v", trial, q, w, phi, rd, cr)
	}
}

// TestBucketFullDuringWarmUp: traffic slower than the refill before the first burst (discovery's
// ramp, a rest) keeps a bucket full, spilling what it refills; the capacity the first refusal
// implies must count that spill. Without it the fit tied the capacity to the whole time since
// the first attempt (120 − 2/s × 240 s < 1) and no token bucket explained the attempts.
func TestBucketFullDuringWarmUp(t *testing.T) {
	l, err := limiter.New(limiter.Config{Algorithm: limiter.TokenBucket, Limit: 120, Window: time.Minute, Burst: 120})
	require.NoError(t, err)
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	s := &series{rejChg: 1}
	send := func(at float64) {
		d := l.Allow(start.Add(time.Duration(at*1e9)), 1)
		s.t, s.acc = append(s.t, at), append(s.acc, d.Allowed)
	}
	for at := 0.0; at < 240; at += 2 { // a warm-up at 0.5/s
		send(at)
	}
	for at := 240.0; at < 240.4; at += 0.002 { // a burst of 200: 120 and a few refilled admitted
		send(at)
	}
	for k := 0; k < 5; k++ { // refills: bursts after rests
		at := 250 + 10*float64(k)
		for j := range 30 {
			send(at + 0.005*float64(j))
		}
	}
	s.lat = make([]float64, len(s.t))
	f := fitTB(s, false)
	assert.Equal(t, 0, f.m, "the true bucket explains every attempt")
	require.True(t, f.ok)
	assert.InDelta(t, 120, f.burst, 1)
	assert.LessOrEqual(t, f.lo, 2.0001)
	assert.GreaterOrEqual(t, f.hi, 1.9999)
}
