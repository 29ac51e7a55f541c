package report

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// CSVWriter streams attempts as attempts.csv: one header row, then one row per attempt with the
// attempts.jsonl fields flattened (one limit/remaining/reset_s column triple per dimension).
// Absent values are empty cells, never 0. A run that streamed has the stream columns
// (csvStreamHeader) at the end; a run that did not keeps the columns it always had.
type CSVWriter struct {
	w      *bufio.Writer
	row    []byte
	stream bool
}

// csvHeader lists the columns in order.
var csvHeader = func() []string {
	h := []string{"run", "mode", "strategy", "phase", "fleet", "client", "request", "attempt",
		"scheduled_s", "sent_s", "latency_ms", "end_s", "status", "outcome", "error",
		"input_tokens", "output_tokens", "max_tokens", "retry_after_s", "should_retry", "final",
		"client_rejected", "dialect"}
	for d := ratelimit.Dimension(0); d < ratelimit.NumDimensions; d++ {
		h = append(h, d.String()+"_limit", d.String()+"_remaining", d.String()+"_reset_s")
	}
	return append(h, "server_date_s", "malformed_headers")
}()

// csvStreamHeader lists the columns a streamed run adds after csvHeader, named as in
// attempts.jsonl (output_tokens is in csvHeader already). A row of an attempt that was not
// streamed has stream false and the others empty.
var csvStreamHeader = []string{"stream", "ttft_ms", "stream_ms", "stream_events", "stream_error"}

// NewCSVWriter writes the header row to w and returns a writer for the rows; stream adds the
// stream columns (record.Run.Streamed).
func NewCSVWriter(w io.Writer, stream bool) (*CSVWriter, error) {
	c := &CSVWriter{w: bufio.NewWriterSize(w, 256<<10), stream: stream}
	h := strings.Join(csvHeader, ",")
	if stream {
		h += "," + strings.Join(csvStreamHeader, ",")
	}
	_, err := c.w.WriteString(h + "\n")
	return c, err
}

// Write appends one attempt's row.
func (c *CSVWriter) Write(a *record.Attempt) error {
	r := c.row[:0]
	r = csvString(r, a.Run)
	r = csvString(append(r, ','), a.Mode)
	r = csvString(append(r, ','), a.Strategy)
	r = csvString(append(r, ','), a.Phase)
	r = strconv.AppendInt(append(r, ','), int64(a.Fleet), 10)
	r = strconv.AppendInt(append(r, ','), int64(a.Client), 10)
	r = strconv.AppendInt(append(r, ','), a.Request, 10)
	r = strconv.AppendInt(append(r, ','), int64(a.Number), 10)
	r = csvFloat(append(r, ','), record.Seconds(a.Scheduled), 6)
	r = csvFloat(append(r, ','), record.Seconds(a.Sent), 6)
	r = csvFloat(append(r, ','), record.Millis(a.Latency), 3)
	r = csvFloat(append(r, ','), record.Seconds(a.End()), 6)
	r = strconv.AppendInt(append(r, ','), int64(a.Status), 10)
	outcome := a.Outcome()
	if a.ClientRejected {
		outcome = "client_rejected"
	}
	r = append(append(r, ','), outcome...)
	r = csvString(append(r, ','), a.Error)
	r = strconv.AppendInt(append(r, ','), a.InputTokens, 10)
	r = strconv.AppendInt(append(r, ','), a.OutputTokens, 10)
	r = append(r, ',')
	if a.MaxTokens != 0 {
		r = strconv.AppendInt(r, a.MaxTokens, 10)
	}
	r = append(r, ',')
	if a.HasRetryAfter {
		r = csvFloat(r, record.Seconds(a.RetryAfter), 3)
	}
	r = append(r, ',')
	if a.ShouldRetry != 0 {
		r = strconv.AppendBool(r, a.ShouldRetry > 0)
	}
	r = strconv.AppendBool(append(r, ','), a.Final)
	r = strconv.AppendBool(append(r, ','), a.ClientRejected)
	r = append(r, ',')
	if a.Dialect != ratelimit.DialectNone {
		r = append(r, a.Dialect.String()...)
	}
	for d := range a.Limits {
		s := &a.Limits[d]
		r = append(r, ',')
		if s.Flags&ratelimit.HasLimit != 0 {
			r = strconv.AppendInt(r, s.Limit, 10)
		}
		r = append(r, ',')
		if s.Flags&ratelimit.HasRemaining != 0 {
			r = strconv.AppendInt(r, s.Remaining, 10)
		}
		r = append(r, ',')
		if s.Flags&ratelimit.HasReset != 0 {
			r = csvFloat(r, s.Reset.Seconds(), 3)
		}
	}
	r = append(r, ',')
	if a.HasServerDate {
		r = csvFloat(r, float64(a.ServerDate.UnixMilli())/1e3, 3)
	}
	r = strconv.AppendInt(append(r, ','), int64(a.MalformedHdrs), 10)
	if c.stream {
		r = appendStreamCells(r, a)
	}
	r = append(r, '\n')
	c.row = r
	_, err := c.w.Write(r)
	return err
}

// appendStreamCells appends the csvStreamHeader cells of a, each after a comma.
func appendStreamCells(r []byte, a *record.Attempt) []byte {
	r = strconv.AppendBool(append(r, ','), a.Stream)
	if !a.Stream {
		return append(r, ",,,,"...)
	}
	r = append(r, ',')
	if a.HasTTFT {
		r = csvFloat(r, record.Millis(a.TTFT), 3)
	}
	r = csvFloat(append(r, ','), record.Millis(a.StreamDuration), 3)
	r = strconv.AppendInt(append(r, ','), int64(a.StreamEvents), 10)
	return csvString(append(r, ','), a.StreamError)
}

// Flush writes buffered rows.
func (c *CSVWriter) Flush() error { return c.w.Flush() }

// csvString appends s as a CSV field, quoted (RFC 4180) when it holds a comma, quote or newline.
func csvString(buf []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && (s == "" || (s[0] != ' ' && s[0] != '\t')) {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}

// csvFloat appends f with at most prec decimals and no trailing zeros.
func csvFloat(buf []byte, f float64, prec int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return buf
	}
	return record.AppendRounded(buf, f, prec) // strconv.AppendFloat(buf, round(f, prec), 'f', -1, 64)
}
