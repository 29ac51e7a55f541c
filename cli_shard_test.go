package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// startShardMock serves a token bucket of 600 requests a minute holding burst on loopback.
func startShardMock(t *testing.T, burst int64) string {
	t.Helper()
	cfg := account.DefaultConfig()
	b := burst
	cfg.Limits.Requests = account.Limit{PerMinute: 600, Burst: &b, Algorithm: limiter.TokenBucket}
	cfg.Limits.InputTokens.PerMinute, cfg.Limits.OutputTokens.PerMinute = 1e9, 1e9
	return testutil.StartMock(t, cfg).URL() + "/v1/messages"
}

// TestShardedProbeMerged runs one probe at 30/s in one process and the same probe as three
// shards (goroutines, each its own run directory) from a common start against a second, equal
// mock, then merges the shards: the merged run sends the same arrivals, and its outcome and
// inferred limit match the single run's.
func TestShardedProbeMerged(t *testing.T) {
	if testing.Short() {
		t.Skip("live traffic for a few seconds")
	}
	dir, shards, out := runSharded(t, 20, 3, func(url, out, at string) []string {
		return []string{"probe", "--target", url, "--model", "m", "--rate", "30/s", "--duration", "4s",
			"--out", out, "--quiet", "--start-at", at}
	})
	merged := filepath.Join(dir, "merged")
	assert.Contains(t, out, "merged "+shards[2])

	run, err := record.ReadRun(shards[1])
	require.NoError(t, err)
	require.NotNil(t, run.Shard)
	assert.Equal(t, "1/3", run.Shard.String())
	mrun, err := record.ReadRun(merged)
	require.NoError(t, err)
	assert.Nil(t, mrun.Shard)
	assert.Len(t, mrun.Segments, 1)

	a, b := readSummary(t, filepath.Join(dir, "one")), readSummary(t, merged)
	assert.InDelta(t, a.Totals.Attempts, b.Totals.Attempts, 2, "the shards together send the single run's arrivals")
	assert.InDelta(t, float64(a.Totals.OK), float64(b.Totals.OK), 0.1*float64(a.Totals.OK)+2, "admitted")
	eff := func(s summary.Summary) float64 {
		for _, l := range s.Limits {
			if l.Dimension == "requests" && l.EffectivePerMinute != nil {
				return *l.EffectivePerMinute
			}
		}
		return 0
	}
	require.NotZero(t, eff(a))
	assert.InEpsilon(t, eff(a), eff(b), 0.05, "effective requests/min: one %.1f, merged %.1f", eff(a), eff(b))

	// Request ids are interleaved as on one host: every arrival once.
	seen := map[int64]int{}
	require.NoError(t, record.ScanFile(merged, func(at *record.Attempt) error { seen[at.Request]++; return nil }))
	for id, n := range seen {
		assert.Equal(t, 1, n, "request %d", id)
		assert.Less(t, id, int64(len(seen))+3)
	}
}

func TestShardUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"index out of range", []string{"probe", "--rate", "1/s", "--duration", "1s", "--shard", "3/3"}, "--shard \"3/3\": want I/N with 0 ≤ I < N"},
		{"not a fraction", []string{"probe", "--rate", "1/s", "--duration", "1s", "--shard", "two"}, "--shard \"two\""},
		{"bad time", []string{"probe", "--rate", "1/s", "--duration", "1s", "--start-at", "soon"}, "--start-at \"soon\": want an RFC 3339 time"},
		{"discovery", []string{"probe", "--find", "--shard", "0/2"}, "finds the limits adaptively"},
		{"fewer clients than shards", []string{"compare", "--clients", "2,8", "--shard", "1/3"}, "--shard \"1/3\": phases[0] has 2 clients, fewer than the 3 shards"},
		{"merge without out", []string{"report", "--merge", "a", "b"}, "--out DIR is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(context.Background(), append(tc.args, "--quiet")...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

// TestShardedCompareClosedMerged runs a closed compare (3 and 5 clients, two strategies) in one
// process and as two shards from a common start against a second, equal mock, then merges the
// shards: every segment has the single run's clients under their fleet indices, each with its
// requests. The first segment, which the shards start together, has about the single run's
// attempts; later ones start when each shard is done with the one before, so their load on the
// shared mock is spread differently (the README says so) and only their requests must match.
func TestShardedCompareClosedMerged(t *testing.T) {
	if testing.Short() {
		t.Skip("live traffic for several seconds")
	}
	const requests = 4
	dir, shards, _ := runSharded(t, 10, 2, func(url, out, at string) []string {
		return []string{"compare", "--target", url, "--model", "m", "--mode", "live", "--clients", "3,5",
			"--requests", strconv.Itoa(requests), "--strategies", "full-jitter(base=100ms,cap=1s),none", "--rest", "1500ms",
			"--out", out, "--quiet", "--start-at", at}
	})
	merged := filepath.Join(dir, "merged")

	// clients maps a segment label to each client's logical requests.
	clients := func(d string) map[string]map[int]map[int64]bool {
		out := map[string]map[int]map[int64]bool{}
		require.NoError(t, record.ScanFile(d, func(a *record.Attempt) error {
			if out[a.Run] == nil {
				out[a.Run] = map[int]map[int64]bool{}
			}
			if out[a.Run][a.Client] == nil {
				out[a.Run][a.Client] = map[int64]bool{}
			}
			out[a.Run][a.Client][a.Request] = true
			assert.Contains(t, a.Run, "/"+strconv.Itoa(a.Fleet), "%s: the fleet field is the whole fleet's size", a.Run)
			return nil
		}))
		return out
	}
	odd := clients(shards[1])
	require.Len(t, odd, 4, "shard 1 runs every segment")
	for label, cs := range odd {
		for c := range cs {
			assert.Equal(t, 1, c%2, "%s: shard 1/2 runs the odd clients", label)
		}
	}
	a, b := clients(filepath.Join(dir, "one")), clients(merged)
	require.Len(t, a, 4)
	for label, cs := range a {
		require.Contains(t, b, label)
		assert.Len(t, b[label], len(cs), "%s: the merged shards have the single run's clients", label)
		for c := range cs {
			assert.Len(t, b[label][c], requests, "%s: client %d makes its requests", label, c)
		}
	}

	sa, sb := readSummary(t, filepath.Join(dir, "one")), readSummary(t, merged)
	require.Len(t, sa.Strategies, 4)
	require.Len(t, sb.Strategies, 4)
	for _, x := range sa.Strategies {
		i := slices.IndexFunc(sb.Strategies, func(y summary.Strategy) bool {
			return y.Name == x.Name && y.Clients == x.Clients && y.Mode == x.Mode
		})
		require.GreaterOrEqual(t, i, 0, "%s/%d merged", x.Name, x.Clients)
		y := sb.Strategies[i]
		t.Logf("%s/%d: attempts one %d, merged %d; 429s one %d, merged %d", x.Name, x.Clients, x.Attempts, y.Attempts, x.RateLimited, y.RateLimited)
		assert.Equal(t, int64(x.Clients*requests), y.Requests, "%s/%d requests", x.Name, x.Clients)
		assert.Equal(t, x.Requests, y.Requests, "%s/%d requests", x.Name, x.Clients)
		if x.Clients == 3 && strings.HasPrefix(x.Name, "full-jitter") { // the first segment
			assert.InDelta(t, float64(x.Attempts), float64(y.Attempts), 0.3*float64(x.Attempts)+3, "%s/%d attempts", x.Name, x.Clients)
		}
		if x.Name == "none" {
			assert.Equal(t, x.Attempts, y.Attempts, "%s/%d: one attempt per request", x.Name, x.Clients)
		}
	}
}

// runSharded starts two equal mocks (startShardMock with burst) and runs the command args gives,
// from a common start 1.5 s ahead, at once as one run against the first (into dir/one) and as n
// shards against the second (into dir/shard-I), each with exit code 0. It then merges the shards
// into dir/merged and returns dir, the shards' directories and what the merge printed.
func runSharded(t *testing.T, burst int64, n int, args func(url, out, at string) []string) (dir string, shards []string, mergeOut string) {
	t.Helper()
	one, sharded := startShardMock(t, burst), startShardMock(t, burst)
	dir = t.TempDir()
	at := time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	var wg sync.WaitGroup
	codes, errs := make([]int, n+1), make([]string, n+1)
	wg.Go(func() {
		codes[n], _, errs[n] = runCLI(context.Background(), args(one, filepath.Join(dir, "one"), at)...)
	})
	shards = make([]string, n)
	for i := range n {
		shards[i] = filepath.Join(dir, "shard-"+strconv.Itoa(i))
		wg.Go(func() {
			codes[i], _, errs[i] = runCLI(context.Background(), append(args(sharded, shards[i], at), "--shard", fmt.Sprintf("%d/%d", i, n))...)
		})
	}
	wg.Wait()
	for i, c := range codes {
		require.Equal(t, exitOK, c, errs[i])
	}
	code, out, stderr := runCLI(context.Background(), append([]string{"report", "--merge", "--out", filepath.Join(dir, "merged")}, shards...)...)
	require.Equal(t, exitOK, code, stderr)
	return dir, shards, out
}
