package account

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// CachePrefix is one prompt-cache breakpoint of a request: the prompt up to and including a
// block marked cache_control, identified by a hash of its content.
type CachePrefix struct {
	Hash   [32]byte
	Tokens int64         // tokens of the prefix
	TTL    time.Duration // 5m or 1h, as the breakpoint asked
}

// CacheSplit is a prompt's tokens split as Anthropic's usage reports them: read from the
// cache, written to it, and the rest after the last breakpoint.
type CacheSplit struct {
	Read, Creation, Input int64
	Creation1h            int64 // of Creation, the tokens written with a 1h TTL (the rest 5m)
}

// PromptCache is the mock's prompt cache: prefixes written by admitted requests, per scope
// (API key and model), each alive until its TTL runs out after its last use. The zero value is
// ready to use; it is safe for concurrent use.
type PromptCache struct {
	mu      sync.Mutex
	entries map[cacheKey]time.Time // expiry
}

type cacheKey struct {
	scope string
	hash  [32]byte
}

// Split returns how a prompt of total tokens with breakpoints bps splits at instant now: the
// longest prefix alive in the cache is read, the tokens from it up to the last breakpoint are
// written, the rest is plain input.
func (c *PromptCache) Split(now time.Time, scope string, total int64, bps []CachePrefix) CacheSplit {
	var s CacheSplit
	last := int64(0)
	c.mu.Lock()
	for _, bp := range bps {
		last = max(last, bp.Tokens)
		if exp, ok := c.entries[cacheKey{scope, bp.Hash}]; ok && now.Before(exp) {
			s.Read = max(s.Read, bp.Tokens)
		}
	}
	c.mu.Unlock()
	last = min(last, total)
	s.Read = min(s.Read, last)
	s.Creation = last - s.Read
	s.Input = total - last
	// Each written token takes the TTL of the first breakpoint at or after it.
	sorted := slices.SortedFunc(slices.Values(bps), func(a, b CachePrefix) int { return cmp.Compare(a.Tokens, b.Tokens) })
	prev := int64(0)
	for _, bp := range sorted {
		if lo, hi := max(prev, s.Read), min(bp.Tokens, last); bp.TTL >= time.Hour && hi > lo {
			s.Creation1h += hi - lo
		}
		prev = max(prev, bp.Tokens)
	}
	return s
}

// Commit writes (or refreshes) every breakpoint's prefix at instant now, as an admitted
// request does; entries past their expiry are dropped on the way.
func (c *PromptCache) Commit(now time.Time, scope string, bps []CachePrefix) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[cacheKey]time.Time{}
	}
	if len(c.entries) > 4096 {
		for k, exp := range c.entries {
			if !now.Before(exp) {
				delete(c.entries, k)
			}
		}
	}
	for _, bp := range bps {
		ttl := bp.TTL
		if ttl <= 0 {
			ttl = 5 * time.Minute
		}
		k := cacheKey{scope, bp.Hash}
		if exp := now.Add(ttl); exp.After(c.entries[k]) {
			c.entries[k] = exp
		}
	}
}
