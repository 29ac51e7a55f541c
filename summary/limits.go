package summary

// Algorithm classes reported in summary.json.
const (
	AlgoTokenBucket   = "token-bucket" // token bucket or GCRA: continuous refill, bounded burst
	AlgoLeakyBucket   = "leaky-bucket" // a shaper that delays excess instead of rejecting it at once
	AlgoFixedWindow   = "fixed-window"
	AlgoSlidingWindow = "sliding-window" // sliding log or sliding window counter
	AlgoUnknown       = "unknown"
)

// Algorithms lists the algorithm classes, in the order help texts give them.
func Algorithms() []string {
	return []string{AlgoTokenBucket, AlgoLeakyBucket, AlgoFixedWindow, AlgoSlidingWindow, AlgoUnknown}
}

// Sources of a limit figure.
const (
	SourceHeaders   = "headers"
	SourceBehaviour = "behaviour"
	SourceBoth      = "both"
)

// Limit is what is known about one dimension. Its JSON form is one summary.json limits[] entry;
// nil pointers are written as null: unknown, never made up.
type Limit struct {
	Dimension           string   `json:"dimension"` // requests, tokens, input_tokens, output_tokens
	AdvertisedPerMinute *float64 `json:"advertised_per_minute"`
	EffectivePerMinute  *float64 `json:"effective_per_minute"`
	EffectiveLow        *float64 `json:"effective_low"`
	EffectiveHigh       *float64 `json:"effective_high"`
	Burst               *float64 `json:"burst"`
	Algorithm           string   `json:"algorithm"`
	WindowSeconds       *float64 `json:"window_seconds"`
	Source              string   `json:"source"`
	Evidence            string   `json:"evidence"`
	// Gap is a sentence when advertised and effective differ by more than 10%, "" otherwise, e.g.
	// "advertised 60/min, enforced as 1/s: bursts above 1 are rejected".
	Gap string `json:"gap,omitempty"`
	// AdvertisedChanges lists distinct advertised values seen over the run when there was more than one.
	AdvertisedChanges []float64 `json:"advertised_changes,omitempty"`
}

// Binding is the dimension that limits the run's workload first.
type Binding struct {
	Dimension            string   `json:"dimension"`
	MaxRequestsPerMinute *float64 `json:"max_requests_per_minute"`
	// Explanation is a plain sentence, e.g. "at 400 output tokens per request, 8,000 OTPM allows 20 requests/min".
	Explanation string `json:"explanation,omitempty"`
}

// Accounting records how the server meters tokens and rejected attempts; nil when undetermined.
type Accounting struct {
	OutputPrecharged *bool   `json:"output_precharged"`  // output tokens charged at max_tokens up front
	RejectedCount    *bool   `json:"rejected_count"`     // rejected attempts consume quota
	MeanInputTokens  float64 `json:"mean_input_tokens"`  // per successful request
	MeanOutputTokens float64 `json:"mean_output_tokens"` // per successful request
	Evidence         string  `json:"evidence,omitempty"`
}
