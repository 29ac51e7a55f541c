package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// RunSchema identifies the run.json format.
const RunSchema = "ratelab/run/v1"

// Run is run.json: what was run, against what, with which seed, and how it ended. It never holds
// a secret: keys are referred to by the name of the environment variable they came from.
type Run struct {
	Schema      string    `json:"schema"`
	Command     string    `json:"command"` // probe, compare or run
	ToolVersion string    `json:"tool_version"`
	Seed        int64     `json:"seed"`
	Started     time.Time `json:"started"`

	Target   Target          `json:"target"`
	Workload Workload        `json:"workload"`
	Scenario json.RawMessage `json:"scenario,omitempty"` // the resolved scenario, when one was used
	Mock     json.RawMessage `json:"mock,omitempty"`     // the embedded mock's resolved configuration

	// Known lists limits known in advance (the embedded mock's enforced configuration); analysis
	// uses them for lower bounds and accuracy, never in place of inference.
	Known []KnownLimit `json:"known_limits,omitempty"`

	// Segments lists the parts of the run in order (probe phases, or one per strategy × mode ×
	// client count in compare).
	Segments []Segment `json:"segments,omitempty"`
	// Plan is a scenario's capacity plan (its plan: phase), as summary.json holds it (plan,
	// plan_slo, plan_max_scale, plan_best): it is simulated, not derived from the attempts, so
	// run.json keeps it for the report to re-render.
	Plan json.RawMessage `json:"plan,omitempty"`

	Thresholds json.RawMessage `json:"thresholds,omitempty"`

	// End of run. Written when the run stops (also on interrupt).
	Ended      time.Time `json:"ended"`
	DurationS  float64   `json:"duration_s"`
	Partial    bool      `json:"partial"`
	StopReason string    `json:"stop_reason,omitempty"` // e.g. "completed", "interrupted", "--max-requests 1000 reached"
	Dropped    int64     `json:"dropped"`               // scheduled open-model attempts never sent (generator behind at the end)
	Late       int64     `json:"late"`                  // attempts sent more than LateThreshold after their scheduled time
	Notes      []string  `json:"notes,omitempty"`
	// Shard is set when this run is one host's share of a run spread over several (--shard).
	Shard *Shard `json:"shard,omitempty"`
}

// Shard says which share of a multi-host run a run directory holds.
type Shard struct {
	Index int `json:"index"` // 0-based
	Count int `json:"count"`
	// StartAt is the common start time the shards waited for (--start-at), zero when none.
	StartAt time.Time `json:"start_at,omitzero"`
}

// String returns the shard as --shard takes it: "i/n".
func (s *Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// LateThreshold is how far behind schedule an attempt must start to count as late.
const LateThreshold = 10 * time.Millisecond

// Target describes where traffic went.
type Target struct {
	API       string `json:"api"`            // anthropic, openai or http
	URL       string `json:"url"`            // base URL, or "mock" for the embedded mock
	Path      string `json:"path,omitempty"` // the endpoint path on the embedded mock when not the API's standard one (a preset's)
	Model     string `json:"model"`          // model name, "" for http
	Method    string `json:"method,omitempty"`
	KeyEnv    string `json:"key_env,omitempty"` // the environment variable the key came from
	Embedded  bool   `json:"embedded_mock,omitempty"`
	Simulated bool   `json:"simulated,omitempty"`
}

// Workload describes the requests sent.
type Workload struct {
	PromptTokens       int64   `json:"prompt_tokens"`
	PromptTokensSpread float64 `json:"prompt_tokens_spread,omitempty"` // relative spread, 0.2 = ±20%
	MaxTokens          int64   `json:"max_tokens"`
	// CachePrefixTokens and CacheHitRatio are the prompt-cache prefix the requests open with
	// and the share of them that share it (workload.cache_prefix_tokens, cache_hit_ratio).
	CachePrefixTokens int64    `json:"cache_prefix_tokens,omitempty"`
	CacheHitRatio     *float64 `json:"cache_hit_ratio,omitempty"`
	Clients           []int    `json:"clients,omitempty"`
	RequestsPerClient int      `json:"requests_per_client,omitempty"`
	ThinkS            float64  `json:"think_s,omitempty"`
	Rate              string   `json:"rate,omitempty"`
	Stages            string   `json:"stages,omitempty"`
	DurationS         float64  `json:"duration_s,omitempty"`
	Stream            bool     `json:"stream,omitempty"` // responses were streamed
}

// KnownLimit is one enforced limit known in advance.
type KnownLimit struct {
	Dimension     string  `json:"dimension"`
	Algorithm     string  `json:"algorithm"`
	PerMinute     float64 `json:"per_minute"` // enforced sustained rate
	Burst         int64   `json:"burst"`      // bucket capacity, or per-window quota
	WindowS       float64 `json:"window_s"`
	AdvertisedMin float64 `json:"advertised_per_minute,omitempty"`
}

// Segment is one labelled part of a run; attempts carry its label in their run field.
type Segment struct {
	Label    string         `json:"label"`
	Kind     string         `json:"kind"` // "probe", "find", "compare"
	Strategy string         `json:"strategy,omitempty"`
	Params   map[string]any `json:"params,omitempty"`
	Mode     string         `json:"mode,omitempty"`
	Clients  int            `json:"clients,omitempty"`
	StartS   float64        `json:"start_s"`
	EndS     float64        `json:"end_s"`
	// TTFTClock says what timed the segment's live streams' first tokens: "kernel-rx" (the
	// kernel's receive timestamp of the bytes), "read" (the instant the read returned) or
	// "mixed"; empty when nothing was streamed live.
	TTFTClock string `json:"ttft_clock,omitempty"`
}

// WriteRun writes run.json into dir atomically (temporary file and rename), so an interrupt
// never leaves half a file.
func WriteRun(dir string, r *Run) error {
	if r.Schema == "" {
		r.Schema = RunSchema
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run.json: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, "run.json"), append(b, '\n'))
}

// ReadRun reads dir/run.json.
func ReadRun(dir string) (*Run, error) {
	p := filepath.Join(dir, "run.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if r.Schema != RunSchema {
		return nil, fmt.Errorf("%s: schema %q, want %q", p, r.Schema, RunSchema)
	}
	return &r, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same directory and a rename.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Streamed reports whether the run may have streamed requests: its workload streams, or a
// compare phase of its scenario sets stream: true. attempts.csv has its stream columns then.
func (r *Run) Streamed() bool {
	if r.Workload.Stream {
		return true
	}
	if len(r.Scenario) == 0 {
		return false
	}
	var sc struct {
		Phases []struct {
			Compare *struct {
				Stream *bool `json:"stream"`
			} `json:"compare"`
		} `json:"phases"`
	}
	if json.Unmarshal(r.Scenario, &sc) != nil {
		return false
	}
	for _, p := range sc.Phases {
		if p.Compare != nil && p.Compare.Stream != nil && *p.Compare.Stream {
			return true
		}
	}
	return false
}
