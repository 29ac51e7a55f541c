package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/probe/record"
)

func TestErrorKinds(t *testing.T) {
	withErr := func(status int, text string, rejected bool) record.Attempt {
		a := att(0, 1, 1, 0, 0, 10, status, true)
		a.Error, a.ClientRejected = text, rejected
		return a
	}
	long := strings.Repeat("é", 200)
	tests := []struct {
		name      string
		atts      []record.Attempt
		want      []ErrorKind
		inFinding string
	}{
		{"no errors: no kinds, no line", []record.Attempt{att(0, 1, 1, 0, 0, 10, 200, true)}, nil, ""},
		{
			name: "counted by text, most frequent first, ties by text",
			atts: []record.Attempt{
				withErr(0, "timeout after 2s", false), withErr(0, "connection reset by the server (RST)", false),
				withErr(0, "timeout after 2s", false), withErr(200, "2xx body is not JSON", false),
				withErr(0, "held by the strategy past the max-elapsed bound", true),
			},
			want: []ErrorKind{{"timeout after 2s", 2}, {"2xx body is not JSON", 1},
				{"connection reset by the server (RST)", 1}, {"held by the strategy past the max-elapsed bound", 1}},
			inFinding: "Failures by kind: 2 × timeout after 2s; 1 × 2xx body is not JSON;",
		},
		{
			name: "failed statuses without a text are named by status and content type; 429s and successes are not kinds",
			atts: func() []record.Attempt {
				var as []record.Attempt
				for range 15 {
					a := withErr(500, "", false)
					a.Mode, a.ContentType = record.ModeLive, "text/html"
					as = append(as, a)
				}
				for range 6 {
					a := withErr(0, "connection refused", false)
					a.Mode = record.ModeLive
					as = append(as, a)
				}
				sim := withErr(529, "", false)
				sim.ContentType = "application/json"
				bare := withErr(502, "", false)
				bare.Mode = record.ModeLive
				return append(as, sim, bare, withErr(429, "", false), withErr(200, "", false))
			}(),
			want: []ErrorKind{{"HTTP 500 text/html", 15}, {"connection refused", 6}, {"HTTP 502", 1},
				{"HTTP 529 application/json (simulated)", 1}},
			inFinding: "Failures by kind: 15 × HTTP 500 text/html; 6 × connection refused; 1 × HTTP 502; 1 × HTTP 529 application/json (simulated).",
		},
		{
			name:      "a long text is cut on a rune boundary",
			atts:      []record.Attempt{withErr(0, long, false)},
			want:      []ErrorKind{{long[:maxErrorText] + "…", 1}},
			inFinding: "Failures by kind: 1 × éé",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(&record.Run{})
			for i := range tt.atts {
				b.Add(&tt.atts[i])
			}
			s := b.Summary()
			assert.Equal(t, tt.want, s.Totals.ErrorKinds)
			named := int64(0)
			for _, k := range s.Totals.ErrorKinds {
				named += k.Count
			}
			assert.GreaterOrEqual(t, named, s.Totals.Overloaded+s.Totals.Errors, "every attempt that failed otherwise is named")
			found := ""
			for _, f := range s.Findings {
				if strings.HasPrefix(f, "Failures by kind") {
					found = f
				}
			}
			if tt.inFinding == "" {
				assert.Empty(t, found)
			} else {
				assert.Contains(t, found, tt.inFinding)
			}
		})
	}
	t.Run("bounded: beyond the tracked kinds, texts count as other errors", func(t *testing.T) {
		b := NewBuilder(&record.Run{})
		for i := range maxErrorKinds + 10 {
			a := withErr(0, fmt.Sprintf("error %03d", i), false)
			b.Add(&a)
		}
		kinds := b.Summary().Totals.ErrorKinds
		require.Len(t, kinds, maxErrorKindsShown+1)
		last := kinds[len(kinds)-1]
		assert.Equal(t, ErrorKind{"other errors", maxErrorKinds + 10 - maxErrorKindsShown}, last)
	})
}
