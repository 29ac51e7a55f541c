// Package summary is summary.json (schema "ratelab/summary/v1"): the derived results of a run as
// Go types with their JSON names, the lines of its thresholds, and the comparison of a strategy's
// live and simulated entries. The report builds a Summary from the attempt log; the runner and the
// command line print from it; thresholds are evaluated on it (package threshold). Fields may be
// added, never renamed.
package summary

import (
	"bytes"
	"encoding/json"
)

// Schema identifies the summary.json format.
const Schema = "ratelab/summary/v1"

// Summary is summary.json: the derived results of a run (README "summary.json").
// A nil pointer is written as null: the figure is unknown, never made up.
type Summary struct {
	Schema      string `json:"schema"`
	ToolVersion string `json:"tool_version"`
	Seed        int64  `json:"seed"`
	Command     string `json:"command,omitempty"`
	// Partial is true when the run was interrupted or failed before it finished: every figure
	// covers only the attempts recorded until then (totals.stop_reason says why).
	Partial bool `json:"partial"`

	Target Target `json:"target"`
	Totals Totals `json:"totals"`

	// Discovery is what limit discovery cost (absent when the run had none).
	Discovery *Discovery `json:"discovery,omitempty"`

	// Observed is what a recording of an application's own traffic (`ratelab proxy`) shows of
	// the limits (absent when the run recorded no observed attempt).
	Observed *Observed `json:"observed,omitempty"`

	Limits     []Limit     `json:"limits"`
	Binding    *Binding    `json:"binding"`
	Accounting *Accounting `json:"accounting"`

	// Strategies lists one entry per strategy × mode × client count, in the run's segment order;
	// Rank orders them by makespan within their mode and client count.
	Strategies []Strategy `json:"strategies"`

	// Findings are the key findings in plain sentences, most important first: the inference's
	// own, then those drawn from the strategies and totals.
	Findings []string `json:"findings"`

	// Recommendation is the report's advice in one line: which strategy, at what total rate.
	// The terminal prints it last.
	Recommendation string `json:"recommendation"`

	// Thresholds are the scenario's pass/fail thresholds (run.json's thresholds, a scenario's
	// expect: section) checked against this summary, in threshold.Evaluate's order; absent when
	// the run had none.
	Thresholds []Threshold `json:"thresholds,omitempty"`

	// Streaming describes the streamed attempts (absent when the run streamed nothing).
	Streaming *Streaming `json:"streaming,omitempty"`

	// Plan lists a capacity plan's entries, scale by scale, strategy by strategy (absent when
	// the run made no plan). PlanMaxScale is, per strategy, the largest scale that meets PlanSLO
	// with every smaller scale meeting it too (null when none does); PlanBest the largest of
	// them and its strategy.
	Plan         []PlanEntry         `json:"plan,omitempty"`
	PlanSLO      string              `json:"plan_slo,omitempty"`
	PlanMaxScale map[string]*float64 `json:"plan_max_scale,omitempty"`
	PlanBest     *PlanBest           `json:"plan_best,omitempty"`
}

// Target is where the traffic went (no secrets).
type Target struct {
	API       string `json:"api"`
	URL       string `json:"url"`
	Model     string `json:"model"`
	Embedded  bool   `json:"embedded_mock,omitempty"`
	Simulated bool   `json:"simulated,omitempty"`
}

// Totals counts the whole run's attempts by outcome, live HTTP attempts and simulated ones
// together: Attempts = OK + RateLimited + Overloaded + Errors = LiveAttempts +
// SimulatedAttempts. ByMode splits them. Attempts a client strategy refused to send are counted
// in ClientRejected and nowhere else.
type Totals struct {
	Attempts int64 `json:"attempts"`
	// LiveAttempts were HTTP requests; SimulatedAttempts were made in virtual time against the
	// mock's model, and sent nothing over the network.
	LiveAttempts      int64 `json:"live_attempts"`
	SimulatedAttempts int64 `json:"simulated_attempts"`

	OK          int64 `json:"ok"`
	RateLimited int64 `json:"rate_limited"`
	Overloaded  int64 `json:"overloaded"`
	Errors      int64 `json:"errors"`
	// Dropped and Late come from run.json: only the engine knows whether an attempt was sent late
	// because the generator fell behind or because a strategy chose to hold it back.
	Dropped        int64 `json:"dropped"`         // scheduled open-model attempts never sent
	Late           int64 `json:"late"`            // attempts the generator sent more than 10 ms behind schedule
	ClientRejected int64 `json:"client_rejected"` // refused locally by a strategy, not sent
	WithHeaders    int64 `json:"with_headers"`    // attempts whose response carried rate-limit headers
	Requests       int64 `json:"requests"`        // logical requests (records with attempt 1)
	InputTokens    int64 `json:"input_tokens"`
	OutputTokens   int64 `json:"output_tokens"`
	// Means over successful HTTP attempts (null when none succeeded).
	MeanOKLatencyS   *float64 `json:"mean_ok_latency_seconds"`
	MeanInputTokens  *float64 `json:"mean_input_tokens"`
	MeanOutputTokens *float64 `json:"mean_output_tokens"`

	// ErrorKinds counts the records that carried an error, by its text, most frequent first
	// (absent when none did).
	ErrorKinds []ErrorKind `json:"error_kinds,omitempty"`

	// ByMode splits the counts into live HTTP attempts and simulated ones, live first; a mode
	// without a record is left out.
	ByMode []ModeTotals `json:"by_mode"`

	// DurationS is the run's wall-clock time (run.json's ended − started), null when run.json
	// records no end time. VirtualS is the virtual time its simulated segments covered (null
	// when none ran); TimelineS the length of the record times' axis, on which live phases take
	// wall-clock time and simulated ones virtual time, end to end (run.json's duration_s).
	DurationS  *float64 `json:"duration_seconds"`
	VirtualS   *float64 `json:"virtual_seconds"`
	TimelineS  float64  `json:"timeline_seconds"`
	Partial    bool     `json:"partial,omitempty"`
	StopReason string   `json:"stop_reason,omitempty"`
	// StreamErrors counts the streamed 2xx attempts whose stream failed mid-way (record
	// stream_error): their own outcome, neither ok nor an error. Written when the run streamed.
	StreamErrors *int64 `json:"stream_errors,omitempty"`
}

// ModeTotals counts one mode's attempts by outcome: "live" ones are HTTP attempts, "sim" ones
// simulated attempts (virtual time, no network).
type ModeTotals struct {
	Mode           string `json:"mode"`
	Attempts       int64  `json:"attempts"`
	OK             int64  `json:"ok"`
	RateLimited    int64  `json:"rate_limited"`
	Overloaded     int64  `json:"overloaded"`
	Errors         int64  `json:"errors"`
	ClientRejected int64  `json:"client_rejected"`
	Requests       int64  `json:"requests"`
	InputTokens    int64  `json:"input_tokens"`
	OutputTokens   int64  `json:"output_tokens"`
	StreamErrors   int64  `json:"stream_errors,omitempty"`
	// MeanOKLatencyS is the mean response time of the mode's successful attempts (null when
	// none succeeded): measured for live ones, the mock's configured latency for simulated ones.
	MeanOKLatencyS *float64 `json:"mean_ok_latency_seconds"`
}

// Strategy is one strategies[] entry: a backoff strategy run in one mode at one client count.
type Strategy struct {
	Name    string         `json:"name"`
	Mode    string         `json:"mode"`
	Clients int            `json:"clients"` // client count of this segment (sweep point); 0 for open arrivals
	Params  map[string]any `json:"params"`
	Rank    int            `json:"rank"` // 1 = best among entries of the same mode and client count: every request served, then fewest unserved, then shortest makespan

	Requests   int64 `json:"requests"`   // logical requests
	Succeeded  int64 `json:"succeeded"`  // logical requests whose final attempt succeeded
	Failed     int64 `json:"failed"`     // logical requests given up (final attempt not a success)
	Unfinished int64 `json:"unfinished"` // logical requests with no final attempt in the log (interrupted run)
	// FailureReasons says why the requests that did not succeed (failed and unfinished) ended,
	// most frequent first: "gave up after 3 attempts (max-attempts 3)", "gave up at
	// max-elapsed 15m0s", "unfinished: the run stopped first (interrupted)". Absent when every
	// request succeeded.
	FailureReasons []Reason `json:"failure_reasons,omitempty"`
	Attempts       int64    `json:"attempts"` // HTTP attempts
	ClientRejected int64    `json:"client_rejected"`
	RateLimited    int64    `json:"rate_limited"` // 429 responses
	Overloaded     int64    `json:"overloaded"`   // 529/503 responses
	Errors         int64    `json:"errors"`       // other failures, transport errors included

	Amplification             *float64 `json:"amplification"`                // attempts per logical request
	MakespanSeconds           *float64 `json:"makespan_seconds"`             // segment start to last completion
	MakespanLowerBoundSeconds *float64 `json:"makespan_lower_bound_seconds"` // (requests − burst) / rate of the binding limit
	LowerBoundDimension       string   `json:"lower_bound_dimension,omitempty"`
	GoodputPerSecond          *float64 `json:"goodput_per_second"`       // succeeded / makespan
	Latency                   *Latency `json:"latency_seconds"`          // of succeeded logical requests, from their scheduled time
	Fairness                  *float64 `json:"fairness"`                 // Jain's index over clients' goodput
	PeakAttemptsPerSecond     float64  `json:"peak_attempts_per_second"` // the most attempts sent in one second
	// PeakRetriesPerSecond is the most retries (attempts after a request's first) sent in one
	// 100 ms bin, per second: how synchronized a fleet's retries are. Over whole seconds the
	// fleet's simultaneous start dominates every strategy; at 100 ms exponential backoff's
	// lock-step retry waves stand out against jitter.
	PeakRetriesPerSecond float64 `json:"peak_retries_per_second"`
	// PeakRetriesPer100ms is the same peak as a count: the most retries sent in one 100 ms bin.
	PeakRetriesPer100ms float64  `json:"peak_retries_per_100ms"`
	MeanInputTokens     *float64 `json:"mean_input_tokens"`  // per successful attempt
	MeanOutputTokens    *float64 `json:"mean_output_tokens"` // per successful attempt

	// Streamed entries only (absent when the entry streamed nothing): streams that failed after
	// their status, time to first token, and the median per-request decode rate (null when no
	// stream gave one). Streaming in the Summary defines them.
	StreamErrors *int64              `json:"stream_errors,omitempty"`
	TTFT         Streamed[Quantiles] `json:"ttft_seconds,omitzero"`
	OutputTPS    Streamed[float64]   `json:"output_tokens_per_second,omitzero"`
	Streaming    *Streaming          `json:"streaming,omitempty"`
}

// Latency is a completion-latency distribution in seconds: nearest-rank quantiles from a
// log-bucketed histogram (within 0.39%), and the exact maximum.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// MarshalIndent encodes the summary as summary.json: two-space indented, no HTML escaping, and a
// trailing newline. Equal summaries encode to equal bytes.
func (s *Summary) MarshalIndent() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrorKind counts the records that failed one way: by their error text — transport failures
// (the probe gives each common breakage one stable text without addresses: timeouts, resets,
// EOFs, refused connections), 2xx answers whose body was an error or not JSON, requests a
// strategy held past its bounds — or, for a failed status without one, by status and content
// type ("HTTP 500 text/html"; simulated ones say so). Every attempt counted as overloaded or
// errors in the totals has a kind.
type ErrorKind struct {
	Error string `json:"error"`
	Count int64  `json:"count"`
}

// Reason counts the logical requests of a strategy entry that did not succeed for one reason.
type Reason struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// Discovery is summary.json's discovery object: what limit discovery (probe --find, a
// scenario's find phase) cost, from the attempts of the run's find segments. Against a paid
// API every request and token is billed, so the report states it.
type Discovery struct {
	Requests     int64   `json:"requests"`      // HTTP requests discovery sent (one attempt each)
	RateLimited  int64   `json:"rate_limited"`  // of which refused with 429
	InputTokens  int64   `json:"input_tokens"`  // input tokens the responses reported
	OutputTokens int64   `json:"output_tokens"` // output tokens the responses reported
	Tokens       int64   `json:"tokens"`        // input + output
	Seconds      float64 `json:"seconds"`       // from the first find segment's start to the last one's end
}
