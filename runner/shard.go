package runner

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// shardPhases gives every phase this host's share of its arrivals: every Count-th arrival of
// each probe phase's rate or stages and of each open compare phase, from Index; and of each
// closed compare phase's clients, every Count-th client from Index under its index in the whole
// fleet (interleaved like the arrivals, so every sweep point splits as evenly as it can and the
// shards' client sets are known without the counts). Discovery cannot be split.
func shardPhases(phases []*phasePlan, sh *record.Shard) error {
	if sh == nil || sh.Count <= 1 {
		return nil
	}
	for _, ph := range phases {
		switch {
		case ph.probe != nil && ph.probe.find:
			return &ConfigError{Field: "--shard", Value: strconv.Quote(sh.String()), Msg: fmt.Sprintf("phases[%d] finds the limits adaptively, which one host must do alone: shard a probe with a rate or stages", ph.index)}
		case ph.probe != nil:
			ph.probe.pacer = workload.Shard(ph.probe.pacer, sh.Index, sh.Count)
		case ph.compare != nil && !ph.compare.open():
			if n := slices.Min(ph.compare.clients); n < sh.Count {
				return &ConfigError{Field: "--shard", Value: strconv.Quote(sh.String()), Msg: fmt.Sprintf("phases[%d] has %d clients, fewer than the %d shards, and a shard runs whole clients (client i runs on shard i mod %d): shard over at most %d hosts, or raise --clients (clients: in a scenario) to at least %d", ph.index, n, sh.Count, sh.Count, n, sh.Count)}
			}
			ph.compare.share = engine.Share{Index: sh.Index, Count: sh.Count}
		case ph.compare != nil:
			ph.compare.pacer = workload.Shard(ph.compare.pacer, sh.Index, sh.Count)
		}
	}
	return nil
}

// waitForStart waits until the shards' common start time, if it is still ahead.
func waitForStart(ctx context.Context, o *Options) error {
	sh := o.Shard
	if sh == nil || sh.StartAt.IsZero() {
		return nil
	}
	d := time.Until(sh.StartAt)
	if d <= 0 {
		if d < -time.Second && o.Stderr != nil {
			fmt.Fprintf(o.Stderr, "ratelab: shard %s starts %s after the common start time %s\n", sh, (-d).Round(time.Millisecond), sh.StartAt.Format(time.RFC3339Nano))
		}
		return nil
	}
	if o.Stderr != nil {
		fmt.Fprintf(o.Stderr, "ratelab: shard %s waits %s for the common start time %s\n", sh, d.Round(time.Millisecond), sh.StartAt.Format(time.RFC3339Nano))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return engine.ErrInterrupted
	}
}

// runStart is when the run starts: now, or a shard's common start time, so that every shard's
// second 0 is the same instant and their arrivals keep one schedule.
func (r *runState) runStart(now time.Time) time.Time {
	if sh := r.o.Shard; sh != nil && !sh.StartAt.IsZero() {
		return sh.StartAt
	}
	return now
}

// liveStart is the instant a live engine's run times count from: now less the run time already
// spent, or for a shard with a common start, that start, so that every shard's times are on
// one wall clock.
func (r *runState) liveStart() time.Time {
	if sh := r.o.Shard; sh != nil && !sh.StartAt.IsZero() {
		return sh.StartAt
	}
	return time.Now().Add(-r.offset)
}
