package probe

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/presets"
	"github.com/ratelab/ratelab/ratelimit"
)

// TestCachePrefixMovesITPMByUncachedTokens sends a cache-prefixed workload (2,000 shared tokens,
// half the requests with a prefix of their own) to the mock under the anthropic preset and
// checks that each request's input-tokens-remaining moves by its uncached tokens only (input
// plus cache writes), give or take what refilled between the responses: a hit costs its 40
// prompt tokens, a miss its 2,040.
func TestCachePrefixMovesITPMByUncachedTokens(t *testing.T) {
	const itpm, prefix = 60_000, 2000
	var cfg account.Config
	require.NoError(t, presets.Apply(&cfg, "anthropic"))
	presets.SetClassLimits(&cfg, "itpm", itpm)
	cfg.RemainingRounding = ratelimit.RemainingExact
	srv := testutil.StartMock(t, cfg)

	tg, err := NewTarget(TargetConfig{API: api.Anthropic, URL: srv.URL(), Key: "k", Model: "claude-sonnet-4-5",
		MaxTokens: 8, PromptTokens: 40, Seed: 3, CachePrefixTokens: prefix, CacheMiss: 0.5})
	require.NoError(t, err)
	assert.Equal(t, int64(prefix+40), tg.PromptTokens(1))

	var hits, misses int
	// The server read the previous remaining somewhere between that request's sending and its
	// answer's arrival, so the refill between two readings is at most the tokens of the time
	// from the previous sending to this answer.
	prev, prevSent := float64(itpm), time.Now()
	for id := range int64(16) {
		body := tg.AppendBody(nil, id)
		sent := time.Now()
		resp, err := http.DefaultClient.Do(tg.NewRequest(context.Background(), body))
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		at := time.Now()
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode, string(b))
		var m struct {
			Usage struct {
				Input    int64 `json:"input_tokens"`
				Creation int64 `json:"cache_creation_input_tokens"`
				Read     int64 `json:"cache_read_input_tokens"`
			} `json:"usage"`
		}
		require.NoError(t, json.Unmarshal(b, &m))
		u := m.Usage
		assert.Equal(t, int64(40), u.Input, "request %d: the tokens after the breakpoint", id)
		assert.Equal(t, int64(prefix), u.Read+u.Creation, "request %d: the prefix is read or written", id)
		if tg.cache.Hits(id) && id > 0 {
			assert.Equal(t, int64(prefix), u.Read, "request %d shares the prefix", id)
		}
		if u.Read > 0 {
			hits++
		} else {
			misses++
		}
		rem, err := strconv.ParseFloat(resp.Header.Get("anthropic-ratelimit-input-tokens-remaining"), 64)
		require.NoError(t, err)
		refill := math.Ceil(at.Sub(prevSent).Seconds()*itpm/60) + 1
		moved := prev - rem
		uncached := float64(u.Input + u.Creation)
		assert.InDelta(t, uncached, moved, refill, "request %d (read %d, written %d): remaining moved by %v", id, u.Read, u.Creation, moved)
		prev, prevSent = rem, sent
	}
	assert.Positive(t, hits, "some requests read the cache")
	assert.Positive(t, misses, "some requests wrote it")
}

func TestCachePrefixErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		c    TargetConfig
		want string
	}{
		{"openai", TargetConfig{API: api.OpenAI, Model: "m", CachePrefixTokens: 2000}, "workload.cache_prefix_tokens: marks a cache_control block, which the anthropic API has and the openai API does not"},
		{"too short", TargetConfig{API: api.Anthropic, Model: "m", CachePrefixTokens: 500}, "workload.cache_prefix_tokens 500: want 1024 (the shortest prefix Anthropic caches)"},
		{"ratio", TargetConfig{API: api.Anthropic, Model: "m", CachePrefixTokens: 2000, CacheMiss: -0.5}, "workload.cache_hit_ratio 1.5: want a fraction from 0 to 1"},
		{"http", TargetConfig{API: api.HTTP, CachePrefixTokens: 2000}, "the http API does not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.URL, c.MaxTokens, c.PromptTokens = "http://127.0.0.1:1", 8, 10
			_, err := NewTarget(c)
			testcheck.Err(t, err, tc.want)
		})
	}
}
