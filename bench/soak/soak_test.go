//go:build soak

package soak

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	conns    = flag.Int("conns", 5000, "concurrent keep-alive connections")
	duration = flag.Duration("duration", 60*time.Second, "how long the connections send")
	keys     = flag.Int("keys", 20, "API keys the connections share (connection i uses key i mod keys)")
	interval = flag.Duration("interval", 500*time.Millisecond, "pause of each connection between its requests")
	flood    = flag.Int("flood", 100_000, "distinct API keys of the key flood")
	out      = flag.String("out", "", "write the figures as JSON lines here")
)

// The soak mock's limit: a token bucket of soakBurst refilling at soakRPM per minute per key, so
// the bound on what one key can have admitted over T seconds is soakBurst + soakRPM/60 × T.
// Token limits are off, so requests are the only dimension. Faults are configured (1% 500s,
// 0.5% 529s) so that "no errors but the configured ones" is checked against something.
const (
	soakRPM      = 6000
	soakBurst    = 100
	soakErrors   = 0.01
	soakOverload = 0.005
)

// keyTally counts one key's answers as the clients saw them.
type keyTally struct {
	ok, limited, e500, e529, other, transport atomic.Int64
	first, last                               atomic.Int64 // unix ns: first send, last answer
}

func (k *keyTally) sent(at time.Time) { k.first.CompareAndSwap(0, at.UnixNano()) }

func (k *keyTally) answered(at time.Time) {
	for {
		old := k.last.Load()
		if at.UnixNano() <= old || k.last.CompareAndSwap(old, at.UnixNano()) {
			return
		}
	}
}

// figures records one measured figure (printed and appended to -out).
func figures(t *testing.T, name string, v map[string]any) {
	t.Helper()
	v["figure"] = name
	b, err := json.Marshal(v)
	require.NoError(t, err)
	t.Logf("%s", b)
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		defer f.Close()
		fmt.Fprintf(f, "%s\n", b)
	}
}

func TestSoakConnections(t *testing.T) {
	m := startMock(t, "--rpm", strconv.Itoa(soakRPM), "--burst", strconv.Itoa(soakBurst), "--itpm", "0", "--otpm", "0",
		"--error-rate", fmt.Sprint(soakErrors), "--overload-rate", fmt.Sprint(soakOverload), "--seed", "1")
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", m.cmd.Process.Pid))
	require.NoError(t, err)
	require.NotContains(t, string(limits), "Max open files            1024 ", "raise ulimit -n first (bench/soak/run.sh does)")
	require.Greater(t, nofile(), uint64(*conns+100), "raise ulimit -n first (bench/soak/run.sh does)")
	rssIdle := m.rssKB(t)

	tallies := make([]keyTally, *keys)
	keyName := func(i int) string { return fmt.Sprintf("soak-%04d", i) } // ≤ 12 bytes: stats show it whole
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	end := start.Add(*duration)
	ramp := 3 * time.Second // connections open over the first 3 s: the listen backlog is 4096
	var wg sync.WaitGroup
	transports := make([]*http.Transport, *conns)
	for i := range *conns {
		tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, IdleConnTimeout: 5 * time.Minute, DisableCompression: true}
		transports[i] = tr
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		k := &tallies[i%*keys]
		key := keyName(i % *keys)
		wg.Go(func() {
			wait := time.NewTimer(ramp * time.Duration(i) / time.Duration(*conns))
			defer wait.Stop()
			for {
				select {
				case <-wait.C:
				case <-ctx.Done():
					return
				}
				now := time.Now()
				if !now.Before(end) {
					return
				}
				k.sent(now)
				status, _, err := send(ctx, c, m.url, key)
				k.answered(time.Now())
				switch {
				case err != nil:
					k.transport.Add(1)
					t.Logf("transport error: %v", err)
				case status == 200:
					k.ok.Add(1)
				case status == 429:
					k.limited.Add(1)
				case status == 500:
					k.e500.Add(1)
				case status == 529:
					k.e529.Add(1)
				default:
					k.other.Add(1)
					t.Logf("unexpected status %d", status)
				}
				wait.Reset(*interval)
			}
		})
	}

	// Sample RSS and open connections once a second.
	type sample struct {
		at    time.Duration
		rss   int64
		conns int
	}
	var samples []sample
	tick := time.NewTicker(time.Second)
	for now := range tick.C {
		samples = append(samples, sample{now.Sub(start), m.rssKB(t), m.established(t)})
		if now.After(end) {
			break
		}
	}
	tick.Stop()
	wg.Wait()
	wall := time.Since(start)
	for _, tr := range transports {
		tr.CloseIdleConnections()
	}
	rssEnd := m.rssKB(t)
	st := m.stats(t)

	// RSS once every connection is open (first sample after the ramp) and at the end of the load.
	var rssRamped, rssPeak int64
	maxConns := 0
	for _, s := range samples {
		if rssRamped == 0 && s.at >= ramp+2*time.Second {
			rssRamped = s.rss
		}
		rssPeak = max(rssPeak, s.rss)
		maxConns = max(maxConns, s.conns)
	}
	rssLoadEnd := samples[len(samples)-1].rss

	admitted := map[string]int64{}
	for _, a := range st.Accounts {
		admitted[a.Key] = a.Dimensions["requests"].Admitted
	}
	var total, ok, limited, e500, e529, other, transport int64
	worstSlack := 1e18 // bound − admitted, smallest over keys
	for i := range tallies {
		k := &tallies[i]
		kOK := k.ok.Load()
		total += kOK + k.limited.Load() + k.e500.Load() + k.e529.Load() + k.other.Load() + k.transport.Load()
		ok += kOK
		limited += k.limited.Load()
		e500 += k.e500.Load()
		e529 += k.e529.Load()
		other += k.other.Load()
		transport += k.transport.Load()
		// Every admission of key i happened between its first send and its last answer.
		span := time.Duration(k.last.Load() - k.first.Load()).Seconds()
		bound := float64(soakBurst) + soakRPM/60.0*span
		worstSlack = min(worstSlack, bound-float64(kOK))
		assert.LessOrEqual(t, float64(kOK), bound, "key %s: %d admitted over %.1fs, bound burst + rate·T = %.0f", keyName(i), kOK, span, bound)
		assert.Equal(t, kOK, admitted[keyName(i)], "key %s: 200s seen by the clients and admissions counted by the mock", keyName(i))
	}
	figures(t, "soak-connections", map[string]any{
		"conns": *conns, "keys": *keys, "duration_s": duration.Seconds(), "wall_s": wall.Seconds(),
		"max_established": maxConns, "requests": total, "per_second": float64(total) / wall.Seconds(),
		"ok": ok, "rate_limited": limited, "status_500": e500, "status_529": e529, "other": other, "transport_errors": transport,
		"share_500": float64(e500) / float64(total), "share_529": float64(e529) / float64(total),
		"bound_per_key_s": fmt.Sprintf("%d + %d/s × T", soakBurst, soakRPM/60), "worst_slack": worstSlack,
		"rss_idle_kb": rssIdle, "rss_ramped_kb": rssRamped, "rss_load_end_kb": rssLoadEnd, "rss_peak_kb": rssPeak, "rss_after_kb": rssEnd,
		"mock_requests": st.Requests,
	})
	assert.GreaterOrEqual(t, maxConns, *conns*95/100, "the connections were open at once")
	assert.Zero(t, transport, "no transport errors")
	assert.Zero(t, other, "no status but 200, 429 and the configured 500 and 529")
	assert.InDelta(t, soakErrors, float64(e500)/float64(total), soakErrors/3, "500s at the configured rate")
	assert.InDelta(t, soakOverload, float64(e529)/float64(total), soakOverload/3, "529s at the configured rate")
	// Flat: from the end of the ramp to the end of the load, RSS grows by under a quarter (plus
	// a GC cycle's slack).
	assert.Less(t, float64(rssLoadEnd), float64(rssRamped)*1.25+32<<10, "RSS grew from %d kB to %d kB under steady load", rssRamped, rssLoadEnd)
}

func TestSoakKeyFlood(t *testing.T) {
	const maxAccounts = 10_000
	rssAfter := map[bool]int64{}
	for _, bounded := range []bool{true, false} {
		name := "bounded"
		limit := maxAccounts
		if !bounded {
			name, limit = "unbounded", 0
		}
		t.Run(name, func(t *testing.T) {
			m := startMock(t, "--max-accounts", strconv.Itoa(limit), "--itpm", "0", "--otpm", "0")
			rssBefore := m.rssKB(t)
			const workers = 200
			tr := &http.Transport{MaxConnsPerHost: workers, MaxIdleConnsPerHost: workers, DisableCompression: true}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			var next atomic.Int64
			var ok, refused, other atomic.Int64
			var refusal atomic.Value // one refusal body
			var wg sync.WaitGroup
			start := time.Now()
			for range workers {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(*flood) {
							return
						}
						status, body, err := send(context.Background(), c, m.url, fmt.Sprintf("flood-%06d", i))
						switch {
						case err != nil:
							other.Add(1)
						case status == 200:
							ok.Add(1)
						case status == 403:
							refused.Add(1)
							refusal.CompareAndSwap(nil, string(body))
						default:
							other.Add(1)
						}
					}
				})
			}
			wg.Wait()
			wall := time.Since(start)
			rss := m.rssKB(t)
			rssAfter[bounded] = rss
			st := m.stats(t)
			perAccount := float64(rss-rssBefore) * 1024 / float64(len(st.Accounts))
			fig := map[string]any{
				"max_accounts": limit, "keys": *flood, "wall_s": wall.Seconds(), "ok": ok.Load(), "refused_403": refused.Load(),
				"other": other.Load(), "accounts": len(st.Accounts), "rss_before_kb": rssBefore, "rss_after_kb": rss,
				"rss_per_account_bytes": perAccount,
			}
			if r, _ := refusal.Load().(string); r != "" {
				fig["refusal"] = r
			}
			figures(t, "soak-key-flood-"+name, fig)
			assert.Zero(t, other.Load(), "no answer but 200 and 403")
			if !bounded {
				assert.Equal(t, int64(*flood), ok.Load())
				assert.Len(t, st.Accounts, *flood)
				return
			}
			assert.Equal(t, int64(maxAccounts), ok.Load(), "the first max-accounts keys are served")
			assert.Equal(t, int64(*flood-maxAccounts), refused.Load(), "every later new key is refused")
			assert.Len(t, st.Accounts, maxAccounts, "accounts stop at max-accounts")
			r, _ := refusal.Load().(string)
			assert.Contains(t, r, `"permission_error"`, "the refusal is Anthropic's permission_error")
			assert.Contains(t, r, "max_accounts", "the refusal names the setting")
			assert.Equal(t, int64(*flood-maxAccounts), st.Unkeyed["403"], "the refusals are counted outside any account")
		})
	}
	if *flood >= 5*maxAccounts {
		assert.Less(t, rssAfter[true], rssAfter[false], "max-accounts bounds the memory a key flood takes")
	}
}
