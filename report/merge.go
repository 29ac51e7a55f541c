package report

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// MergedShard is one input of Merge: where it came from and how its clock was aligned.
type MergedShard struct {
	Dir   string
	Shard string // "i/n" from its run.json, "" when it names none
	// Shift is how much later than the earliest shard this one started, on the servers' clock
	// (its record times are moved by it).
	Shift time.Duration
	// Clock is the shard's clock offset from its Date headers; Aligned is false when it had
	// none and its own clock was trusted.
	Clock   record.ClockOffset
	Aligned bool
	Attempt int // attempts it contributed
}

// Merge writes into out one run directory made of the run directories in dirs, the shards of
// one run spread over several hosts (--shard), and generates its report. Each shard's clock is
// aligned to its servers' Date headers (record.EstimateClockOffset), where present, so hosts
// whose clocks disagree still merge onto one timeline; each shard's attempt times are shifted
// by how much later it started than the first. Segments of the same label become one, and
// request ids are interleaved (request r of shard i becomes r·n + i, the id the same arrival
// has in a run on one host).
func Merge(out string, dirs []string, opts Options) (*summary.Summary, []MergedShard, error) {
	if len(dirs) < 2 {
		return nil, nil, errors.New("merge: want at least two run directories")
	}
	runs := make([]*record.Run, len(dirs))
	logs := make([][]record.Attempt, len(dirs))
	shards := make([]MergedShard, len(dirs))
	starts := make([]time.Time, len(dirs)) // each shard's start on its servers' clock
	for i, d := range dirs {
		run, err := record.ReadRun(d)
		if err != nil {
			return nil, nil, fmt.Errorf("merge: %s: %w", d, err)
		}
		if i > 0 && run.Command != runs[0].Command {
			return nil, nil, fmt.Errorf("merge: %s is a %s run and %s a %s run: merge the shards of one run", dirs[0], runs[0].Command, d, run.Command)
		}
		err = record.ScanFile(d, func(a *record.Attempt) error {
			logs[i] = append(logs[i], *a)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("merge: %s: %w", d, err)
		}
		runs[i] = run
		shards[i] = MergedShard{Dir: d, Attempt: len(logs[i])}
		if run.Shard != nil {
			shards[i].Shard = run.Shard.String()
		}
		if c, ok := record.EstimateClockOffset(run.Started, logs[i]); ok {
			shards[i].Clock, shards[i].Aligned = c, true
		}
	}
	alignClocks(runs, shards, starts)
	first := slices.MinFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	merged := *runs[0]
	merged.Shard = nil
	merged.Started = first
	merged.Segments = nil
	merged.Notes = slices.Clone(runs[0].Notes)
	merged.Dropped, merged.Late, merged.DurationS = 0, 0, 0
	n := int64(len(dirs))
	var all []record.Attempt
	for i, run := range runs {
		shift := starts[i].Sub(first)
		shards[i].Shift = shift
		s := shift.Seconds()
		idx := int64(i)
		if run.Shard != nil && run.Shard.Count == len(dirs) {
			idx = int64(run.Shard.Index)
		}
		for _, a := range logs[i] {
			a.Sent += shift
			a.Scheduled += shift
			a.Request = a.Request*n + idx
			all = append(all, a)
		}
		for _, sg := range run.Segments {
			sg.StartS, sg.EndS = sg.StartS+s, sg.EndS+s
			j := slices.IndexFunc(merged.Segments, func(m record.Segment) bool { return m.Label == sg.Label })
			if j < 0 {
				merged.Segments = append(merged.Segments, sg)
				continue
			}
			m := &merged.Segments[j]
			m.StartS, m.EndS = min(m.StartS, sg.StartS), max(m.EndS, sg.EndS)
		}
		merged.Dropped += run.Dropped
		merged.Late += run.Late
		merged.Partial = merged.Partial || run.Partial
		merged.DurationS = max(merged.DurationS, run.DurationS+s)
		if end := run.Ended.Add(starts[i].Sub(run.Started)); end.After(merged.Ended) {
			merged.Ended = end
		}
		if run.StopReason != merged.StopReason && run.StopReason != "" {
			merged.Notes = append(merged.Notes, fmt.Sprintf("shard %s stopped: %s", shards[i].Shard, run.StopReason))
		}
		merged.Notes = append(merged.Notes, mergeNote(&shards[i]))
	}
	// The recorder writes attempts as they end; keep that order.
	slices.SortStableFunc(all, func(a, b record.Attempt) int {
		switch ea, eb := a.End(), b.End(); {
		case ea < eb:
			return -1
		case ea > eb:
			return 1
		}
		return 0
	})
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("merge: %w", err)
	}
	w, err := record.Create(out)
	if err != nil {
		return nil, nil, fmt.Errorf("merge: %w", err)
	}
	for i := range all {
		if err := w.Write(&all[i]); err != nil {
			w.Close()
			return nil, nil, fmt.Errorf("merge: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("merge: %w", err)
	}
	if err := record.WriteRun(out, &merged); err != nil {
		return nil, nil, fmt.Errorf("merge: %w", err)
	}
	s, err := Generate(out, opts)
	return s, shards, err
}

// mergeNote is run.json's note on one merged shard.
func mergeNote(m *MergedShard) string {
	name := m.Dir
	if m.Shard != "" {
		name = "shard " + m.Shard + " (" + m.Dir + ")"
	}
	clock := "no Date headers: its own clock trusted"
	if m.Aligned {
		clock = fmt.Sprintf("clock %+.3f s ± %.3f s from %d Date headers", m.Clock.Offset.Seconds(), m.Clock.Error.Seconds(), m.Clock.Dates)
		if !m.Clock.Consistent {
			clock += " (they disagree: median taken)"
		}
	}
	return fmt.Sprintf("merged %s: %d attempts, started %.3f s after the first shard; %s", name, m.Attempt, m.Shift.Seconds(), clock)
}

// alignClocks sets each shard's start on the servers' clock. When every shard's Date headers
// fit one common offset (the hosts' clocks agree within what the headers can tell), the local
// clocks are trusted as they are; otherwise each aligned shard moves by its own offset.
func alignClocks(runs []*record.Run, shards []MergedShard, starts []time.Time) {
	lo, hi := time.Duration(math.MinInt64), time.Duration(math.MaxInt64)
	all := true
	for i := range shards {
		if c := shards[i].Clock; shards[i].Aligned && c.Consistent {
			lo, hi = max(lo, c.Offset-c.Error), min(hi, c.Offset+c.Error)
		} else {
			all = false
		}
	}
	common := all && lo <= hi
	for i, run := range runs {
		starts[i] = run.Started
		if shards[i].Aligned && !common {
			starts[i] = run.Started.Add(shards[i].Clock.Offset)
		}
	}
}
