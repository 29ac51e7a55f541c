package record

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// Fuzz targets of the attempt log reader as `ratelab report` uses it (FuzzDecodeJSON covers one
// line): any bytes, and a real log cut anywhere, as an interrupted or crashed writer leaves it.
// Run one with
//
//	go test ./record -run '^$' -fuzz '^FuzzScanCut$' -fuzztime 60s

// FuzzScan: Scan never panics on any bytes; an error names the line; every attempt it yields
// has a stable encoding (written, read and written again, the line is the same).
func FuzzScan(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	var log bytes.Buffer
	w := NewWriter(&log)
	for range 20 {
		a := randomAttempt(rng)
		if err := w.Write(&a); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Fatal(err)
	}
	f.Add(log.Bytes())
	f.Add([]byte("{}\n\n  \n{\"run\":\"a\",\"status\":429}\r\n{\"run\""))
	f.Add([]byte("{\"run\":\"a\"}\n{\"run\":1}\n"))
	f.Add([]byte("\n\n{\"limits\":{\"requests\":{\"limit\":1,\"dialect\":\"openai\"}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 0
		err := Scan(bytes.NewReader(data), func(a *Attempt) error {
			lines++
			first := a.AppendJSON(nil)
			var again Attempt
			if err := again.decodeJSON(first); err != nil {
				t.Fatalf("an attempt read from the log does not read back: %v\n%s", err, first)
			}
			if second := again.AppendJSON(nil); !bytes.Equal(first, second) {
				t.Fatalf("encoding is not stable:\n%s\n%s", first, second)
			}
			return nil
		})
		if err != nil && !strings.Contains(err.Error(), AttemptsFile+" line ") {
			t.Fatalf("error does not name the line: %v", err)
		}
	})
}

// FuzzScanCut writes n attempts and cuts the log after cut bytes: Scan reads back, without an
// error, exactly the attempts whose line survived whole (a last line that lost only its newline
// is whole), equal to what a full re-read gives for them.
func FuzzScanCut(f *testing.F) {
	f.Add(uint64(1), uint8(10), uint32(0))
	f.Add(uint64(2), uint8(3), uint32(1000))
	f.Add(uint64(3), uint8(50), uint32(7777))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, cut uint32) {
		rng := rand.New(rand.NewPCG(seed, 9))
		var log bytes.Buffer
		w := NewWriter(&log)
		var want []Attempt
		var ends []int // where each line ends, newline excluded
		for range int(n) % 64 {
			a := randomAttempt(rng)
			if rng.IntN(4) == 0 {
				a = awkwardAttempt(rng)
			}
			if err := w.Write(&a); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want = append(want, roundTrip(t, &a))
			ends = append(ends, log.Len()-1)
		}
		data := log.Bytes()
		if len(data) > 0 {
			data = data[:int(cut)%(len(data)+1)]
		}
		whole := 0
		for _, e := range ends {
			if e <= len(data) {
				whole++
			}
		}
		var got []Attempt
		err := Scan(bytes.NewReader(data), func(a *Attempt) error {
			got = append(got, *a)
			return nil
		})
		if err != nil {
			t.Fatalf("a log cut after %d bytes does not read: %v", len(data), err)
		}
		if len(got) != whole {
			t.Fatalf("cut after %d of %d bytes: read %d attempts, want the %d whole lines", len(data), log.Len(), len(got), whole)
		}
		for i := range got {
			if !attemptsEqual(&got[i], &want[i]) {
				t.Fatalf("attempt %d read back as %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}

// attemptsEqual compares two attempts by their encoding (NaN fields compare equal to themselves).
func attemptsEqual(a, b *Attempt) bool { return bytes.Equal(a.AppendJSON(nil), b.AppendJSON(nil)) }
