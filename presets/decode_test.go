package presets

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readMinimal(t testing.TB) string {
	data, err := os.ReadFile("testdata/minimal.yaml")
	require.NoError(t, err)
	return string(data)
}

func TestDecodeMinimal(t *testing.T) {
	p, err := Decode("minimal.yaml", []byte(readMinimal(t)))
	require.NoError(t, err)
	tier := p.DefaultTier()
	require.NotNil(t, tier)
	assert.Equal(t, "minimal:base", tier.Spec())
	mc := tier.ClassFor("small-2")
	assert.Equal(t, "small", mc.Name)
	assert.Equal(t, Limits{RPM: 60, ITPM: 1000, OTPM: 100}, mc.Limits)
	assert.Equal(t, 1.0, mc.OutputBurndown, "burndown defaults to 1")
	assert.Equal(t, []string{"input"}, mc.InputCounts, "a class takes the preset's input counts")
	assert.Equal(t, "docs", mc.Entry.Ref().ID, "a limits entry without a source takes the tier's")
}

// TestDecodeErrors breaks the minimal preset one way at a time. Each error must name the file,
// the line of the offending text (at, when given) and say what would be valid.
func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name     string
		old, new string // replace the first old with new; old "" appends new
		at       string // text in the broken file whose line the message must name
		want     []string
	}{
		{name: "unknown field in a tier", old: "    default: true\n", new: "    default: true\n    defualt_tier: x\n", at: "defualt_tier",
			want: []string{`unknown field "defualt_tier" in a tier (valid: name, description, default, legacy, spend_cap, limits, source, illustrative, unverified, note)`}},
		{name: "unknown top-level field", old: "summary:", new: "sumary: x\nsummary:", at: "sumary",
			want: []string{`unknown field "sumary" in the preset (valid: schema, name, provider, version, summary, sources,`}},
		{name: "unknown limit dimension", old: "otpm: 100}", new: "otpm: 100, rpn: 5}", at: "rpn",
			want: []string{`unknown field "rpn" in a tier's limits entry (valid: rpm, rpd, tpm, itpm, otpm, tpd, source,`}},
		{name: "source id misspelt", old: "  auth: x-api-key\n  source: docs", new: "  auth: x-api-key\n  source: doc", at: "source: doc\n",
			want: []string{`api.source: "doc" is not a source id (did you mean "docs"?) (sources: docs)`}},
		{name: "no default tier", old: "    default: true\n", new: "", at: "tiers:",
			want: []string{"tiers: 0 tiers are marked default: want exactly one, the lowest published tier"}},
		{name: "limits for an unknown pool", old: "      small: {rpm", new: "      smal: {rpm", at: "smal:",
			want: []string{`tiers[0].limits.smal: "smal" is not a class pool (did you mean "small"?) (pools: small)`, "the default tier has no limits for small"}},
		{name: "algorithm misspelt", old: "algorithm: token-bucket", new: "algorithm: token-buckets", at: "token-buckets",
			want: []string{`enforcement[0].algorithm: "token-buckets" is not one of token-bucket, leaky-bucket, fixed-window, sliding-log, sliding-window, gcra (did you mean "token-bucket"?)`}},
		{name: "duration not a duration", old: "window: 1m", new: "window: one minute", at: "one minute",
			want: []string{`"one minute" is not a positive duration like 1s, 1m or 24h`}},
		{name: "a dimension nobody enforces", old: "dimensions: [rpm, itpm, otpm]", new: "dimensions: [rpm, itpm]", at: "enforcement:",
			want: []string{"no entry says how otpm is enforced"}},
		{name: "placeholder misspelt", old: "{{model}}", new: "{{modle}}", at: "{{modle}}",
			want: []string{`{{modle}} is not a placeholder (did you mean "model"?)`}},
		{name: "body not JSON", old: `'{"error":{"message":"slow down, {{model}}"}}'`, new: `'{"error":'`, at: `'{"error":'`,
			want: []string{"errors[0].body: not valid JSON once rendered"}},
		{name: "hint its template does not carry", old: `      retry-after: "{{retry_after_s}}"`, new: `      x-wait: "{{retry_after_s}}"`, at: "on: [rate-limit]",
			want: []string{`retry_hints[0].on[0]: error template rate-limit does not carry this hint: no header "retry-after"`}},
		{name: "terminal cause not terminal", old: "cause: rate-limit", new: "cause: daily-quota", at: "- id: rate-limit",
			want: []string{"errors[0].terminal: cause daily-quota is terminal: set terminal: true"}},
		{name: "illustrative without a reason", old: "    default: true\n", new: "    default: true\n    illustrative: true\n", at: "- name: base",
			want: []string{"tiers[0].note: missing: an illustrative or unverified rule says why in a note"}},
		{name: "key given twice", old: "name: minimal\n", new: "name: minimal\nname: other\n", at: "name: other",
			want: []string{`mapping key "name" already defined at line 3`}},
		{name: "two documents", old: "", new: "---\nschema: x\n", want: []string{"more than one YAML document"}},
		{name: "syntax error", old: "summary: One class, one tier.", new: "summary: [unclosed", want: []string{"minimal.yaml:"}},
		{name: "version not a date", old: "version: 2026-12-07", new: "version: soon", at: "version: soon",
			want: []string{`version: "soon" is not a date like 2026-12-07`}},
		{name: "source checked after the version", old: "checked: 2026-12-07", new: "checked: 2027-01-02", at: "2027-01-02",
			want: []string{"2027-01-02 is after the preset's version 2026-12-07"}},
		{name: "prefix claimed twice", old: "    prefixes: [small-]\n    source: docs\n",
			new: "    prefixes: [small-]\n    source: docs\n  - name: big\n    description: Big\n    prefixes: [small-] # again\n    source: docs\n", at: "[small-] # again",
			want: []string{`"small-" is claimed by class small too`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := readMinimal(t)
			if c.old == "" {
				src += c.new
			} else {
				require.Contains(t, src, c.old)
				src = strings.Replace(src, c.old, c.new, 1)
			}
			_, err := Decode("minimal.yaml", []byte(src))
			require.Error(t, err)
			var perr *Error
			require.True(t, errors.As(err, &perr), "a *presets.Error, got %T", err)
			msg := err.Error()
			for _, w := range c.want {
				assert.Contains(t, msg, w)
			}
			if c.at != "" {
				i := strings.Index(src, c.at)
				require.GreaterOrEqual(t, i, 0)
				line := 1 + strings.Count(src[:i], "\n")
				assert.Contains(t, msg, fmt.Sprintf("minimal.yaml:%d:", line), "the message names the line of %q", c.at)
			}
		})
	}
}

func TestCapacityUnit(t *testing.T) {
	src := strings.NewReplacer(
		"    prefixes: [small-]\n", "    prefixes: [small-]\n    capacity_unit: {tpm: 1000, rpm: 6}\n",
		"small: {rpm: 60, itpm: 1000, otpm: 100}", "small: {rpm: 60, tpm: 1000}",
		"dimensions: [rpm, itpm, otpm]", "dimensions: [rpm, tpm]",
	).Replace(readMinimal(t))
	_, err := Decode("minimal.yaml", []byte(src))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tiers[0].limits.small.rpm: 60 RPM for 1000 TPM breaks class small's capacity unit (6 RPM per 1000 TPM): want 6")

	ok := strings.Replace(src, "small: {rpm: 60, tpm: 1000}", "small: {rpm: 6, tpm: 1000}", 1)
	p, err := Decode("minimal.yaml", []byte(ok))
	require.NoError(t, err)
	assert.InDelta(t, 6.0, p.Classes[0].CapacityUnit.RPMPer1000TPM(), 1e-9)

	flagged := strings.Replace(src, "small: {rpm: 60, tpm: 1000}", "small: {rpm: 60, tpm: 1000, unverified: true, note: as published}", 1)
	_, err = Decode("minimal.yaml", []byte(flagged))
	assert.NoError(t, err, "a published figure that breaks the ratio is kept when marked unverified")
}

func TestDecodeEmpty(t *testing.T) {
	_, err := Decode("empty.yaml", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "empty.yaml: empty file")
}

// FuzzDecode feeds the decoder arbitrary files: it must never panic, and whatever it accepts
// must be usable: every tier resolves, ClassFor answers, templates render to JSON.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(readMinimal(f)))
	for _, n := range Names() {
		data, err := files.ReadFile(n + ".yaml")
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("schema: ratelab/preset/v1\ntiers: [{limits: {a: }}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode("fuzz.yaml", data)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		for _, r := range p.Rules() {
			require.NotNil(t, r.Ref(), r.Path)
		}
		for i := range p.Tiers {
			tier, err := p.Tier(p.Tiers[i].Name)
			require.NoError(t, err)
			for _, m := range []string{"", "x", "small-1", strings.Repeat("a", 300)} {
				mc := tier.ClassFor(m)
				require.NotNil(t, mc.Class)
				require.NotNil(t, mc.Entry)
			}
		}
		for i := range p.Errors {
			e := &p.Errors[i]
			_, _, err := e.Render(e.sampleVars())
			require.NoError(t, err)
		}
	})
}
