package record

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// AttemptsFile is the name of the attempt log inside a run directory.
const AttemptsFile = "attempts.jsonl"

// Writer streams attempts to attempts.jsonl. It is safe for concurrent use. Lines are written
// whole: a line is appended to the buffer in one piece and the buffer is flushed only at line
// boundaries, so an interrupted run leaves only complete lines on disk.
type Writer struct {
	mu    sync.Mutex
	f     *os.File
	w     *bufio.Writer
	line  []byte
	count int64
	err   error
	tap   func(*Attempt)
}

// Create creates (truncating) dir/attempts.jsonl.
func Create(dir string) (*Writer, error) {
	f, err := os.Create(filepath.Join(dir, AttemptsFile))
	if err != nil {
		return nil, err
	}
	return &Writer{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// NewWriter wraps any io.Writer (tests, pipes). Close does not close w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write appends one attempt. The first write error is kept and returned by every later call.
func (w *Writer) Write(a *Attempt) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.line = a.AppendJSON(w.line[:0])
	w.line = append(w.line, '\n')
	if w.w.Available() < len(w.line) && w.w.Buffered() > 0 {
		if err := w.w.Flush(); err != nil {
			w.err = fmt.Errorf("write %s: %w", AttemptsFile, err)
			return w.err
		}
	}
	if _, err := w.w.Write(w.line); err != nil {
		w.err = fmt.Errorf("write %s: %w", AttemptsFile, err)
		return w.err
	}
	w.count++
	if w.tap != nil {
		w.tap(a)
	}
	return nil
}

// Tap makes w call fn with every attempt it writes from now on, right after the attempt's line
// is buffered: in log order, one call at a time, on the writing goroutine and under w's lock (fn
// must not call w). An in-process consumer — the report built while a run is recorded — thus
// sees exactly the attempts, and the order, that a re-read of the log would give (see
// Attempt.Normalize). nil removes the tap.
func (w *Writer) Tap(fn func(*Attempt)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tap = fn
}

// Count returns the number of attempts written so far.
func (w *Writer) Count() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

// Flush writes buffered lines to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = err
	}
	return w.err
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
		w.f = nil
	}
	return err
}

// Scan reads attempts.jsonl from r one line at a time and calls fn for each attempt; memory stays
// bounded whatever the log's size. The *Attempt passed to fn is reused: copy it to keep it. A
// truncated last line (an interrupted writer) is ignored; any other bad line is an error naming
// its line number.
func Scan(r io.Reader, fn func(*Attempt) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var a Attempt
	lineNo := 0
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: gather it.
			full := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if len(line) > 0 {
			lineNo++
			complete := line[len(line)-1] == '\n'
			trimmed := bytes.TrimSpace(line)
			if len(trimmed) > 0 {
				if uerr := a.decodeJSON(trimmed); uerr != nil {
					if !complete && err == io.EOF {
						return nil // truncated final line
					}
					return fmt.Errorf("%s line %d: %w", AttemptsFile, lineNo, uerr)
				}
				if ferr := fn(&a); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ScanFile is Scan over dir/attempts.jsonl.
func ScanFile(dir string, fn func(*Attempt) error) error {
	f, err := os.Open(filepath.Join(dir, AttemptsFile))
	if err != nil {
		return err
	}
	defer f.Close()
	return Scan(f, fn)
}
