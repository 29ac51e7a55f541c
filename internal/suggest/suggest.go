// Package suggest finds the valid name a user most likely meant: the "did you mean" of every
// unknown field, strategy, scenario and flag value. It imports nothing of the project.
package suggest

import (
	"fmt"
	"strings"
)

// Closest returns the name in names that word most likely misspells, or "" when none is close:
// the name nearest by Distance (ignoring case) when a typo could explain it, that is at most
// min(3, max(2, n/3)) edits for the longer word's length n; otherwise a name that contains the
// word when the word has at least three letters ("jitter" → "full-jitter").
func Closest(word string, names []string) string {
	lw := strings.ToLower(word)
	best, bestD := "", -1
	for _, n := range names {
		if d := Distance(lw, strings.ToLower(n)); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	if bestD >= 0 && bestD <= min(3, max(2, max(len(word), len(best))/3)) {
		return best
	}
	if len(word) >= 3 {
		for _, n := range names {
			if strings.Contains(strings.ToLower(n), lw) {
				return n
			}
		}
	}
	return ""
}

// Unknown explains an unknown name: `unknown KIND "word"; did you mean "x"?` when Closest finds
// a likely typo, else `unknown KIND "word"; valid: a, b, c`.
func Unknown(kind, word string, valid []string) string {
	if c := Closest(word, valid); c != "" {
		return fmt.Sprintf("unknown %s %q; did you mean %q?", kind, word, c)
	}
	return fmt.Sprintf("unknown %s %q; valid: %s", kind, word, strings.Join(valid, ", "))
}

// Distance is the optimal string alignment distance between a and b: insertions, deletions,
// substitutions and transpositions of adjacent letters ("burts" → "burst") cost 1. It works
// over bytes (names are ASCII).
func Distance(a, b string) int {
	// Three rows: the one before the previous (for transpositions), the previous and this one.
	pp, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(b)]
}

// DidYouMean returns ` (did you mean "x"?)` for the name word most likely misspells (Closest),
// "" when none: a clause to append to an error that names the unknown word.
func DidYouMean(word string, names []string) string {
	if c := Closest(word, names); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}
