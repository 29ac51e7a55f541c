package report

import (
	"hash/fnv"
	"image/color"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/summary"
	"gonum.org/v1/plot/vg"
)

// strategyPalette is a fixed list of colours far from the white background, the black axes, the
// grey grid and one another (Okabe–Ito, then Tableau and Dark2 hues, darkened where a thin line
// would fade).
var strategyPalette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // 0 blue
	{0xD5, 0x5E, 0x00, 0xFF}, // 1 vermillion
	{0x00, 0x9E, 0x73, 0xFF}, // 2 bluish green
	{0xCC, 0x79, 0xA7, 0xFF}, // 3 reddish purple
	{0xE6, 0x9F, 0x00, 0xFF}, // 4 orange
	{0x56, 0xB4, 0xE9, 0xFF}, // 5 sky blue
	{0x7B, 0x3F, 0xA0, 0xFF}, // 6 purple
	{0x8C, 0x56, 0x4B, 0xFF}, // 7 brown
	{0x9A, 0x9A, 0x1E, 0xFF}, // 8 olive
	{0x17, 0xA0, 0xB0, 0xFF}, // 9 teal
	{0xC0, 0x28, 0x2B, 0xFF}, // 10 red
	{0x1F, 0x3A, 0x93, 0xFF}, // 11 navy
	{0x4D, 0x4D, 0x4D, 0xFF}, // 12 dark grey
	{0xE7, 0x29, 0x8A, 0xFF}, // 13 magenta
	{0x1B, 0x5E, 0x20, 0xFF}, // 14 dark green
	{0xA6, 0x76, 0x1D, 0xFF}, // 15 ochre
	{0x66, 0xA6, 0x1E, 0xFF}, // 16 lime green
	{0x70, 0x80, 0x90, 0xFF}, // 17 slate
}

// builtinColor gives every strategy of the registry (`ratelab compare --list`) a palette colour
// of its own, so that any of them compared together are told apart, and a strategy looks the
// same in every chart of every run.
var builtinColor = map[string]int{
	"anthropic-sdk": 0, "exponential": 1, "full-jitter": 2, "decorrelated-jitter": 3, "retry-after": 4,
	"openai-sdk": 5, "header-pacing": 6, "equal-jitter": 7, "additive-jitter": 8, "client-limiter": 9,
	"sre-adaptive": 11, "none": 12, "retry-budget": 13, "aimd": 14, "constant": 15,
	"openai-go-sdk": 10, "gemini-sdk": 16, "aws-sdk": 17,
}

// strategyColor derives a strategy's colour from its name alone: a registry strategy's own
// colour (an unknown name hashes into the palette), and a variant with parameters
// ("full-jitter(cap=60s)") a darker or lighter shade of it chosen by a hash of the parameters.
func strategyColor(name string) color.RGBA {
	base, params, _ := strings.Cut(name, "(")
	i, ok := builtinColor[base]
	if !ok {
		i = int(hash32(base) % uint32(len(strategyPalette)))
	}
	c := strategyPalette[i]
	if params == "" {
		return c
	}
	// Mix with black or white: 35% or 55% darker, 35% lighter.
	switch hash32(params) % 3 {
	case 0:
		return mix(c, color.RGBA{0, 0, 0, 0xFF}, 0.35)
	case 1:
		return mix(c, color.RGBA{0, 0, 0, 0xFF}, 0.55)
	default:
		return mix(c, color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}, 0.35)
	}
}

func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// mix returns a + f·(b − a) per channel, opaque.
func mix(a, b color.RGBA, f float64) color.RGBA {
	ch := func(x, y uint8) uint8 { return uint8(float64(x) + f*(float64(y)-float64(x)) + 0.5) }
	return color.RGBA{ch(a.R, b.R), ch(a.G, b.G), ch(a.B, b.B), 0xFF}
}

// tint is c faded towards white, for bands behind the data.
func tint(c color.RGBA, f float64) color.RGBA { return mix(c, color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}, 1-f) }

// dashPatterns tell apart entries of one strategy at different modes or client counts.
var dashPatterns = [][]vg.Length{
	nil,
	{vg.Points(8), vg.Points(4)},
	{vg.Points(2), vg.Points(3)},
	{vg.Points(10), vg.Points(3), vg.Points(2), vg.Points(3)},
}

// palette gives strategy names their colours and groups (mode and client count) their dashes.
type palette struct {
	names  []string
	groups []strategyGroup
}

func newPalette(s *summary.Summary) palette {
	var p palette
	for _, st := range s.Strategies {
		if !slices.Contains(p.names, st.Name) {
			p.names = append(p.names, st.Name)
		}
	}
	slices.Sort(p.names)
	p.groups = groups(s)
	return p
}

// color returns the strategy's colour (strategyColor).
func (p palette) color(name string) color.RGBA { return strategyColor(name) }

// dashes returns the dash pattern of the entry's group (mode and client count).
func (p palette) dashes(st *summary.Strategy) []vg.Length {
	i := slices.IndexFunc(p.groups, func(g strategyGroup) bool { return g.mode == st.Mode && g.clients == st.Clients })
	if i < 0 {
		i = 0
	}
	return dashPatterns[i%len(dashPatterns)]
}
