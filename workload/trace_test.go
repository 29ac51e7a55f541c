package workload

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
)

// traceCase is one input to a trace reader and the trace (or the error) it must give.
type traceCase struct {
	name    string
	in      string
	at      []time.Duration
	input   []int64
	output  []int64
	cache   []int64
	wantErr string
}

// checkTraceReads runs read on each case as file name.
func checkTraceReads(t *testing.T, tests []traceCase, name string, read func(r io.Reader, name string) (*Trace, error)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := read(strings.NewReader(tt.in), name)
			if !testcheck.Err(t, err, tt.wantErr) {
				return
			}
			assert.Equal(t, tt.at, tr.At)
			assert.Equal(t, tt.input, tr.Input)
			assert.Equal(t, tt.output, tr.Output)
			assert.Equal(t, tt.cache, tr.CacheRead)
		})
	}
}

func TestReadTraceCSV(t *testing.T) {
	tests := []traceCase{
		{name: "rfc3339", in: "timestamp,input_tokens,output_tokens\n2025-01-06T09:00:00Z,100,20\n2025-01-06T09:00:02.5Z,50,10\n",
			at: []time.Duration{0, 2500 * time.Millisecond}, input: []int64{100, 50}, output: []int64{20, 10}},
		{name: "columns in any order, unix seconds, cache reads", in: "output_tokens,client,timestamp,input_tokens,cache_read_tokens,model\n5,a,100.5,7,3,m\n6,b,100,8,0,m\n",
			at: []time.Duration{0, 500 * time.Millisecond}, input: []int64{8, 7}, output: []int64{6, 5}, cache: []int64{0, 3}},
		{name: "unknown size stays -1", in: "timestamp,input_tokens,output_tokens\n1,,4\n", at: []time.Duration{0}, input: []int64{-1}, output: []int64{4}},
		{name: "empty", in: "", wantErr: "empty; want a header row timestamp,input_tokens,output_tokens"},
		{name: "missing column", in: "timestamp,input_tokens\n1,2\n", wantErr: "line 1: no output_tokens column"},
		{name: "unknown column", in: "timestamp,input,output_tokens\n", wantErr: `line 1: unknown column "input"`},
		{name: "bad timestamp", in: "timestamp,input_tokens,output_tokens\n1,2,3\nyesterday,2,3\n", wantErr: `t.csv line 3: timestamp "yesterday": want RFC 3339`},
		{name: "negative tokens", in: "timestamp,input_tokens,output_tokens\n1,2,3\n2,2,3\n3,-2,3\n", wantErr: `line 4: input_tokens "-2": want a whole number`},
		{name: "short row", in: "timestamp,input_tokens,output_tokens\n1,2\n", wantErr: "line 2: 2 fields, the header has 3"},
		{name: "no rows", in: "timestamp,input_tokens,output_tokens\n", wantErr: "a header but no rows"},
	}
	checkTraceReads(t, tests, "t.csv", ReadTraceCSV)
}

func TestReadTraceJSONL(t *testing.T) {
	tests := []traceCase{
		{name: "first attempts; a retry's usage sizes its request", in: `{"run":"p","request":0,"attempt":1,"scheduled_s":0,"sent_s":0,"status":200,"input_tokens":30,"output_tokens":16}
{"run":"p","request":1,"attempt":1,"scheduled_s":1,"sent_s":1,"status":429}
{"run":"p","request":1,"attempt":2,"scheduled_s":3,"sent_s":3,"status":200,"input_tokens":40,"output_tokens":8}
{"run":"p","request":2,"attempt":1,"scheduled_s":2,"sent_s":2.1,"status":429}
`, at: []time.Duration{0, time.Second, 2 * time.Second}, input: []int64{30, 40, -1}, output: []int64{16, 8, -1}, cache: []int64{0, 0, -1}},
		{name: "observed records are each an arrival", in: `{"run":"proxy","request":0,"attempt":1,"sent_s":5,"status":200,"input_tokens":9,"output_tokens":3,"observed":true}
{"run":"proxy","request":0,"attempt":1,"sent_s":6,"status":429,"observed":true}
`, at: []time.Duration{0, time.Second}, input: []int64{9, -1}, output: []int64{3, -1}, cache: []int64{0, -1}},
		{name: "a truncated last line is ignored", in: `{"run":"p","request":0,"attempt":1,"scheduled_s":0,"sent_s":0,"status":200,"input_tokens":1,"output_tokens":1}
{"run":"p","requ`, at: []time.Duration{0}, input: []int64{1}, output: []int64{1}, cache: []int64{0}},
		{name: "a bad line names its number", in: "{\"run\":\"p\",\"request\":0,\"attempt\":1,\"sent_s\":0}\nnot json\n{}\n", wantErr: "t.jsonl line 2: not an attempts.jsonl record"},
		{name: "nothing", in: "\n", wantErr: "no attempts"},
	}
	checkTraceReads(t, tests, "t.jsonl", ReadTraceJSONL)
}

func TestTraceFill(t *testing.T) {
	tr := &Trace{At: make([]time.Duration, 4), Input: []int64{10, -1, 30, -1}, Output: []int64{-1, -1, -1, -1}}
	tr.Fill(7)
	for _, v := range tr.Input {
		assert.Contains(t, []int64{10, 30}, v, "unknown input drawn from the known sizes")
	}
	assert.Equal(t, []int64{DefaultMaxTokens, DefaultMaxTokens, DefaultMaxTokens, DefaultMaxTokens}, tr.Output)
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    Size
		wantErr string
	}{
		{in: "", want: Size{Kind: SizeTrace}},
		{in: "trace", want: Size{Kind: SizeTrace}},
		{in: "Empirical", want: Size{Kind: SizeEmpirical}},
		{in: "400", want: Size{Kind: SizeFixed, N: 400}},
		{in: "fixed:12", want: Size{Kind: SizeFixed, N: 12}},
		{in: "uniform:100-800", want: Size{Kind: SizeUniform, Lo: 100, Hi: 800}},
		{in: "lognormal:400,0.8", want: Size{Kind: SizeLogNormal, Median: 400, Sigma: 0.8}},
		{in: "uniform:800-100", wantErr: "LO ≤ HI"},
		{in: "lognormal:400", wantErr: "median > 0"},
		{in: "gamma:3", wantErr: `unknown distribution "gamma"`},
		{in: "-5", wantErr: "not a distribution"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			testcheck.Parse(t, ParseSize, tt.in, tt.want, tt.wantErr, "want trace, empirical")
		})
	}
}

func TestSizeDraws(t *testing.T) {
	col := []int64{5, 6, 7}
	for id := range int64(200) {
		u := Size{Kind: SizeUniform, Lo: 10, Hi: 20}.draw(1, id, 0, nil)
		assert.True(t, u >= 10 && u <= 20, "uniform %d", u)
		assert.Contains(t, col, Size{Kind: SizeEmpirical}.draw(1, id, 0, col))
		assert.Equal(t, int64(9), Size{Kind: SizeTrace}.draw(1, id, 9, col))
	}
	var sum float64
	for id := range int64(2000) {
		sum += float64(Size{Kind: SizeLogNormal, Median: 100, Sigma: 0}.draw(1, id, 0, nil))
	}
	assert.InDelta(t, 100, sum/2000, 0.01, "sigma 0 is the median")
}

// evenTrace is n requests gap apart, each of 100 input and 20 output tokens.
func evenTrace(n int, gap time.Duration) *Trace {
	t := &Trace{Source: "even"}
	for i := range n {
		t.At = append(t.At, time.Duration(i)*gap)
		t.Input = append(t.Input, 100)
		t.Output = append(t.Output, 20)
	}
	return t
}

func TestReplay(t *testing.T) {
	tr := evenTrace(100, 2*time.Second)
	tests := []struct {
		name  string
		scale float64
		spec  ReplaySpec
		want  uint64
	}{
		{"as recorded", 1, ReplaySpec{}, 100},
		{"replicated twice", 2, ReplaySpec{Seed: 3}, 200},
		{"half", 0.5, ReplaySpec{Seed: 3}, 50},
		{"one and a half", 1.5, ReplaySpec{Seed: 3}, 150},
		{"poisson", 4, ReplaySpec{Arrivals: ArrivalPoisson, Seed: 3}, 400},
		{"constant", 3, ReplaySpec{Arrivals: ArrivalConstant}, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReplay(tr, tt.scale, tt.spec)
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.Requests())
			prev := time.Duration(-1)
			for n := range r.Requests() {
				at, ok := r.Due(n)
				require.True(t, ok, "request %d", n)
				assert.GreaterOrEqual(t, at, prev, "arrivals in order")
				assert.Less(t, at, r.Span(), "every arrival before the span")
				if tt.scale == 1 && tt.spec.Arrivals == ArrivalTrace {
					assert.Equal(t, tr.At[n], at, "scale 1 replays the trace exactly")
				}
				in, out := r.Of(int64(n))
				assert.Equal(t, [2]int64{100, 20}, [2]int64{in, out})
				prev = at
			}
			_, ok := r.Due(r.Requests())
			assert.False(t, ok)
			if tt.spec.Arrivals == ArrivalTrace {
				last, _ := r.Due(r.Requests() - 1)
				assert.InDelta(t, tr.Duration().Seconds(), last.Seconds(), 2.01, "replicated, not compressed: the same span")
			}
		})
	}
	_, err := NewReplay(tr, 0, ReplaySpec{})
	require.ErrorContains(t, err, "want a factor above 0")
}
