package summary

// Observed is what a recording of an application's own traffic shows of the limits: how busy
// it got in each dimension against the limits, which came closest, and what more traffic
// would reveal. Zero extra requests were sent to learn it.
type Observed struct {
	Requests int64 `json:"requests"`
	Refused  int64 `json:"refused"`
	Clients  int   `json:"clients"`
	// WindowSeconds is the length of the busiest window measured: 60, or the recording's
	// length when it is shorter.
	WindowSeconds float64        `json:"window_seconds"`
	Dimensions    []ObservedPeak `json:"dimensions"`
	// Closest is the dimension whose busiest window came closest to its limit ("" when no
	// limit is known).
	Closest string `json:"closest"`
	// Reveal says in words what more traffic would reveal.
	Reveal string `json:"reveal"`
}

// ObservedPeak is one dimension's busiest window in a recording.
type ObservedPeak struct {
	Dimension string `json:"dimension"`
	// AdmittedPerMinute is what was admitted in the busiest window, per minute: a lower bound
	// of the effective limit when nothing was refused.
	AdmittedPerMinute float64 `json:"admitted_per_minute"`
	// Limit is the limit compared with: the effective one when measured, else the advertised
	// one; LimitSource says which ("effective", "advertised"), "" when none is known.
	LimitPerMinute *float64 `json:"limit_per_minute"`
	LimitSource    string   `json:"limit_source"`
	// Share is AdmittedPerMinute / LimitPerMinute.
	Share *float64 `json:"share"`
	// LowestRemainingShare is the least remaining / limit the headers showed.
	LowestRemainingShare *float64 `json:"lowest_remaining_share"`
}
