package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ratelab/ratelab/presets"
)

const presetsAbout = `Lists the bundled provider presets (anthropic, openai, azure-openai, gemini, bedrock): each
provider's tiers, the default one first marked *, and the documentation pages its rules were read
from, with the date each was checked. Use one with ratelab mock --preset NAME[:TIER] (or mock.preset
in a scenario); presets/README.md explains the figures and their marks.`

// runPresets prints the preset listing.
func runPresets(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("presets", "ratelab presets [flags]", presetsAbout)
	asJSON := fs.Bool("json", false, "print the listing as JSON")
	fs.example("the presets, their tiers and sources", "ratelab presets")
	fs.example("serve OpenAI's Tier 2 rules", "ratelab mock --preset openai:tier-2")
	if err := parseFlagsNoArgs(env, fs, args); err != nil {
		return err
	}
	list, err := presets.List()
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s\n", b)
		return nil
	}
	for i, p := range list {
		if i > 0 {
			fmt.Fprintln(env.stdout)
		}
		var tiers []string
		for _, t := range p.Tiers {
			s := t.Name
			switch {
			case t.Default:
				s += "*"
			case t.Legacy:
				s += " (legacy)"
			}
			if t.Illustrative {
				s += " (illustrative)"
			}
			tiers = append(tiers, s)
		}
		fmt.Fprintf(env.stdout, "%s — %s (checked %s)\n", p.Name, p.Provider, p.Version)
		fmt.Fprintf(env.stdout, "  tiers: %s\n", strings.Join(tiers, ", "))
		fmt.Fprintf(env.stdout, "  sources:\n")
		for _, s := range p.Sources {
			fmt.Fprintf(env.stdout, "    %s  %s (%s, checked %s)\n", s.URL, s.Title, s.Kind, s.Checked)
		}
	}
	return nil
}
