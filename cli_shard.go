package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/runner"
)

func (r *runFlags) registerShard(fs *flagSet) {
	fs.StringVar(&r.shard, "shard", "", "run one host's share of the load, I/N (0 ≤ I < N): every N-th arrival (or client of a --clients compare) from the I-th; merge the shards' directories with 'ratelab report --merge'")
	fs.StringVar(&r.startAt, "start-at", "", "wait until this time (RFC 3339, e.g. 2026-01-02T15:04:05Z) before starting, so that the shards start together")
	fs.value("shard", "I/N")
	fs.value("start-at", "TIME")
}

// runOptions returns the runner options of --shard, --start-at and --metrics-addr; call stop
// when the run is over.
func (r *runFlags) runOptions(env *cliEnv) (opt func(*runner.Options), stop func(), err error) {
	shard, err := r.shardOption()
	if err != nil {
		return nil, nil, err
	}
	m, stop, err := serveRunMetrics(env, r.metricsAddr)
	if err != nil {
		return nil, nil, err
	}
	return func(o *runner.Options) { shard(o); o.Metrics = m }, stop, nil
}

// shardOption returns the runner option of --shard and --start-at (none when neither is given).
func (r *runFlags) shardOption() (func(*runner.Options), error) {
	if r.shard == "" && r.startAt == "" {
		return func(*runner.Options) {}, nil
	}
	sh := &record.Shard{Index: 0, Count: 1}
	if r.shard != "" {
		i, n, ok := strings.Cut(r.shard, "/")
		var err1, err2 error
		sh.Index, err1 = strconv.Atoi(strings.TrimSpace(i))
		sh.Count, err2 = strconv.Atoi(strings.TrimSpace(n))
		if !ok || err1 != nil || err2 != nil || sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
			return nil, usageErrorf("--shard %q: want I/N with 0 ≤ I < N, e.g. 0/4 for the first of four hosts", r.shard)
		}
	}
	if r.startAt != "" {
		t, err := time.Parse(time.RFC3339Nano, r.startAt)
		if err != nil {
			return nil, usageErrorf("--start-at %q: want an RFC 3339 time such as %s", r.startAt, time.Now().UTC().Add(time.Minute).Truncate(time.Second).Format(time.RFC3339))
		}
		sh.StartAt = t
	}
	return func(o *runner.Options) { o.Shard = sh }, nil
}
