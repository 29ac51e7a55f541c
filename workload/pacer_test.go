package workload

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sec converts float seconds to a Duration for table literals.
func sec(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

type paceCase struct {
	name    string
	elapsed time.Duration
	hits    uint64
	wait    time.Duration
	stop    bool
}

func checkPace(t *testing.T, p Pacer, cases []paceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, stop := Pace(p, tc.elapsed, tc.hits)
			assert.Equal(t, tc.stop, stop, "stop")
			assert.InDelta(t, float64(tc.wait), float64(wait), float64(time.Microsecond), "wait: got %s want %s", wait, tc.wait)
		})
	}
}

func TestConstantPacer(t *testing.T) {
	t.Parallel()
	one := Constant(Rate{1, time.Second})
	checkPace(t, one, []paceCase{
		// happy path: hit n+1 is due at n/r, the first at 0
		{"first hit due at once", 0, 0, 0, false},
		{"second hit after 1s", 0, 1, time.Second, false},
		{"on time", time.Second, 1, 0, false},
		{"ahead waits", time.Second, 2, time.Second, false},
		{"far ahead", time.Second, 10, 9 * time.Second, false},
		{"behind catches up", 2 * time.Second, 0, 0, false},
		{"behind by many", 11 * time.Second, 3, 0, false},
	})
	checkPace(t, Constant(Rate{2, time.Second}), []paceCase{
		{"2/s 10 hits at 4.9s", sec(4.9), 10, 100 * time.Millisecond, false},
	})
	checkPace(t, Constant(Rate{5, 500 * time.Millisecond}), []paceCase{
		{"5/500ms is 10/s", 0, 3, 300 * time.Millisecond, false},
	})
	checkPace(t, Constant(Rate{1200, time.Minute}), []paceCase{
		{"1200/m is 20/s", 10 * time.Millisecond, 1, 40 * time.Millisecond, false},
	})
	// sad path: a zero or broken rate never makes a hit due
	checkPace(t, Constant(Rate{0, time.Second}), []paceCase{{"zero rate", 0, 0, 0, true}})
	checkPace(t, Constant(Rate{1, 0}), []paceCase{{"zero per", 0, 0, 0, true}})
	checkPace(t, Constant(Rate{1e-12, time.Hour}), []paceCase{{"beyond a century", 0, 2, 0, true}})
	assert.Equal(t, 1.0, one.Rate(time.Hour))
	assert.Equal(t, "Constant{1/s}", one.String())
}

func TestLinearPacer(t *testing.T) {
	t.Parallel()
	// r(t) = 1 + 2t, H(t) = t + t²: hits 2, 6, 12 are due at 1, 2, 3 s.
	checkPace(t, LinearPacer{Start: 1, Slope: 2}, []paceCase{
		{"first at once", 0, 0, 0, false},
		{"hit 3 at 1s", 0, 2, time.Second, false},
		{"hit 7 at 2s", time.Second, 6, time.Second, false},
		{"hit 13 at 3s", sec(2.5), 12, 500 * time.Millisecond, false},
		{"behind", sec(2.5), 6, 0, false},
	})
	// r(t) = 2t from zero, H(t) = t²: hit 5 (n=4) due at 2 s.
	checkPace(t, LinearPacer{Start: 0, Slope: 2}, []paceCase{
		{"from zero first at once", 0, 0, 0, false},
		{"from zero hit 5 at 2s", 0, 4, 2 * time.Second, false},
		{"from zero hit 2 at 1s", 0, 1, time.Second, false},
		{"from zero hit 3 at sqrt2 s", 0, 2, sec(math.Sqrt(2)), false},
	})
	// r(t) = 10 − 2t, H(t) = 10t − t², at most 25 hits (at 5 s).
	checkPace(t, LinearPacer{Start: 10, Slope: -2}, []paceCase{
		{"down hit 25 at 4s", 0, 24, 4 * time.Second, false},
		{"down hit 26 at 5s", 0, 25, 5 * time.Second, false},
		{"down never reaches hit 27", 0, 26, 0, true},
	})
	checkPace(t, LinearPacer{}, []paceCase{{"zero ramp", 0, 0, 0, true}})
	checkPace(t, LinearPacer{Start: -1, Slope: 5}, []paceCase{{"negative start", 0, 0, 0, true}})
	assert.Equal(t, 5.0, LinearPacer{Start: 1, Slope: 2}.Rate(2*time.Second))
	assert.Equal(t, 0.0, LinearPacer{Start: 10, Slope: -2}.Rate(6*time.Second))
}

func TestStagesPacer(t *testing.T) {
	t.Parallel()
	// From 0/s: ramp to 4/s over 2s (H = t², 4 hits), hold 4/s for 2s (8 hits, 12 in all),
	// ramp down to 0 over 2s (H = 12 + 4u − u², 16 in all).
	p := Stages(Rate{0, time.Second}, []Stage{
		{2 * time.Second, Rate{4, time.Second}},
		{2 * time.Second, Rate{4, time.Second}},
		{2 * time.Second, Rate{0, time.Second}},
	})
	checkPace(t, p, []paceCase{
		{"first at once", 0, 0, 0, false},
		{"ramp hit 2 at 1s", 0, 1, time.Second, false},
		{"ramp hit 4 at sqrt3 s", time.Second, 3, sec(math.Sqrt(3) - 1), false},
		{"hold starts at 2s", sec(1.9), 4, 100 * time.Millisecond, false},
		{"hold hit 9 at 3s", sec(2.5), 8, 500 * time.Millisecond, false},
		{"hold hit 12 at 3.75s", sec(3.5), 11, 250 * time.Millisecond, false},
		{"down hit 13 at 4s", sec(3.9), 12, 100 * time.Millisecond, false},
		{"down hit 16 at 5s", sec(4.5), 15, 500 * time.Millisecond, false},
		{"no hit at the end", sec(4.5), 16, 0, true},
		{"none after the end", sec(9), 20, 0, true},
	})
	assert.Equal(t, 6*time.Second, p.Duration())
	assert.InDelta(t, 2.0, p.Rate(time.Second), 1e-9)
	assert.InDelta(t, 4.0, p.Rate(3*time.Second), 1e-9)
	assert.InDelta(t, 1.0, p.Rate(sec(5.5)), 1e-9)
	assert.Equal(t, 0.0, p.Rate(6*time.Second))
	assert.Equal(t, "Stages{0/s → 2s:4/s,2s:4/s,2s:0/s}", p.String())

	t.Run("k6 example", func(t *testing.T) {
		// --stages 30s:5/s,60s:20/s from the default 1/s: (1+5)/2·30 = 90 hits, then (5+20)/2·60 = 750.
		st, err := ParseStages("30s:5/s,60s:20/s")
		require.NoError(t, err)
		k := Stages(Rate{1, time.Second}, st)
		assert.Equal(t, uint64(90), HitsBefore(k, 30*time.Second))
		assert.Equal(t, uint64(840), HitsBefore(k, 90*time.Second))
		assert.Equal(t, uint64(840), HitsBefore(k, time.Hour))
	})
	t.Run("zero stages", func(t *testing.T) {
		_, ok := Stages(Rate{1, time.Second}, nil).Due(0)
		assert.False(t, ok)
	})
	t.Run("idle stage is skipped", func(t *testing.T) {
		q := Stages(Rate{0, time.Second}, []Stage{{time.Second, Rate{0, time.Second}}, {time.Second, Rate{2, time.Second}}})
		at, ok := q.Due(0)
		require.True(t, ok)
		assert.Equal(t, time.Second, at, "the first hit waits for the rate to rise")
	})
}

func TestHitsBefore(t *testing.T) {
	t.Parallel()
	ramp := Stages(Rate{0, time.Second}, []Stage{{2 * time.Second, Rate{4, time.Second}}})
	for _, tc := range []struct {
		name    string
		p       Pacer
		elapsed time.Duration
		want    uint64
	}{
		{"2000/s for 10s", Constant(Rate{2000, time.Second}), 10 * time.Second, 20000},
		{"just past a due time", Constant(Rate{1, time.Second}), 2*time.Second + 1, 3},
		{"exactly at a due time", Constant(Rate{1, time.Second}), 2 * time.Second, 2},
		{"nothing before zero", Constant(Rate{1, time.Second}), 0, 0},
		{"zero rate", Constant(Rate{}), time.Hour, 0},
		{"ramp before 2s", ramp, 2 * time.Second, 4},
		{"ramp all", ramp, time.Hour, 4},
		{"linear", LinearPacer{Start: 1, Slope: 2}, 2 * time.Second, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, HitsBefore(tc.p, tc.elapsed))
		})
	}
}

// TestDueMonotone checks every pacer's Due never goes back in time.
func TestDueMonotone(t *testing.T) {
	t.Parallel()
	st, err := ParseStages("1s:100/s,2s:10/s,500ms:0/s,1s:1000/s")
	require.NoError(t, err)
	for _, p := range []Pacer{
		Constant(Rate{333, time.Second}),
		LinearPacer{Start: 3, Slope: 50},
		LinearPacer{Start: 300, Slope: -50},
		Stages(Rate{1, time.Second}, st),
	} {
		prev := time.Duration(-1)
		for n := uint64(0); n < 5000; n++ {
			at, ok := p.Due(n)
			if !ok {
				break
			}
			require.GreaterOrEqual(t, at, prev, "%s: Due(%d)", p, n)
			prev = at
		}
	}
}

func BenchmarkPacerDue(b *testing.B) {
	st, err := ParseStages("30s:5/s,60s:20/s,30s:20/s,30s:0/s")
	if err != nil {
		b.Fatal(err)
	}
	for name, p := range map[string]Pacer{"constant": Constant(Rate{Hits: 2000, Per: time.Second}), "stages": Stages(Rate{1, time.Second}, st)} {
		b.Run(name, func(b *testing.B) {
			var n uint64
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := p.Due(n % 1000); !ok {
					b.Fatal("no hit")
				}
				n++
			}
		})
	}
}
