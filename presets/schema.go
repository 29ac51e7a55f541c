package presets

import (
	"time"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// Schema is the value of the schema field every preset file carries.
const Schema = "ratelab/preset/v1"

// Preset is one provider's rate-limit rules as one data file describes them.
type Preset struct {
	Schema      string          `yaml:"schema"`
	Name        string          `yaml:"name"`     // what --preset takes: anthropic, openai, …
	Provider    string          `yaml:"provider"` // the provider and API, in words
	Version     string          `yaml:"version"`  // YYYY-MM-DD: the date the file's rules were last checked as a whole
	Summary     string          `yaml:"summary"`
	Sources     []Source        `yaml:"sources"`
	API         API             `yaml:"api"`
	Scope       Scope           `yaml:"scope"`
	Models      ModelMatching   `yaml:"models"`
	Classes     []Class         `yaml:"classes"`
	Tiers       []Tier          `yaml:"tiers"`
	Enforcement []Enforcement   `yaml:"enforcement"`
	Accounting  Accounting      `yaml:"accounting"`
	Headers     Headers         `yaml:"headers"`
	RetryHints  []RetryHint     `yaml:"retry_hints"`
	Errors      []ErrorTemplate `yaml:"errors"`

	file string // the file it was decoded from
}

// Provenance says where a rule comes from. Every rule of a preset carries one; Source names an
// entry of the preset's Sources, which holds the URL and the date it was checked.
type Provenance struct {
	Source string `yaml:"source"`
	// Illustrative marks a value the provider does not publish: ratelab chose it, and Note says
	// why and from what.
	Illustrative bool `yaml:"illustrative,omitempty"`
	// Unverified marks a value read from a secondary source or inferred from captured
	// responses, not confirmed on the provider's own page; Note says from where.
	Unverified bool   `yaml:"unverified,omitempty"`
	Note       string `yaml:"note,omitempty"`

	ref *Source
}

// Ref returns the source the rule names (resolved when the preset was decoded).
func (p *Provenance) Ref() *Source { return p.ref }

// Source is a page a preset's rules were read from.
type Source struct {
	ID      string `yaml:"id" json:"id"`
	URL     string `yaml:"url" json:"url"`
	Title   string `yaml:"title" json:"title"`
	Checked string `yaml:"checked" json:"checked"` // YYYY-MM-DD the page (or its stored copy) was read
	Kind    string `yaml:"kind" json:"kind"`       // primary (the provider's own) or secondary
	Copy    string `yaml:"copy,omitempty" json:"copy,omitempty"`
}

// API is the wire surface a mock of the provider serves.
type API struct {
	Endpoints []string `yaml:"endpoints"` // "POST /v1/messages"; {name} marks a path parameter
	Auth      string   `yaml:"auth"`      // the header that carries the credential
	// Query is the query string a request to an endpoint with a path parameter carries
	// (Azure's api-version=2024-10-21); "" when none is needed.
	Query      string     `yaml:"query"`
	Required   []Required `yaml:"required"`
	Provenance `yaml:",inline"`
}

// Required is a request header the provider rejects a request without.
type Required struct {
	Header     string   `yaml:"header"`
	Values     []string `yaml:"values"`  // accepted values; empty means any
	Missing    string   `yaml:"missing"` // the error template sent when it is absent
	Invalid    string   `yaml:"invalid"` // the error template sent when its value is not in Values
	Provenance `yaml:",inline"`
}

// Scope says what one budget belongs to.
type Scope struct {
	// Unit is whom limits are set for: organization, project, deployment or account-region.
	// The mock's API key stands for this unit.
	Unit string `yaml:"unit"`
	// Pool is "class" when all models of a class draw from one budget (Anthropic's shared
	// pools), "model" when each model id has its own budget with its class's limits.
	Pool       string `yaml:"pool"`
	Provenance `yaml:",inline"`
}

// ModelMatching says how a request's model id is matched to a class.
type ModelMatching struct {
	// Fallback is the class of a model no class names. It must have limits in every tier.
	Fallback string `yaml:"fallback"`
	// StripPrefixes are removed from a model id before matching (Bedrock's "us." geography
	// prefixes of cross-Region inference profiles).
	StripPrefixes []string `yaml:"strip_prefixes"`
	Provenance    `yaml:",inline"`
}

// Class is a group of models with the same limits and accounting.
type Class struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Models      []string `yaml:"models"`   // exact model ids
	Prefixes    []string `yaml:"prefixes"` // model id prefixes; the longest matching prefix wins
	// Pool names the budget the class draws from; classes with the same pool share it. It
	// defaults to the class name.
	Pool string `yaml:"pool"`
	// InputCounts overrides Accounting.Input.Counts for this class.
	InputCounts []string `yaml:"input_counts"`
	// OutputBurndown overrides Accounting.Output.Burndown for this class: each output token
	// counts this many times against the token quota.
	OutputBurndown float64 `yaml:"output_burndown"`
	// CapacityUnit is Azure's ratio of requests to tokens per minute for the model.
	CapacityUnit *CapacityUnit `yaml:"capacity_unit"`
	Provenance   `yaml:",inline"`
}

// CapacityUnit is one unit of Azure quota: RPM requests per minute come with every TPM tokens
// per minute assigned to a deployment.
type CapacityUnit struct {
	TPM int64 `yaml:"tpm"`
	RPM int64 `yaml:"rpm"`
}

// RPMPer1000TPM returns the requests per minute a deployment gets per 1,000 tokens per minute.
func (c CapacityUnit) RPMPer1000TPM() float64 { return float64(c.RPM) * 1000 / float64(c.TPM) }

// Tier is one usage tier (or quota level) of a provider.
type Tier struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Default marks the tier Lookup returns for a bare preset name: the lowest published tier.
	Default bool `yaml:"default"`
	// Legacy marks a tier the provider no longer offers, kept with its date for comparison.
	Legacy     bool                   `yaml:"legacy"`
	SpendCap   *SpendCap              `yaml:"spend_cap"`
	Limits     map[string]*PoolLimits `yaml:"limits"` // by pool name
	Provenance `yaml:",inline"`

	preset *Preset
}

// Preset returns the preset the tier belongs to.
func (t *Tier) Preset() *Preset { return t.preset }

// Spec returns the tier's NAME:TIER spelling, as --preset takes it.
func (t *Tier) Spec() string { return t.preset.Name + ":" + t.Name }

// SpendCap is a monthly spend limit that stops all requests when reached.
type SpendCap struct {
	USDPerMonth float64 `yaml:"usd_per_month"`
	Reset       *Reset  `yaml:"reset"`
	Error       string  `yaml:"error"` // the error template sent while the cap holds
	Provenance  `yaml:",inline"`
}

// PoolLimits are a tier's limits for one pool. Its source defaults to the tier's.
type PoolLimits struct {
	Limits     `yaml:",inline"`
	Provenance `yaml:",inline"`
}

// Limits are the rates of one budget; zero means the provider sets no such limit. Per-minute
// figures are per minute, per-day figures per day.
type Limits struct {
	RPM  int64 `yaml:"rpm,omitempty" json:"rpm,omitempty"`   // requests per minute
	RPD  int64 `yaml:"rpd,omitempty" json:"rpd,omitempty"`   // requests per day
	TPM  int64 `yaml:"tpm,omitempty" json:"tpm,omitempty"`   // tokens per minute, input and output combined
	ITPM int64 `yaml:"itpm,omitempty" json:"itpm,omitempty"` // input tokens per minute
	OTPM int64 `yaml:"otpm,omitempty" json:"otpm,omitempty"` // output tokens per minute
	TPD  int64 `yaml:"tpd,omitempty" json:"tpd,omitempty"`   // tokens per day, input and output combined
}

// Dimensions names the limit dimensions, in the order Limits lists them.
var Dimensions = []string{"rpm", "rpd", "tpm", "itpm", "otpm", "tpd"}

// Get returns the limit of dimension dim ("rpm", "itpm", …), 0 when unset or unknown.
func (l Limits) Get(dim string) int64 {
	switch dim {
	case "rpm":
		return l.RPM
	case "rpd":
		return l.RPD
	case "tpm":
		return l.TPM
	case "itpm":
		return l.ITPM
	case "otpm":
		return l.OTPM
	case "tpd":
		return l.TPD
	}
	return 0
}

// Set returns the dimensions that have a limit, in Dimensions order.
func (l Limits) Set() []string {
	var out []string
	for _, d := range Dimensions {
		if l.Get(d) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// Enforcement says how the limits of some dimensions are enforced.
type Enforcement struct {
	Dimensions []string `yaml:"dimensions"`
	// Algorithm is one of the mock's algorithms (token-bucket, fixed-window, …).
	Algorithm string `yaml:"algorithm"`
	// Window is the period a limit is stated over: 1m for per-minute, 24h for per-day.
	Window Duration `yaml:"window"`
	// Burst is a bucket's capacity as a duration of refill (1m: a full minute's limit).
	Burst Duration `yaml:"burst"`
	// EnforcedOver lists shorter periods the provider says it may enforce a limit over
	// (a 60 RPM limit as 1 request per second).
	EnforcedOver []Duration `yaml:"enforced_over"`
	// Reset is a calendar reset (Gemini's requests per day at midnight Pacific).
	Reset      *Reset `yaml:"reset"`
	Provenance `yaml:",inline"`
}

// Accounting says what counts against the limits.
type Accounting struct {
	Input    InputRule    `yaml:"input"`
	Output   OutputRule   `yaml:"output"`
	Rejected RejectedRule `yaml:"rejected"`
}

// InputRule says which prompt tokens count toward the input (or combined) token limits.
type InputRule struct {
	// Counts lists the usage kinds that count: input (uncached prompt tokens),
	// cache_creation (tokens written to the prompt cache) and cache_read.
	Counts     []string `yaml:"counts"`
	Estimate   string   `yaml:"estimate"` // how the provider estimates them at admission, in words
	Provenance `yaml:",inline"`
}

// OutputRule says how output tokens are charged.
type OutputRule struct {
	// Charge is "generated" (counted as produced), "reserved" (max_tokens reserved at
	// admission) or "none" (no limit counts output).
	Charge string `yaml:"charge"`
	// Settle applies to reserved output: "actual" when the reservation is replaced by the
	// tokens generated once the request ends, "reserved" when the reservation stands.
	Settle string `yaml:"settle"`
	// Burndown is how many quota tokens one output token costs (1 unless a class says more).
	Burndown   float64 `yaml:"burndown"`
	Provenance `yaml:",inline"`
}

// RejectedRule says whether a refused request still consumes quota.
type RejectedRule struct {
	Counted    bool `yaml:"counted"`
	Provenance `yaml:",inline"`
}

// Headers describes the rate-limit headers of successful and refused responses.
type Headers struct {
	Dialect string `yaml:"dialect"` // anthropic, openai, azure or none
	// Names lists the rate-limit headers sent, in the order the provider documents them.
	Names []string `yaml:"names"`
	// ResetFormat is how reset headers are written: rfc3339, go-duration, seconds or none.
	ResetFormat string `yaml:"reset_format"`
	// RemainingRounding is the unit token "remaining" values are rounded to (0: exact).
	RemainingRounding int64 `yaml:"remaining_rounding"`
	Provenance        `yaml:",inline"`
}

// RetryHint is one place a provider says how long to wait.
type RetryHint struct {
	// In is header, body (a JSON field; Name is a path like a.b[key=value].c) or message
	// (Name is a regular expression over error.message whose first group is the wait).
	In     string `yaml:"in"`
	Name   string `yaml:"name"`
	Format string `yaml:"format"` // seconds, milliseconds, http-date, go-duration or protobuf-duration
	// On lists the error templates that carry the hint.
	On         []string `yaml:"on"`
	Provenance `yaml:",inline"`
}

// ErrorTemplate is an error response of the provider with placeholders.
type ErrorTemplate struct {
	ID string `yaml:"id"`
	// Cause is what the error means: rate-limit, overloaded, capacity, model-not-ready,
	// spend-cap, insufficient-quota, daily-quota, request-too-large, missing-version or
	// invalid-version. The first template of a cause is the one to send.
	Cause string `yaml:"cause"`
	// Dimensions lists the limits whose exhaustion this template reports (empty: any).
	Dimensions []string `yaml:"dimensions"`
	Status     int      `yaml:"status"`
	// Terminal is true when retrying cannot succeed before a reset far beyond any retry
	// budget (a spend cap, a daily quota, a request larger than the limit).
	Terminal bool `yaml:"terminal"`
	// Headers are sent with the body; values may hold placeholders.
	Headers map[string]string `yaml:"headers"`
	// Body is the JSON body with {{placeholder}}s inside string literals.
	Body string `yaml:"body"`
	// Vars are default values of placeholders for this template.
	Vars       map[string]string `yaml:"vars"`
	Provenance `yaml:",inline"`
}

// Reset is a calendar instant a quota resets at.
type Reset struct {
	Every    string `yaml:"every"`     // day or month (the first of the month)
	At       string `yaml:"at"`        // HH:MM local time
	TimeZone string `yaml:"time_zone"` // IANA name: UTC, America/Los_Angeles
}

// Duration is a time.Duration written as Go writes it ("1m", "24h", "10s").
type Duration time.Duration

// DecodeYAML reads a Go duration string.
func (d *Duration) DecodeYAML(dec *strictyaml.Decoder, n *yaml.Node, path string) {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v <= 0 {
		dec.Fail(n, path, "%s is not a positive duration like 1s, 1m or 24h", strictyaml.Describe(n))
		return
	}
	*d = Duration(v)
}

// MarshalYAML writes the duration as Go does.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
