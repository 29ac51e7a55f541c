package runner

import (
	"encoding/json"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/presets"
	"github.com/ratelab/ratelab/scenario"
)

// applyPreset resolves a scenario's mock.preset into cfg: the preset's rules, then the limits
// the mock: section writes itself, which override the preset's for every model class (as limit
// flags do with --preset).
func applyPreset(cfg *account.Config, m *scenario.Mock) error {
	if cfg.Preset == "" || cfg.Provider != nil {
		return nil
	}
	written := cfg.Limits
	rpd, tpd := cfg.RequestsPerDay, cfg.TokensPerDay
	if err := presets.Apply(cfg, cfg.Preset); err != nil {
		return &ConfigError{Field: "mock.preset", Value: cfg.Preset, Msg: err.Error()}
	}
	var section struct {
		Limits map[string]map[string]any `json:"limits"`
	}
	if b, err := m.MarshalJSON(); err == nil {
		_ = json.Unmarshal(b, &section)
	}
	for _, l := range []struct {
		field, dim string
		n          int64
		dst        *account.Limit
	}{{"tokens", "tpm", written.Tokens.PerMinute, &cfg.Limits.Tokens}, {"requests", "rpm", written.Requests.PerMinute, &cfg.Limits.Requests},
		{"input_tokens", "itpm", written.InputTokens.PerMinute, &cfg.Limits.InputTokens}, {"output_tokens", "otpm", written.OutputTokens.PerMinute, &cfg.Limits.OutputTokens}} {
		if _, ok := section.Limits[l.field]["per_minute"]; ok {
			l.dst.PerMinute = l.n
			presets.SetClassLimits(cfg, l.dim, l.n)
		}
	}
	cfg.RequestsPerDay, cfg.TokensPerDay = rpd, tpd
	return nil
}
