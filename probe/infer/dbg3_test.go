package infer

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ratelab/ratelab/probe/ratelimit"
	"github.com/ratelab/ratelab/probe/record"
)

// go test -run TestDbgFile: env DBG_W (true window), DBG_Q, DBG_RD
func TestDbgFile(t *testing.T) {
	if os.Getenv("DBG_W") == "" {
		t.Skip()
	}
	var run record.Run
	b, _ := os.ReadFile("/tmp/dbg/run.json")
	json.Unmarshal(b, &run)
	f, _ := os.Open("/tmp/dbg/attempts.jsonl")
	a := NewAnalyzer(&run)
	record.Scan(f, func(at *record.Attempt) error { a.Add(at); return nil })
	tl := a.timelines[0]
	ta := a.analyzeTimeline(tl)
	s := seriesFor(tl, ratelimit.Requests, ta.attr, ta.c, false)
	w, _ := strconv.ParseFloat(os.Getenv("DBG_W"), 64)
	q, _ := strconv.ParseFloat(os.Getenv("DBG_Q"), 64)
	rd64, _ := strconv.Atoi(os.Getenv("DBG_RD"))
	rd := uint8(rd64)
	// true phase: windows aligned to the epoch; run start
	start := run.Started
	off := float64(start.UnixNano()%int64(w*1e9)) / 1e9
	phi := mod(-off, w)
	fmt.Printf("n %d span %.1f, true phi %.4f: m %d\n", s.len(), s.t[s.len()-1]-s.t[0], phi, swMismatch(&s, q, w, phi, false, rd))
	var sc swPhaseScratch
	lo, hi := sc.swLengths(&s, q, w, phi, false, rd, 0)
	fmt.Printf("truth polygon w [%.5f %.5f]\n", lo, hi)
	t0 := time.Now()
	fits := fitAll(&s)
	fmt.Println("fitAll", time.Since(t0))
	for _, f := range fits {
		fmt.Printf("  %s cr %v rd %d m %d q %v w %.5f rate/min %.3f [%.3f %.3f] ok %v\n", f.model, f.cr, f.rd, f.m, f.q, f.window, f.rate*60, f.lo*60, f.hi*60, f.ok)
	}
}

func TestDbgCoarse(t *testing.T) {
	if os.Getenv("DBG_W") == "" {
		t.Skip()
	}
	var run record.Run
	b, _ := os.ReadFile("/tmp/dbg/run.json")
	json.Unmarshal(b, &run)
	f, _ := os.Open("/tmp/dbg/attempts.jsonl")
	a := NewAnalyzer(&run)
	record.Scan(f, func(at *record.Attempt) error { a.Add(at); return nil })
	tl := a.timelines[0]
	ta := a.analyzeTimeline(tl)
	s := seriesFor(tl, ratelimit.Requests, ta.attr, ta.c, false)
	w0, _ := strconv.ParseFloat(os.Getenv("DBG_W"), 64)
	q, _ := strconv.ParseFloat(os.Getenv("DBG_Q"), 64)
	fmt.Println("firstBurst", firstBurst(&s), "typicalRun", typicalRun(&s))
	off := float64(run.Started.UnixNano()%int64(w0*1e9)) / 1e9
	phi := mod(-off, w0)
	mid := (s.t[0] + s.t[s.len()-1]) / 2
	for _, w := range []float64{w0 * 0.98, w0 * 0.99, w0, w0 * 1.01, w0 * 1.02} {
		best := math.MaxInt
		for j := range 20 {
			tref := mid + w*float64(j)/20
			best = min(best, swMismatch(&s, q, w, mod(tref, w), false, 0))
		}
		var sc swPhaseScratch
		_, mp := sc.swPhase(&s, q, w, phi, 1, false, 0)
		fmt.Printf("w %.3f coarse best %d; from true phase: %d\n", w, best, mp)
	}
	// where refusals are
	for i := range s.t {
		if !s.acc[i] {
			fmt.Printf("%.2f ", s.t[i])
		}
	}
	fmt.Println()
}

func TestDbgProfile(t *testing.T) {
	if os.Getenv("DBG_W") == "" {
		t.Skip()
	}
	var run record.Run
	b, _ := os.ReadFile("/tmp/dbg/run.json")
	json.Unmarshal(b, &run)
	f, _ := os.Open("/tmp/dbg/attempts.jsonl")
	a := NewAnalyzer(&run)
	record.Scan(f, func(at *record.Attempt) error { a.Add(at); return nil })
	tl := a.timelines[0]
	ta := a.analyzeTimeline(tl)
	s := seriesFor(tl, ratelimit.Requests, ta.attr, ta.c, false)
	w, _ := strconv.ParseFloat(os.Getenv("DBG_W"), 64)
	q, _ := strconv.ParseFloat(os.Getenv("DBG_Q"), 64)
	var sc swPhaseScratch
	p := 0.0
	cells := 0
	t0 := time.Now()
	for p < w {
		m, lo, hi, _, bb := sc.swCell(&s, q, w, p, false, 0)
		if m < 15 {
			fmt.Printf("cell best %d at [%.3f %.3f)\n", m, lo, hi)
		}
		cells++
		p = bb + 1e-9
	}
	fmt.Println("cells", cells, time.Since(t0))
}

func TestDbgRefPos(t *testing.T) {
	if os.Getenv("DBG_W") == "" {
		t.Skip()
	}
	var run record.Run
	b, _ := os.ReadFile("/tmp/dbg/run.json")
	json.Unmarshal(b, &run)
	f, _ := os.Open("/tmp/dbg/attempts.jsonl")
	a := NewAnalyzer(&run)
	record.Scan(f, func(at *record.Attempt) error { a.Add(at); return nil })
	tl := a.timelines[0]
	ta := a.analyzeTimeline(tl)
	s := seriesFor(tl, ratelimit.Requests, ta.attr, ta.c, false)
	w0, _ := strconv.ParseFloat(os.Getenv("DBG_W"), 64)
	q, _ := strconv.ParseFloat(os.Getenv("DBG_Q"), 64)
	var sc swPhaseScratch
	for _, w := range []float64{w0 * 0.98, w0 * 0.99, w0, w0 * 1.01, w0 * 1.02, 72.69} {
		best, bp := math.MaxInt, 0.0
		for i := range s.t {
			if s.acc[i] {
				continue
			}
			for _, k := range []float64{0.5, 1, 2, 4} {
				p := s.t[i] - k*w/q
				if m := swMismatch(&s, q, w, p, false, 0); m < best {
					best, bp = m, p
				}
			}
		}
		p2, m2 := sc.swPhase(&s, q, w, bp, 1, false, 0)
		fmt.Printf("w %.3f refusal-based best %d at %.3f -> phase search %d at %.3f\n", w, best, mod(bp, w), m2, mod(p2, w))
	}
}
