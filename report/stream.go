package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// Stream builds a run's report while its attempts are being written, so a long run is not read
// back from attempts.jsonl at the end: feed it every attempt in log order (a record.Writer's
// Tap), then call Finish with the final run.json. Generate is a Stream fed by a re-read of the
// log, and Add normalizes each attempt as writing and re-reading it would
// (record.Attempt.Normalize), so a Stream fed during the run writes byte-identical files.
//
// The run passed to NewStream must already hold every segment an attempt will name, with its
// start time set before the segment's first attempt (the per-strategy figures take their
// segment's start and parameters when they first see it); Finish takes the completed run.
type Stream struct {
	dir       string
	opts      Options
	b         *Builder
	csvTmp    *os.File
	cw        *CSVWriter
	err       error
	normalize bool
	a         record.Attempt // scratch copy for normalizing
}

// NewStream starts the report of the run in dir (run describes it as far as it is known) and
// opens a temporary attempts.csv there unless opts.SkipCSV.
func NewStream(dir string, run *record.Run, opts Options) (*Stream, error) {
	return newStream(dir, run, opts, infer.NewAnalyzer(run))
}

func newStream(dir string, run *record.Run, opts Options, an analyzer) (*Stream, error) {
	s := &Stream{dir: dir, opts: opts, b: newBuilder(run, an), normalize: true}
	if !opts.SkipCSV {
		tmp, err := os.CreateTemp(dir, "."+CSVFile+".tmp*")
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", CSVFile, err)
		}
		s.csvTmp = tmp
		if s.cw, err = NewCSVWriter(tmp, run.Streamed()); err != nil {
			s.Abort()
			return nil, fmt.Errorf("write %s: %w", CSVFile, err)
		}
	}
	return s, nil
}

// Add feeds one attempt as it is written, in log order. The attempt is not retained or changed.
func (s *Stream) Add(a *record.Attempt) {
	if s.normalize {
		s.a = *a
		s.a.Normalize()
		a = &s.a
	}
	s.b.Add(a)
	if s.cw != nil && s.err == nil {
		if err := s.cw.Write(a); err != nil {
			s.err = fmt.Errorf("write %s: %w", CSVFile, err)
		}
	}
}

// Abort discards the temporary CSV; the Stream must not be used afterwards.
func (s *Stream) Abort() {
	if s.csvTmp != nil {
		s.csvTmp.Close()
		os.Remove(s.csvTmp.Name())
		s.csvTmp = nil
	}
}

// Finish writes summary.json, report.md, the charts and attempts.csv into the run directory, each
// replaced atomically, and returns the summary. run is the completed run.json (pass what
// record.ReadRun returns after writing it, so the report shows exactly what a re-render shows).
func (s *Stream) Finish(run *record.Run) (*summary.Summary, error) {
	defer s.Abort()
	if s.err != nil {
		return nil, s.err
	}
	s.b.run = run
	sum := s.b.Summary()
	charts := s.b.Charts(sum)

	js, err := sum.MarshalIndent()
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", SummaryFile, err)
	}
	if err := record.WriteFileAtomic(filepath.Join(s.dir, SummaryFile), js); err != nil {
		return nil, fmt.Errorf("write %s: %w", SummaryFile, err)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, run, sum, charts); err != nil {
		return nil, err
	}
	if err := record.WriteFileAtomic(filepath.Join(s.dir, MarkdownFile), md.Bytes()); err != nil {
		return nil, fmt.Errorf("write %s: %w", MarkdownFile, err)
	}
	if !s.opts.SkipCharts {
		if err := writeCharts(s.dir, charts); err != nil {
			return nil, err
		}
	}
	if s.cw != nil {
		if err := s.cw.Flush(); err != nil {
			return nil, fmt.Errorf("write %s: %w", CSVFile, err)
		}
		if err := s.csvTmp.Chmod(0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", CSVFile, err)
		}
		if err := s.csvTmp.Close(); err != nil {
			return nil, fmt.Errorf("write %s: %w", CSVFile, err)
		}
		if err := os.Rename(s.csvTmp.Name(), filepath.Join(s.dir, CSVFile)); err != nil {
			return nil, fmt.Errorf("write %s: %w", CSVFile, err)
		}
		s.csvTmp = nil
	}
	return sum, nil
}
