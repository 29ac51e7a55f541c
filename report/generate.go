package report

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// Output file names inside a run directory.
const (
	SummaryFile  = "summary.json"
	MarkdownFile = "report.md"
	CSVFile      = "attempts.csv"
)

// Options adjusts what Generate writes. The zero value writes everything.
type Options struct {
	// SkipCSV leaves attempts.csv unwritten.
	SkipCSV bool
	// SkipCharts leaves the PNGs undrawn (report.md still links them): for tests and benchmarks
	// of the analysis alone.
	SkipCharts bool
}

// Generate reads dir/run.json and dir/attempts.jsonl (streamed, never loaded whole) and writes
// dir/summary.json, dir/report.md, the PNG charts and dir/attempts.csv. Each file is replaced
// atomically. The same run.json and attempts.jsonl always give byte-identical summary.json and
// report.md, so `ratelab report DIR` re-renders a run exactly. A chart without data is not drawn
// (a stale PNG of that name is removed) and report.md says why.
func Generate(dir string, opts Options) (*summary.Summary, error) {
	return generate(dir, opts, func(run *record.Run) analyzer { return infer.NewAnalyzer(run) })
}

func generate(dir string, opts Options, newAnalyzer func(*record.Run) analyzer) (*summary.Summary, error) {
	run, err := record.ReadRun(dir)
	if err != nil {
		return nil, fmt.Errorf("read run: %w", err)
	}
	logPath := filepath.Join(dir, record.AttemptsFile)
	if _, err := os.Stat(logPath); err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	st, err := newStream(dir, run, opts, newAnalyzer(run))
	if err != nil {
		return nil, err
	}
	st.normalize = false // read back from the log: already what the log holds
	err = record.ScanFile(dir, func(a *record.Attempt) error {
		st.Add(a)
		return st.err
	})
	if err != nil {
		st.Abort()
		return nil, fmt.Errorf("read %s: %w", logPath, err)
	}
	return st.Finish(run)
}

// writeCharts draws the charts concurrently (they share no state but gonum's synchronized font
// cache) and returns the first error in chart order.
func writeCharts(dir string, charts []Chart) error {
	errs := make([]error, len(charts))
	var wg sync.WaitGroup
	for i := range charts {
		wg.Go(func() { errs[i] = writeChart(dir, &charts[i]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeChart draws one chart into dir, or removes a stale PNG of a chart without data.
func writeChart(dir string, c *Chart) error {
	path := filepath.Join(dir, c.File)
	if c.Omitted != "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", c.File, err)
		}
		return nil
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf); err != nil {
		return err
	}
	if err := record.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", c.File, err)
	}
	return nil
}
