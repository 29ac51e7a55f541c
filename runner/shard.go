package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

// shardPhases gives every phase this host's share of its arrivals: every Count-th arrival of
// each probe phase's rate or stages and of each open compare phase, from Index. Discovery and
// closed-model comparisons cannot be split this way.
func shardPhases(phases []*phasePlan, sh *record.Shard) error {
	if sh == nil || sh.Count <= 1 {
		return nil
	}
	for _, ph := range phases {
		switch {
		case ph.probe != nil && ph.probe.find:
			return &ConfigError{Field: "shard", Value: sh.String(), Msg: fmt.Sprintf("phases[%d] finds the limits adaptively, which one host must do alone: shard a probe with a rate or stages", ph.index)}
		case ph.probe != nil:
			ph.probe.pacer = workload.Shard(ph.probe.pacer, sh.Index, sh.Count)
		case ph.compare != nil && !ph.compare.open():
			return &ConfigError{Field: "shard", Value: sh.String(), Msg: fmt.Sprintf("phases[%d] compares fixed client counts; shard a compare with open arrivals (a rate and a duration)", ph.index)}
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
