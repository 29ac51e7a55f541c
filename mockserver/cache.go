package mockserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
)

// MinCacheTokens is the shortest prefix the mock caches, Anthropic's minimum for Sonnet and
// Opus models (1,024 tokens); a shorter breakpoint is ignored, as the API does.
const MinCacheTokens = 1024

// cacheBreakpoints returns the prompt-cache breakpoints of a Messages body: for each block
// marked cache_control, in prompt order (tools, system, messages), a hash of the prompt up to
// and including it, its tokens (counted as the request's input tokens are) and its TTL (1h
// when the block asks for it, else 5m). nil when the body marks none.
func cacheBreakpoints(body []byte) []account.CachePrefix {
	if !bytes.Contains(body, []byte(`"cache_control"`)) {
		return nil
	}
	var req struct {
		Tools    []json.RawMessage `json:"tools"`
		System   json.RawMessage   `json:"system"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	var (
		stream []byte // the canonical prompt so far
		tokens int64
		out    []account.CachePrefix
	)
	block := func(raw json.RawMessage, counts bool) {
		var b map[string]any
		if json.Unmarshal(raw, &b) != nil {
			return
		}
		cc, marked := b["cache_control"].(map[string]any)
		delete(b, "cache_control")
		canon, _ := json.Marshal(b)
		stream = append(append(stream, canon...), '\n')
		if text, ok := b["text"].(string); ok && counts {
			tokens += api.TokensOf(len(text))
		}
		if !marked || tokens < MinCacheTokens {
			return
		}
		ttl := 5 * time.Minute
		if cc["ttl"] == "1h" {
			ttl = time.Hour
		}
		out = append(out, account.CachePrefix{Hash: sha256.Sum256(stream), Tokens: tokens, TTL: ttl})
	}
	content := func(raw json.RawMessage) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			stream = append(append(stream, raw...), '\n')
			tokens += api.TokensOf(len(s))
			return
		}
		var blocks []json.RawMessage
		if json.Unmarshal(raw, &blocks) == nil {
			for _, b := range blocks {
				block(b, true)
			}
		}
	}
	for _, t := range req.Tools {
		block(t, false)
	}
	stream = append(stream, "system\n"...)
	if len(req.System) > 0 {
		content(req.System)
	}
	for _, m := range req.Messages {
		stream = append(append(stream, m.Role...), '\n')
		content(m.Content)
	}
	return out
}
