package infer

import "fmt"

// reservationNote says, when a combined tokens limit binds under OpenAI's headers, how that
// limit counts a request: the prompt plus max_tokens reserved at admission (OpenAI, Azure
// OpenAI), settled to the output when the reply ends. "" otherwise.
func (a *Analyzer) reservationNote(dim string) string {
	if dim != "tokens" || !a.openaiTokens || a.okUsage == 0 || a.maxSum == 0 {
		return ""
	}
	in, maxTok := a.inSum/float64(a.okUsage), a.maxSum/float64(a.okUsage)
	s := fmt.Sprintf(" The tokens limit reserves the prompt plus max_tokens at admission (%s + %s tokens a request), as OpenAI's does, and settles to the output when the reply ends",
		fmtNum(in), fmtNum(maxTok))
	if a.shortOut > 0 {
		s += ": with replies shorter than max_tokens, fewer requests are admitted at once than the sustained rate allows"
	}
	return s + "."
}

// dailyNote says, when a daily quota refused the run's requests, that it binds before the
// per-minute answer: a per-day figure, never turned into a rate. "" otherwise.
func (a *Analyzer) dailyNote() string {
	if len(a.quotas.daily) == 0 {
		return ""
	}
	least := int64(-1)
	for _, v := range a.quotas.daily {
		if least < 0 || v < least {
			least = v
		}
	}
	return fmt.Sprintf(" A daily quota binds before it: it refused requests after %s succeeded, a per-day limit that resets once a day.", fmtNum(float64(least)))
}
