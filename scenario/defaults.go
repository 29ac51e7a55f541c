package scenario

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/workload"
)

// The modes a compare phase runs in.
const (
	ModeLive = "live" // real HTTP in real time
	ModeSim  = "sim"  // the simulator, in virtual time, against the mock's limiter model
	ModeBoth = "both" // each strategy both ways, and how far they agree
)

// Modes lists the valid compare modes.
var Modes = []string{ModeLive, ModeSim, ModeBoth}

// Defaults, applied by SetDefaults to every field left zero.
const (
	DefaultSeed         int64 = 1
	DefaultPromptTokens int64 = workload.DefaultPromptTokens
	DefaultMaxTokens    int64 = workload.DefaultMaxTokens
	DefaultTimeout            = engine.DefaultTimeout
	DefaultStartRate    Rate  = "1/s"
	// DefaultMaxInflight is the engines' in-flight cap.
	DefaultMaxInflight = engine.DefaultMaxInflight
	DefaultClients     = 10
	DefaultRequests    = 10
	DefaultMode        = ModeLive
	// DefaultOutRoot is where output directories go: out/<name>.
	DefaultOutRoot = "out"
	// DefaultMockAPI is the API spoken to the embedded mock when target.api is not given.
	DefaultMockAPI = api.Anthropic
)

// SetDefaults fills every field left zero with its default. It is idempotent; Resolve calls it
// after validation.
func (s *Scenario) SetDefaults() {
	if s.Name == "" && s.src != nil {
		s.Name = strings.TrimSuffix(filepath.Base(s.src.file), filepath.Ext(s.src.file))
	}
	t := &s.Target
	a := s.api()
	t.API = string(a)
	if t.Model == "" && s.Mock != nil {
		t.Model = a.MockModel()
	}
	if t.KeyEnv == "" && s.Mock == nil {
		t.KeyEnv = a.KeyEnv()
	}
	if t.Method == "" {
		t.Method = "POST"
		if a == api.HTTP && t.Body == "" {
			t.Method = "GET"
		}
	}
	w := &s.Workload
	w.PromptTokens = or(w.PromptTokens, DefaultPromptTokens)
	w.MaxTokens = or(w.MaxTokens, DefaultMaxTokens)
	w.Timeout = or(w.Timeout, Duration(DefaultTimeout))
	if len(s.Phases) == 0 {
		s.Phases = []Phase{{Probe: &ProbePhase{}}}
	}
	for _, ph := range s.Phases {
		if p := ph.Probe; p != nil {
			if p.Rate == "" && len(p.Stages) == 0 {
				p.Find = true
			}
			if len(p.Stages) > 0 {
				p.StartRate = or(p.StartRate, DefaultStartRate)
			}
			p.MaxInflight = or(p.MaxInflight, DefaultMaxInflight)
			p.Mode = or(p.Mode, ModeLive)
		}
		if ph.Plan != nil {
			planDefaults(ph.Plan)
		}
		if c := ph.Compare; c != nil {
			if !c.Open() {
				if len(c.Clients) == 0 {
					c.Clients = Clients{DefaultClients}
				}
				c.Requests = or(c.Requests, DefaultRequests)
			}
			c.MaxInflight = or(c.MaxInflight, DefaultMaxInflight)
			c.Mode = or(c.Mode, DefaultMode)
			for i := range c.Strategies {
				c.Strategies[i].Label = or(c.Strategies[i].Label, c.Strategies[i].Name)
			}
		}
	}
	if s.Seed == 0 && s.src != nil && !s.given("seed") {
		s.Seed = DefaultSeed
	}
	if s.Output.Dir == "" && s.Name != "" {
		s.Output.Dir = filepath.Join(DefaultOutRoot, s.Name)
	}
}

// or returns v, or def when v is the zero value.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Overrides are command-line flags that take precedence over the file; nil means "not given"
// (set a field only when its flag was given: pflag's FlagSet.Changed).
type Overrides struct {
	Out          *string        // --out
	Seed         *int64         // --seed
	Quiet        *bool          // --quiet
	Yes          *bool          // --yes
	MaxRequests  *int64         // --max-requests
	MaxDuration  *time.Duration // --max-duration
	BudgetTokens *int64         // --budget-tokens
}

// Apply sets every given override on s. A negative budget is an *strictyaml.Error naming the flag.
func (s *Scenario) Apply(o Overrides) error {
	var problems []strictyaml.Problem
	for _, f := range []struct {
		name string
		v    *int64
	}{{"--max-requests", o.MaxRequests}, {"--budget-tokens", o.BudgetTokens}, {"--max-duration", (*int64)(o.MaxDuration)}} {
		if f.v != nil && *f.v < 0 {
			problems = append(problems, strictyaml.Problem{Path: f.name, Msg: "must not be negative (0 means no limit)"})
		}
	}
	if len(problems) > 0 {
		return &strictyaml.Error{Problems: problems}
	}
	if o.Out != nil {
		s.Output.Dir = *o.Out
	}
	if o.Seed != nil {
		s.Seed = *o.Seed
	}
	if o.Quiet != nil {
		s.Output.Quiet = *o.Quiet
	}
	if o.Yes != nil {
		s.Yes = *o.Yes
	}
	if o.MaxRequests != nil {
		s.Budget.MaxRequests = *o.MaxRequests
	}
	if o.MaxDuration != nil {
		s.Budget.MaxDuration = Duration(*o.MaxDuration)
	}
	if o.BudgetTokens != nil {
		s.Budget.BudgetTokens = *o.BudgetTokens
	}
	return nil
}
