package limiter

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// extremeConfigs are valid configs at the edges of what New accepts.
var extremeConfigs = []Config{
	{Limit: math.MaxInt64, Window: 1},               // a huge limit per nanosecond
	{Limit: 1, Window: MaxWindow},                   // one unit per ten years
	{Limit: 100_000_000_000, Window: time.Minute},   // the mock speed check's --itpm
	{Limit: 7, Window: time.Minute, Burst: 1 << 20}, // a deep bucket at an awkward rate
	{Limit: math.MaxInt64, Window: MaxWindow, Burst: 1},
	{Limit: 999_999_937, Window: time.Minute + 1, Burst: 3}, // coprime with the window
}

// extremeInstants jump forwards and backwards by decades within 1970…2200.
var extremeInstants = []time.Time{
	t0, t0, t0.Add(1), time.Unix(0, 0), t0.Add(MaxWindow), t0.Add(-1),
	time.Date(2199, 12, 31, 23, 59, 59, 999_999_999, time.UTC), t0,
}

var extremeCosts = []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1 << 40, -(1 << 40), 3}

// TestExtremeValuesKeepInvariants drives every algorithm through every combination of extreme
// instant, cost and operation: nothing panics, and every decision keeps the invariants.
func TestExtremeValuesKeepInvariants(t *testing.T) {
	for _, a := range Algorithms {
		for i, base := range extremeConfigs {
			for _, noDelay := range []bool{false, true} {
				c := base
				c.Algorithm, c.NoDelay = a, noDelay
				t.Run(fmt.Sprintf("%s/config%d/nodelay=%v", a, i, noDelay), func(t *testing.T) {
					l, err := New(c)
					require.NoError(t, err)
					c = l.Config()
					for _, at := range extremeInstants {
						for _, cost := range extremeCosts {
							for _, o := range []op{allow, charge, peek} {
								var d Decision
								switch o {
								case allow:
									d = l.Allow(at, cost)
								case peek:
									d = l.Peek(at)
								case charge:
									l.Charge(at, cost)
									continue
								}
								if msg := invariantViolation(c, d); msg != "" {
									t.Fatalf("at %s cost %d op %d: %+v: %s", at, cost, o, d, msg)
								}
							}
						}
					}
				})
			}
		}
	}
}

// FuzzLimiter decodes arbitrary bytes into a config and a sequence of calls (any instant
// offsets, any costs) and checks that nothing panics and every decision keeps the invariants.
func FuzzLimiter(f *testing.F) {
	f.Add([]byte{0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3})
	f.Add([]byte("\x02\xff\xff\xff\xff\xff\xff\xff\x7f\x01\x00\x00\x00\x00\x00\x00\x00\x09abcdefghijklmnopqrstuvwxyz"))
	f.Add([]byte("\x05\x32\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x80\x80\x80\x80\x80\x80\x80\x80"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 9 {
			return
		}
		c := Config{
			Algorithm: Algorithms[int(data[0])%len(Algorithms)],
			Limit:     int64(binary.LittleEndian.Uint64(data[1:9]) >> 1),
			NoDelay:   data[0]&0x80 != 0,
		}
		data = data[9:]
		if len(data) >= 2 {
			c.Window = time.Duration(binary.LittleEndian.Uint16(data)) * time.Millisecond
			data = data[2:]
		}
		if len(data) >= 1 {
			c.Burst = int64(data[0])
			data = data[1:]
		}
		l, err := New(c)
		if err != nil {
			return // invalid configs are rejected, not run
		}
		c = l.Config()
		at := t0
		for len(data) >= 3 {
			step := time.Duration(int8(data[1])) * time.Duration(1+int64(data[0]&0x0f)<<int(data[0]>>4)) // any sign and scale
			at = at.Add(step)
			cost := int64(int8(data[2]))
			if data[0]&0x08 != 0 {
				cost <<= 40
			}
			switch data[0] % 3 {
			case 0:
				l.Charge(at, cost)
			case 1:
				if d := l.Peek(at); invariantViolation(c, d) != "" {
					t.Fatalf("Peek at %s: %+v: %s", at, d, invariantViolation(c, d))
				}
			default:
				if d := l.Allow(at, cost); invariantViolation(c, d) != "" {
					t.Fatalf("Allow(%s, %d): %+v: %s", at, cost, d, invariantViolation(c, d))
				}
			}
			data = data[3:]
		}
	})
}
