package workload

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Trace is a recorded workload: one entry per logical request, in arrival order. At holds the
// arrival offsets since the first request; the size columns hold tokens, −1 where the source
// did not say (a refused attempt has no usage). Fill replaces the unknown sizes.
type Trace struct {
	At        []time.Duration
	Input     []int64 // prompt tokens not read from the cache
	Output    []int64
	CacheRead []int64 // nil when the source has no such column
	// Source names where the trace came from, for messages: the file's name.
	Source string
}

// Len returns the number of requests.
func (t *Trace) Len() int { return len(t.At) }

// Duration returns the time from the first arrival to the last.
func (t *Trace) Duration() time.Duration {
	if len(t.At) == 0 {
		return 0
	}
	return t.At[len(t.At)-1]
}

// traceCSVColumns are the columns a CSV trace may have; the first three are required.
var traceCSVColumns = []string{"timestamp", "input_tokens", "output_tokens", "cache_read_tokens", "model", "client"}

// traceCSVExample is the header every CSV error quotes.
const traceCSVExample = "a header row timestamp,input_tokens,output_tokens[,cache_read_tokens,model,client]"

// ReadTrace reads a trace file: an attempts.jsonl recording (of any ratelab run or of the
// proxy) or a CSV with a header row (see ReadTraceCSV). The first non-blank byte tells them
// apart: '{' is JSON lines. Unknown sizes are filled from the known ones (Fill, seed 1).
func ReadTrace(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var t *Trace
	if firstByte(br) == '{' {
		t, err = ReadTraceJSONL(br, path)
	} else {
		t, err = ReadTraceCSV(br, path)
	}
	if err != nil {
		return nil, err
	}
	t.Fill(1)
	return t, nil
}

// firstByte peeks at the first byte that is not white space or a byte-order mark; 0 at the end.
func firstByte(br *bufio.Reader) byte {
	for n := 1; n <= 4096; n++ {
		b, _ := br.Peek(n)
		if len(b) < n {
			return 0
		}
		if c := b[n-1]; c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != 0xEF && c != 0xBB && c != 0xBF {
			return c
		}
	}
	return 0
}

// ReadTraceCSV reads a CSV trace: a header row naming timestamp, input_tokens and output_tokens
// (and optionally cache_read_tokens, model, client, in any order), then one row per request.
// A timestamp is RFC 3339 (2025-01-06T09:00:00Z, fractions allowed) or Unix seconds; a token
// count is a whole number ≥ 0, or empty when unknown. Rows may come in any order; the trace is
// sorted by time. name labels errors, which give the line number.
func ReadTraceCSV(r io.Reader, name string) (*Trace, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("trace %s: empty; want %s", name, traceCSVExample)
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s: %v", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(traceCSVColumns, h) {
			return nil, fmt.Errorf("trace %s line 1: unknown column %q; want %s", name, h, traceCSVExample)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("trace %s line 1: column %q appears twice", name, h)
		}
		col[h] = i
	}
	for _, need := range traceCSVColumns[:3] {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("trace %s line 1: no %s column; want %s", name, need, traceCSVExample)
		}
	}
	cache, hasCache := col["cache_read_tokens"]
	var abs []float64 // seconds since the Unix epoch
	t := &Trace{Source: name}
	sorted := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("trace %s line %d: %v", name, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("trace %s: %v", name, err)
		}
		line, _ := cr.FieldPos(0)
		fail := func(err error) (*Trace, error) { return nil, fmt.Errorf("trace %s line %d: %v", name, line, err) }
		if len(rec) != len(head) {
			return fail(fmt.Errorf("%d fields, the header has %d", len(rec), len(head)))
		}
		ts, err := parseTimestamp(rec[col["timestamp"]])
		if err != nil {
			return fail(err)
		}
		in, err := parseTokens("input_tokens", rec[col["input_tokens"]])
		if err != nil {
			return fail(err)
		}
		out, err := parseTokens("output_tokens", rec[col["output_tokens"]])
		if err != nil {
			return fail(err)
		}
		if hasCache {
			cached, err := parseTokens("cache_read_tokens", rec[cache])
			if err != nil {
				return fail(err)
			}
			t.CacheRead = append(t.CacheRead, cached)
		}
		if n := len(abs); n > 0 && ts < abs[n-1] {
			sorted = false
		}
		abs = append(abs, ts)
		t.Input = append(t.Input, in)
		t.Output = append(t.Output, out)
	}
	if len(abs) == 0 {
		return nil, fmt.Errorf("trace %s: a header but no rows; want one row per request", name)
	}
	if !sorted {
		t.sortBy(abs)
	}
	t.At = offsets(abs)
	return t, nil
}

// sortBy orders the trace's columns by the absolute times abs (stable), sorting abs too.
func (t *Trace) sortBy(abs []float64) {
	idx := make([]int, len(abs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case abs[a] < abs[b]:
			return -1
		case abs[a] > abs[b]:
			return 1
		}
		return 0
	})
	perm := func(col []int64) []int64 {
		if col == nil {
			return nil
		}
		out := make([]int64, len(col))
		for i, j := range idx {
			out[i] = col[j]
		}
		return out
	}
	t.Input, t.Output, t.CacheRead = perm(t.Input), perm(t.Output), perm(t.CacheRead)
	sortedAbs := make([]float64, len(abs))
	for i, j := range idx {
		sortedAbs[i] = abs[j]
	}
	copy(abs, sortedAbs)
}

// offsets turns sorted absolute seconds into durations since the first.
func offsets(abs []float64) []time.Duration {
	out := make([]time.Duration, len(abs))
	for i, s := range abs {
		out[i] = time.Duration(math.Round((s - abs[0]) * 1e9))
	}
	return out
}

// timestampExample is the valid form quoted by timestamp errors.
const timestampExample = "RFC 3339 such as 2025-01-06T09:00:00Z, or Unix seconds"

// parseTimestamp reads an RFC 3339 instant or Unix seconds, as seconds since the Unix epoch.
func parseTimestamp(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty timestamp; want " + timestampExample)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return float64(t.UnixNano()) / 1e9, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && !math.IsInf(f, 0) {
		return f, nil
	}
	return 0, fmt.Errorf("timestamp %q: want %s", s, timestampExample)
}

// maxTraceTokens bounds one request's token count in a trace.
const maxTraceTokens = 4 * MaxPromptTokens

// parseTokens reads a token count: a whole number ≥ 0, or −1 for an empty field.
func parseTokens(column, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxTraceTokens {
		return 0, fmt.Errorf("%s %q: want a whole number of tokens from 0 to %d, or nothing when unknown", column, s, maxTraceTokens)
	}
	return n, nil
}

// Fill replaces every unknown size (−1) with a known size of the same column drawn at random
// (seeded, per request), so a refused request weighs what the admitted ones do; a column with
// no known size takes the defaults (DefaultPromptTokens input, DefaultMaxTokens output, 0 cache
// reads).
func (t *Trace) Fill(seed uint64) {
	fill := func(col []int64, def int64, stream uint64) {
		var known []int64
		for _, v := range col {
			if v >= 0 {
				known = append(known, v)
			}
		}
		for i, v := range col {
			switch {
			case v >= 0:
			case len(known) == 0:
				col[i] = def
			default:
				col[i] = known[uniformIndex(seed^stream<<32, uint64(i), len(known))]
			}
		}
	}
	fill(t.Input, DefaultPromptTokens, 1)
	fill(t.Output, DefaultMaxTokens, 2)
	fill(t.CacheRead, 0, 3)
}
