package planner

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/presets"
	"github.com/ratelab/ratelab/summary"
)

// LimitsFromRun returns the limits a run directory's summary.json inferred: per dimension the
// effective per-minute limit, else the advertised one, with its burst and algorithm when known.
// Dimensions the run did not see are off.
func LimitsFromRun(dir string) (account.Config, error) {
	cfg := offConfig()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return cfg, fmt.Errorf("--limits %s: %w (want a run directory with summary.json, a preset such as anthropic:tier-1, or the limit flags --rpm, --itpm, …)", dir, err)
	}
	var s summary.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return cfg, fmt.Errorf("--limits %s: summary.json: %v", dir, err)
	}
	found := false
	for _, l := range s.Limits {
		per := l.EffectivePerMinute
		if per == nil {
			per = l.AdvertisedPerMinute
		}
		if per == nil || *per <= 0 {
			continue
		}
		var dim *account.Limit
		switch l.Dimension {
		case "requests":
			dim = &cfg.Limits.Requests
		case "input_tokens":
			dim = &cfg.Limits.InputTokens
		case "output_tokens":
			dim = &cfg.Limits.OutputTokens
		case "tokens":
			dim = &cfg.Limits.Tokens
		default:
			continue
		}
		dim.PerMinute = int64(math.Round(*per))
		if l.Burst != nil && *l.Burst >= 1 {
			b := int64(math.Round(*l.Burst))
			dim.Burst = &b
		}
		if a := limiter.Algorithm(l.Algorithm); isAlgorithm(a) {
			dim.Algorithm = a
			if l.WindowSeconds != nil && *l.WindowSeconds > 0 {
				dim.Window = time.Duration(math.Round(*l.WindowSeconds * 1e9))
			}
		}
		found = true
	}
	if !found {
		return cfg, fmt.Errorf("--limits %s: summary.json names no per-minute limit (no effective or advertised figure)", dir)
	}
	return cfg, nil
}

// LimitsFromPreset returns a provider preset's limits for model (NAME or NAME:TIER, as
// presets.Lookup reads it), each a token bucket holding one minute's quota, as Anthropic
// documents its limits.
func LimitsFromPreset(spec, model string) (account.Config, string, error) {
	cfg := offConfig()
	tier, err := presets.Lookup(spec)
	if err != nil {
		return cfg, "", fmt.Errorf("--limits %s: %w", spec, err)
	}
	mc := tier.ClassFor(model)
	l := mc.Limits
	cfg.Algorithm = limiter.TokenBucket
	cfg.Limits.Requests.PerMinute = l.RPM
	cfg.Limits.InputTokens.PerMinute = l.ITPM
	cfg.Limits.OutputTokens.PerMinute = l.OTPM
	cfg.Limits.Tokens.PerMinute = l.TPM
	name := tier.Spec()
	if mc.Class != nil {
		name += " (" + mc.Pool + ")"
	}
	return cfg, name, nil
}

// offConfig is the mock's default configuration with every limit off.
func offConfig() account.Config {
	cfg := account.DefaultConfig()
	cfg.Limits = account.Limits{}
	return cfg
}

// isAlgorithm reports whether a names one of the limiter's algorithms.
func isAlgorithm(a limiter.Algorithm) bool {
	return slices.Contains(limiter.Algorithms, a)
}
