package accuracy

import (
	"fmt"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/presets"
)

// PresetModels are the model each provider preset's accuracy row requests: the models of the
// bundled preset scenarios.
var PresetModels = []struct{ Preset, Model string }{
	{"anthropic", "claude-sonnet-4-5"},
	{"openai", "gpt-4o-mini"},
	{"azure-openai", "gpt-4o"},
	{"gemini", "gemini-2.5-flash"},
	{"bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0"},
}

// Presets returns one case per provider preset: the requests limit of its default (lowest
// published) tier for the model's class, enforced as the preset says (its algorithm, the window
// or shorter enforcement period the mock uses, the header dialect, whether refusals count),
// derived from the preset data by presets.Apply, as `ratelab mock --preset` runs it. The
// rows score request discovery; the token accounting of each preset (pools, cache-aware
// ITPM, reservations, burndown) is not part of them, and the case's token limits are off.
func Presets() []Case {
	var out []Case
	for _, pm := range PresetModels {
		c, err := presetCase(pm.Preset, pm.Model)
		if err != nil {
			panic(err) // the bundled presets are validated when embedded; cannot happen
		}
		out = append(out, c)
	}
	return out
}

// presetCase is the case of model's class under the default tier of preset name.
func presetCase(name, model string) (Case, error) {
	var cfg account.Config
	if err := presets.Apply(&cfg, name); err != nil {
		return Case{}, err
	}
	i, _ := cfg.Provider.Classify(model)
	req := cfg.Provider.Classes[i].Limits.Requests
	if req.PerMinute == 0 {
		return Case{}, fmt.Errorf("preset %s: the class of %s has no requests limit", cfg.Preset, model)
	}
	return Case{
		Name:      fmt.Sprintf("preset/%s/%s/%d-per-min/%s", cfg.Preset, model, req.PerMinute, req.Window),
		Algorithm: req.Algorithm, RPM: req.PerMinute, Window: req.Window,
		Dialect: cfg.Dialect, CountRejected: cfg.CountRejected && countObservable(req.Algorithm),
	}, nil
}

// countObservable reports whether refusals that consume quota change what a limiter of
// algorithm alg admits. A fixed window's refusals land in a window already spent and are
// forgotten when it ends, so the mock admits exactly the same with or without counting them;
// a row under such a limit leaves the count off and expects no count-rejected sentence, which
// no evidence could support (Azure's 10-second windows).
func countObservable(alg limiter.Algorithm) bool {
	return alg != limiter.FixedWindow
}
