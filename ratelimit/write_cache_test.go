package ratelimit

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repeatingSnapshot draws a snapshot from a small set of values per member, so that a sequence of
// them repeats numbers under the same field (FieldCache hits) and changes them (misses).
func repeatingSnapshot(rng *rand.Rand) Snapshot {
	pick := func(vals ...int64) int64 { return vals[rng.IntN(len(vals))] }
	var s Snapshot
	for d := range NumDimensions {
		if rng.IntN(5) == 0 {
			continue // dimension absent
		}
		st := State{
			Limit:     pick(0, 50, 30000, 1_000_000_000_000_000),
			Remaining: pick(-5, 0, 49, 29499, 29500, 30000),
			Reset:     time.Duration(pick(-1, 0, 1, 750_000_000, 1_000_000_000, 59_999_999_999, 3_600_000_000_001)),
			Window:    time.Minute,
		}
		for _, f := range []uint8{HasLimit, HasRemaining, HasReset, HasWindow} {
			if rng.IntN(4) != 0 {
				st.Flags |= f
			}
		}
		s.Dims[d] = st
	}
	if rng.IntN(3) == 0 {
		s.Rounding = Rounding{
			Reset:     append([]ResetRounding{ResetAsDialect}, ResetRoundings...)[rng.IntN(4)],
			Remaining: append([]RemainingRounding{RemainingAsDialect}, RemainingRoundings...)[rng.IntN(3)],
		}
	}
	if rng.IntN(3) == 0 {
		s.RetryAfter, s.HasRetryAfter = time.Duration(pick(0, 1, 999_999_999, 1_000_000_000, 61_000_000_001)), true
	}
	return s
}

func TestFieldCacheWritesWhatWriteWrites(t *testing.T) {
	dialects := []Dialect{DialectAnthropic, DialectOpenAI, DialectIETF, DialectIETFLegacy, DialectXRateLimit, DialectNone}
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(d)))
			var c FieldCache
			now := writeNow
			for i := range 5000 {
				if rng.IntN(4) == 0 {
					now = now.Add(time.Duration(rng.Int64N(int64(2 * time.Second))))
				}
				s := repeatingSnapshot(rng)
				want, got := http.Header{}, http.Header{}
				Write(want, d, now, &s)
				c.Write(got, d, now, &s)
				require.Equal(t, want, got, "write %d: %+v at %v", i, s, now)
			}
		})
	}
}

func TestFieldCacheAllocations(t *testing.T) {
	s := fullSnapshot()
	var c FieldCache
	h := make(http.Header, 16)
	first := testing.AllocsPerRun(1, func() { c.Write(h, DialectAnthropic, writeNow, &s) })
	assert.LessOrEqual(t, first, 2.0, "a cold cache: one string and one slice for all thirteen values")
	again := testing.AllocsPerRun(100, func() { c.Write(h, DialectAnthropic, writeNow, &s) })
	assert.Zero(t, again, "the same numbers again: every value reused")
	s.Dims[Requests].Remaining = 48
	changed := testing.AllocsPerRun(1, func() { c.Write(h, DialectAnthropic, writeNow, &s) })
	assert.LessOrEqual(t, changed, 2.0, "one new number")
	assert.Equal(t, []string{"48"}, h[anthropicKeys[Requests][fieldRemaining]])
}

func TestFieldCacheValuesDoNotShareCapacity(t *testing.T) {
	var c FieldCache
	s := Snapshot{Dims: [NumDimensions]State{Requests: lrr(50, 49, time.Second, ResetUnknown)}}
	h := http.Header{}
	c.Write(h, DialectAnthropic, writeNow, &s)
	limitKey := anthropicKeys[Requests][fieldLimit]
	h[limitKey] = append(h[limitKey], "extra")
	h2 := http.Header{}
	c.Write(h2, DialectAnthropic, writeNow, &s)
	assert.Equal(t, []string{"50"}, h2[limitKey], "appending to one response's value leaves the cached value alone")
	assert.Equal(t, []string{"49"}, h2[anthropicKeys[Requests][fieldRemaining]])
}

// TestFieldCacheConcurrent writes from several goroutines at once (run it under -race): every
// response gets exactly Write's fields.
func TestFieldCacheConcurrent(t *testing.T) {
	var c FieldCache
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			for range 2000 {
				d := []Dialect{DialectAnthropic, DialectOpenAI}[rng.IntN(2)]
				s := repeatingSnapshot(rng)
				want, got := http.Header{}, http.Header{}
				Write(want, d, writeNow, &s)
				c.Write(got, d, writeNow, &s)
				if !assert.ObjectsAreEqual(want, got) {
					errs <- d.String()
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for d := range errs {
		t.Errorf("%s: a concurrent FieldCache.Write differed from Write", d)
	}
}

func TestCeilUnixMatchesCeilInstant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	durations := []time.Duration{-time.Hour, -1, 0, 1, time.Second - 1, time.Second, time.Second + 1, 750 * time.Millisecond}
	for range 20000 {
		durations = append(durations, time.Duration(rng.Int64N(int64(100*24*time.Hour))))
	}
	for i, d := range durations {
		now := time.Unix(1_736_723_459+rng.Int64N(1000), rng.Int64N(int64(time.Second)))
		if i < 8 {
			now = writeNow
		}
		want := ceilInstant(now, d).Unix()
		got := ceilUnix(now.Unix(), int64(now.Nanosecond()), d)
		require.Equal(t, want, got, "now %v, d %v", now, d)
	}
}

// BenchmarkFieldCacheWrite is one Messages response's anthropic fields (three dimensions, as
// the mock sends by default) written into a map whose keys are already present, with every
// number already in the cache; BenchmarkWriteAnthropic is the same through Write.
func BenchmarkFieldCacheWrite(b *testing.B) {
	s := Snapshot{Dims: [NumDimensions]State{
		Requests:     lrr(50, 49, time.Second, ResetUnknown),
		InputTokens:  lrr(30000, 29000, time.Second, ResetUnknown),
		OutputTokens: lrr(8000, 8000, time.Second, ResetUnknown),
	}}
	var c FieldCache
	h := make(http.Header, 16)
	b.ReportAllocs()
	for b.Loop() {
		c.Write(h, DialectAnthropic, writeNow, &s)
	}
}

func BenchmarkWriteAnthropic(b *testing.B) {
	s := Snapshot{Dims: [NumDimensions]State{
		Requests:     lrr(50, 49, time.Second, ResetUnknown),
		InputTokens:  lrr(30000, 29000, time.Second, ResetUnknown),
		OutputTokens: lrr(8000, 8000, time.Second, ResetUnknown),
	}}
	h := make(http.Header, 16)
	b.ReportAllocs()
	for b.Loop() {
		Write(h, DialectAnthropic, writeNow, &s)
	}
}
