package account

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPromptCacheSplitByTTL(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	a := CachePrefix{Hash: [32]byte{1}, Tokens: 1000, TTL: time.Hour}
	b := CachePrefix{Hash: [32]byte{2}, Tokens: 1500, TTL: 5 * time.Minute}
	b1h := CachePrefix{Hash: [32]byte{2}, Tokens: 1500, TTL: time.Hour}
	cases := []struct {
		name    string
		written []CachePrefix // committed before the split
		bps     []CachePrefix
		want    CacheSplit
	}{
		{"one 1h breakpoint", nil, []CachePrefix{a}, CacheSplit{Creation: 1000, Creation1h: 1000, Input: 1200}},
		{"one 5m breakpoint", nil, []CachePrefix{b}, CacheSplit{Creation: 1500, Input: 700}},
		{"1h then 5m: each segment its TTL", nil, []CachePrefix{b, a}, CacheSplit{Creation: 1500, Creation1h: 1000, Input: 700}},
		{"the 1h prefix read, the 5m rest written", []CachePrefix{a}, []CachePrefix{a, b}, CacheSplit{Read: 1000, Creation: 500, Input: 700}},
		{"the 1h prefix read, a 1h rest written", []CachePrefix{a}, []CachePrefix{a, b1h}, CacheSplit{Read: 1000, Creation: 500, Creation1h: 500, Input: 700}},
		{"all read", []CachePrefix{a, b}, []CachePrefix{a, b}, CacheSplit{Read: 1500, Input: 700}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pc PromptCache
			pc.Commit(now, "k", c.written)
			assert.Equal(t, c.want, pc.Split(now.Add(time.Second), "k", 2200, c.bps))
		})
	}
}
