package probe

import (
	"fmt"
	"strconv"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/workload"
)

// MinCachePrefixTokens is the shortest cache prefix a target accepts: Anthropic caches no
// prefix under 1,024 tokens (2,048 on Haiku models), and neither does the mock.
const MinCachePrefixTokens = 1024

// cachePrefix is an anthropic target's prompt-cache prefix: a system block of a fixed size
// marked cache_control, the same text in every request that hits the cache and a text of the
// request's own in those that miss (a cache write each).
type cachePrefix struct {
	workload.CachePrefix
	text  []byte // the shared prefix text
	after []byte // the body from the end of the prefix text to the prompt text
}

// newCachePrefix checks the cache fields of c and builds the prefix; nil when c sets none.
func newCachePrefix(c *TargetConfig) (*cachePrefix, error) {
	if c.CachePrefixTokens == 0 && c.CacheMiss == 0 {
		return nil, nil
	}
	switch {
	case c.API != api.Anthropic:
		return nil, &TargetError{Field: "workload.cache_prefix_tokens", Msg: fmt.Sprintf("marks a cache_control block, which the anthropic API has and the %s API does not", c.API)}
	case c.CachePrefixTokens < MinCachePrefixTokens || c.CachePrefixTokens > 1<<20:
		return nil, &TargetError{Field: "workload.cache_prefix_tokens", Value: strconv.FormatInt(c.CachePrefixTokens, 10),
			Msg: fmt.Sprintf("want %d (the shortest prefix Anthropic caches) to %d tokens", MinCachePrefixTokens, 1<<20)}
	case !(c.CacheMiss >= 0 && c.CacheMiss <= 1):
		return nil, &TargetError{Field: "workload.cache_hit_ratio", Value: strconv.FormatFloat(1-c.CacheMiss, 'g', -1, 64), Msg: "want a fraction from 0 to 1, e.g. 0.8 for 80% of requests reading the cache"}
	}
	p := &cachePrefix{CachePrefix: workload.CachePrefix{Tokens: c.CachePrefixTokens, Miss: c.CacheMiss, Seed: uint64(c.Seed) ^ 0x6361636865}, // "cache"
		text:  api.PromptText(c.Seed^0x707265666978, int(c.CachePrefixTokens)*api.BytesPerToken), // "prefix"
		after: []byte(`","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"`)}
	if p.text[len(p.text)-1] == ' ' {
		p.text[len(p.text)-1] = 'x'
	}
	return p, nil
}

// appendTo appends request id's prefix text and the body up to its prompt text: the shared
// text, or for a miss the same text opened by the request id in hex, which no other request has.
func (p *cachePrefix) appendTo(dst []byte, id int64) []byte {
	n := len(dst)
	dst = append(dst, p.text...)
	if !p.Hits(id) {
		copy(dst[n:], fmt.Appendf(nil, "%016x ", uint64(id)))
	}
	return append(dst, p.after...)
}
