package summary

// PlanEntry is one scale × strategy of a capacity plan (`ratelab plan`, a scenario's plan:
// phase): a trace's workload grown by Scale, simulated against the limits under Strategy.
type PlanEntry struct {
	Scale    float64 `json:"scale"`
	Strategy string  `json:"strategy"`
	// Requests are the logical requests the grown workload sent; Attempts the HTTP attempts.
	Requests int64 `json:"requests"`
	Attempts int64 `json:"attempts"`
	// RefusedShare is the share of requests refused (429) at least once.
	RefusedShare float64 `json:"refused_share"`
	// Failed requests ended without success (the strategy gave up); FailedShare is their share.
	Failed      int64   `json:"failed"`
	FailedShare float64 `json:"failed_share"`
	// AddedDelay is the delay limits added to each request: from its scheduled time to the
	// sending of its last attempt (0 for a request admitted at once), in seconds.
	AddedDelay Quantiles `json:"added_delay_seconds"`
	// Binding is the dimension closest to its limit at the workload's busiest minute
	// (requests, input_tokens, output_tokens, tokens); "" when no dimension is limited.
	Binding string `json:"binding"`
	// Headroom is 1 − the binding dimension's busiest-minute demand / its per-minute limit:
	// 0.5 leaves half the limit unused at the peak, negative asks for more than the limit.
	Headroom *float64 `json:"headroom"`
	// PeakPerMinute is the binding dimension's demand in its busiest minute.
	PeakPerMinute *float64 `json:"peak_per_minute,omitempty"`
	// MeetsSLO says whether the entry meets the plan's SLO.
	MeetsSLO bool `json:"meets_slo"`
	// Stopped says why the simulation stopped before the replay's end (the SLO was missed for
	// certain); the figures then cover the requests until then. "" when it ran to the end.
	Stopped string `json:"stopped,omitempty"`
}

// PlanBest is the plan's answer: the largest scale that meets the SLO and the strategy that
// reaches it (the one with the lowest p95 added delay there).
type PlanBest struct {
	Scale    float64 `json:"scale"`
	Strategy string  `json:"strategy"`
}
