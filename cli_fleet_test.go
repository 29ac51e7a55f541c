package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/redistest"
	"github.com/ratelab/ratelab/summary"
)

// TestCompareSharedLimiter compares, live and simulated, clients that back off each on their
// own with clients sharing one limiter in Redis: the shared limiter's simulation (its store
// round trip modelled) agrees with the live run within 10%, and live it is hardly ever refused
// while the uncoordinated clients are refused over and over.
func TestCompareSharedLimiter(t *testing.T) {
	if testing.Short() {
		t.Skip("live traffic for a few seconds")
	}
	srv := redistest.Start(t)
	dir := t.TempDir()
	shared := "client-limiter(rpm=1200,burst=5,store=" + srv.URL + ",key=" + strings.ReplaceAll(t.Name(), "/", "-") + ",rtt=300us)"
	args := compareArgs(dir, "1200", "10", "--mode", "both", "--clients", "20", "--requests", "5",
		"--strategies", "full-jitter,"+shared, "--seed", "7")
	code, _, stderr := runCLI(context.Background(), args...)
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, dir)
	require.Len(t, s.Strategies, 4)
	assertBound(t, s)
	label := "client-limiter(rpm=1200,burst=5,store=" + srv.Addr
	var agreed bool
	for _, a := range summary.Agreements(&s) {
		if !strings.HasPrefix(a.Name, label) {
			continue
		}
		agreed = true
		assert.LessOrEqual(t, a.AttemptsDiff, 0.10, "attempts live %d, sim %d", a.LiveAttempts, a.SimAttempts)
		require.True(t, a.HasMakespan)
		assert.LessOrEqual(t, a.MakespanDiff, 0.10, "makespan live %.3f s, sim %.3f s", a.LiveMakespan, a.SimMakespan)
	}
	require.True(t, agreed, "no sim-vs-live row for %s", label)
	var sharedLive, aloneLive *summary.Strategy
	for i, st := range s.Strategies {
		if st.Mode != "live" {
			continue
		}
		if st.Name == "full-jitter" {
			aloneLive = &s.Strategies[i]
		} else {
			sharedLive = &s.Strategies[i]
		}
	}
	require.NotNil(t, sharedLive)
	require.NotNil(t, aloneLive)
	assert.LessOrEqual(t, float64(sharedLive.RateLimited), 0.05*float64(sharedLive.Attempts), "the shared limiter keeps the fleet under the limit")
	assert.Greater(t, aloneLive.RateLimited, 5*max(sharedLive.RateLimited, 1), "uncoordinated clients are refused far more often")
	assert.NotContains(t, strings.Join(s.Findings, " "), "redis://", "no store URL in the report")
}

// TestShardedCompareCoordinate answers "should our hosts coordinate?" live: two compare shards
// (two hosts' worth of clients, as goroutines) send 20/s together against one 600/min account.
// With a limiter per host each allows itself 570/min and the pair is refused over and over; with
// one limiter shared in Redis they keep to 570/min together. Both pace 5% under the limit, as one
// configures a client limiter: at the limit exactly, a request delayed on a busy machine (CI
// under -race) arrives beside the next one and is refused, and the retry starts a cascade.
func TestShardedCompareCoordinate(t *testing.T) {
	if testing.Short() {
		t.Skip("live traffic for about 15 seconds")
	}
	srv := redistest.Start(t)
	url := startShardMock(t, 5)
	dir := t.TempDir()
	local := "client-limiter(rpm=570,burst=5)"
	shared := "client-limiter(rpm=570,burst=5,store=" + srv.URL + ",key=" + t.Name() + ")"
	at := time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	var wg sync.WaitGroup
	codes, errs := make([]int, 2), make([]string, 2)
	var shards []string
	for i := range 2 {
		d := filepath.Join(dir, "shard-"+strconv.Itoa(i))
		shards = append(shards, d)
		wg.Go(func() {
			codes[i], _, errs[i] = runCLI(context.Background(), "compare", "--target", url, "--model", "m", "--mode", "live",
				"--rate", "20/s", "--duration", "3s", "--strategies", local+","+shared,
				"--shard", strconv.Itoa(i)+"/2", "--start-at", at, "--out", d, "--quiet")
		})
	}
	wg.Wait()
	for i, c := range codes {
		require.Equal(t, exitOK, c, errs[i])
	}
	merged := filepath.Join(dir, "merged")
	code, _, stderr := runCLI(context.Background(), append([]string{"report", "--merge", "--out", merged, "--quiet"}, shards...)...)
	require.Equal(t, exitOK, code, stderr)
	s := readSummary(t, merged)
	require.Len(t, s.Strategies, 2)
	refused := map[string]int64{}
	for _, st := range s.Strategies {
		assert.Equal(t, int64(60), st.Succeeded, "%s: every request done", st.Name)
		refused[st.Name] = st.RateLimited
	}
	t.Logf("429s: a limiter per host %d, one shared limiter %d", refused[local], refused[strings.Replace(shared, srv.URL, srv.Addr, 1)])
	assert.GreaterOrEqual(t, refused[local], int64(10), "two hosts each pacing at the whole limit are refused")
	assert.LessOrEqual(t, refused[strings.Replace(shared, srv.URL, srv.Addr, 1)], refused[local]/4, "a shared limiter keeps the hosts under the limit")
}
