package api

import "math/rand/v2"

// BytesPerToken is the token estimator the mock documents and the probe sizes prompts with:
// tokens = ⌈bytes / 4⌉ of the text, so a prompt of N tokens is 4·N ASCII bytes.
const BytesPerToken = 4

// TokensOf is the estimated token count of a text n bytes long: ⌈n / BytesPerToken⌉. It is
// deterministic and cheap; the mock counts input and the probe sizes prompts with it.
func TokensOf(n int) int64 { return (int64(n) + BytesPerToken - 1) / BytesPerToken }

// PromptText returns n bytes of the seeded deterministic text prompts are cut from: lower-case
// pseudo-words of two to four consonant-vowel syllables separated by single spaces. Every byte
// is ASCII and needs no JSON escaping.
func PromptText(seed int64, n int) []byte {
	const consonants = "bcdfghjklmnprstvwz"
	const vowels = "aeiou"
	rng := rand.New(rand.NewPCG(uint64(seed), 0x70726f6d7074)) // "prompt"
	buf := make([]byte, 0, n+16)
	for len(buf) < n {
		if len(buf) > 0 {
			buf = append(buf, ' ')
		}
		for range 2 + rng.IntN(3) {
			buf = append(buf, consonants[rng.IntN(len(consonants))], vowels[rng.IntN(len(vowels))])
		}
	}
	return buf[:n]
}
