package ratelimit

// The terminal causes (Snapshot.Terminal) api.ErrorHint reads from error bodies: quotas no
// retry inside a run can outlast. The names are the error causes of the provider presets.
const (
	// TerminalDailyQuota is a per-day quota exhausted: OpenAI's RPD/TPD, Gemini's quotaId
	// …PerDay…, Bedrock's "Too many tokens per day".
	TerminalDailyQuota = "daily-quota"
	// TerminalInsufficientQuota is OpenAI's insufficient_quota (no credit left).
	TerminalInsufficientQuota = "insufficient-quota"
	// TerminalSpendCap is a spend limit reached: Anthropic's enforced_spend_limit_reached or
	// "You have reached your specified API usage limits", OpenAI's
	// organization_spend_limit_exceeded / project_spend_limit_exceeded.
	TerminalSpendCap = "spend-cap"
	// TerminalRequestTooLarge is one request larger than the limit itself ("Request too large
	// for …"): that request can never pass, the others may.
	TerminalRequestTooLarge = "request-too-large"
)

// TerminalWords describes a terminal cause for a reader ("" for ""): "daily quota exhausted".
func TerminalWords(cause string) string {
	switch cause {
	case "":
		return ""
	case TerminalDailyQuota:
		return "daily quota exhausted"
	case TerminalInsufficientQuota:
		return "insufficient quota (no credit left)"
	case TerminalSpendCap:
		return "spend cap reached"
	case TerminalRequestTooLarge:
		return "request larger than the limit"
	}
	return cause
}

// RunWide reports whether a terminal cause holds for every request of the account (a quota),
// not only for the request that met it (a request too large).
func RunWide(cause string) bool { return cause != "" && cause != TerminalRequestTooLarge }
