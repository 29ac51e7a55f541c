package workload

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// traceLine is what a trace needs of one attempts.jsonl line (record.Attempt's JSON names).
type traceLine struct {
	Run          string   `json:"run"`
	Request      int64    `json:"request"`
	Attempt      int      `json:"attempt"`
	ScheduledS   *float64 `json:"scheduled_s"`
	SentS        float64  `json:"sent_s"`
	Status       int      `json:"status"`
	InputTokens  int64    `json:"input_tokens"`
	OutputTokens int64    `json:"output_tokens"`
	MaxTokens    int64    `json:"max_tokens"`
	CacheRead    *int64   `json:"cache_read_tokens"`
	Observed     bool     `json:"observed"`
}

// maxTraceLine bounds one attempts.jsonl line.
const maxTraceLine = 1 << 20

// ReadTraceJSONL reads an attempts.jsonl recording as a trace. Each logical request arrives at
// its first attempt's scheduled time (sent time when none): with "observed": true (the proxy's
// records, one per request the application sent, retries included) every record is an arrival;
// otherwise the first attempt of each logical request is (a run's retries are the strategy's,
// not the workload's). Sizes are the usage of the request's admitted attempt; a request never
// admitted has unknown sizes (−1), which Fill replaces. A bad line is an error naming it; a
// truncated last line (an interrupted recording) is ignored.
func ReadTraceJSONL(r io.Reader, name string) (*Trace, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	t := &Trace{Source: name}
	var abs []float64
	type key struct {
		run string
		req int64
	}
	first := map[key]int{} // logical request → its trace entry
	sorted := true
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, fmt.Errorf("trace %s line %d: longer than %d bytes", name, line, maxTraceLine)
		}
		last := err == io.EOF
		if err != nil && !last {
			return nil, fmt.Errorf("trace %s line %d: %v", name, line, err)
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			var l traceLine
			if jerr := json.Unmarshal([]byte(s), &l); jerr != nil {
				if last {
					break // a truncated last line
				}
				return nil, fmt.Errorf("trace %s line %d: not an attempts.jsonl record: %v", name, line, jerr)
			}
			at := l.SentS
			if l.ScheduledS != nil {
				at = *l.ScheduledS
			}
			if math.IsNaN(at) || at < 0 {
				return nil, fmt.Errorf("trace %s line %d: time %v: want seconds ≥ 0 since the run started", name, line, at)
			}
			in, out, cached := int64(-1), int64(-1), int64(-1)
			if l.Status >= 200 && l.Status < 300 && (l.InputTokens > 0 || l.OutputTokens > 0) {
				in, out, cached = l.InputTokens, l.OutputTokens, 0
				if l.CacheRead != nil {
					cached = *l.CacheRead
				}
			}
			k := key{l.Run, l.Request}
			if i, seen := first[k]; seen && !l.Observed {
				if t.Input[i] < 0 && in >= 0 { // a retry's usage sizes the request
					t.Input[i], t.Output[i], t.CacheRead[i] = in, out, cached
				}
			} else {
				if !l.Observed {
					first[k] = len(abs)
				}
				if n := len(abs); n > 0 && at < abs[n-1] {
					sorted = false
				}
				abs = append(abs, at)
				t.Input = append(t.Input, in)
				t.Output = append(t.Output, out)
				t.CacheRead = append(t.CacheRead, cached)
			}
		}
		if last {
			break
		}
	}
	if len(abs) == 0 {
		return nil, fmt.Errorf("trace %s: no attempts; want an attempts.jsonl recording or a CSV with %s", name, traceCSVExample)
	}
	if !sorted {
		t.sortBy(abs)
	}
	t.At = offsets(abs)
	return t, nil
}
