package workload

import (
	"math"
	"math/rand/v2"

	"github.com/ratelab/ratelab/api"
)

// Default request shape of the model APIs.
const (
	DefaultMaxTokens    = 16 // the request's max_tokens
	DefaultPromptTokens = 32 // the prompt's size in tokens
)

// MaxPromptTokens bounds a prompt's size (4 bytes a token: 16 MB of prompt text).
const MaxPromptTokens = 4 << 20

// PromptSizes picks the prompt size of each logical request: Tokens, or with a relative
// Spread s, uniform in [N·(1−s), N·(1+s)] rounded to whole tokens, at least 1, seeded per
// request so that a rerun with the same seed sends the same sizes.
type PromptSizes struct {
	Tokens int64
	Spread float64
	Seed   uint64
}

// Max is the largest size Of can return: ⌈N·(1+s)⌉.
func (p PromptSizes) Max() int64 {
	return int64(math.Ceil(float64(p.Tokens) * (1 + p.Spread)))
}

// Of returns the prompt size in tokens of logical request id.
func (p PromptSizes) Of(id int64) int64 {
	if p.Spread == 0 || p.Tokens == 0 {
		return p.Tokens
	}
	var pcg rand.PCG
	pcg.Seed(p.Seed, uint64(id))
	u := float64(pcg.Uint64()>>11)/(1<<53)*2 - 1 // uniform in [−1, 1)
	n := int64(math.Round(float64(p.Tokens) * (1 + p.Spread*u)))
	return min(max(n, 1), p.Max())
}

// Requests is the shape of a target's requests: its API and, for a model API, each logical
// request's prompt size and max_tokens. The live target builds bodies from it; the simulator
// charges the mock's account model by it.
type Requests struct {
	API       api.API
	MaxTokens int64 // the request's max_tokens; 0 for http
	Prompt    PromptSizes
	Stream    bool // responses are streamed (anthropic, openai)
	// Sizes, when set, gives each logical request its own prompt size and max_tokens (a
	// replayed trace), in place of Prompt and MaxTokens.
	Sizes Sizes
	// Cache is the prompt-cache prefix every request opens with, before its prompt (anthropic);
	// its tokens are not part of Prompt.
	Cache CachePrefix
}

// Sizes gives each logical request its own prompt size and output size (its max_tokens) in
// tokens; Replay is one.
type Sizes interface {
	Of(id int64) (input, output int64)
}

// PromptTokens returns the prompt size of logical request id in tokens (0 for http).
func (r Requests) PromptTokens(id int64) int64 {
	if !r.API.LLM() {
		return 0
	}
	if r.Sizes != nil {
		in, _ := r.Sizes.Of(id)
		return in
	}
	return r.Prompt.Of(id)
}

// Of returns logical request id's prompt size and max_tokens (0, 0 for http).
func (r Requests) Of(id int64) (prompt, maxTokens int64) {
	if !r.API.LLM() {
		return 0, 0
	}
	if r.Sizes != nil {
		return r.Sizes.Of(id)
	}
	return r.Prompt.Of(id), r.MaxTokens
}
