package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// SizeKind is the form of a token-size distribution.
type SizeKind string

// The size distributions.
const (
	// SizeTrace gives each request the size its trace entry recorded (sizes stay paired with
	// arrivals: a burst of long prompts stays a burst of long prompts).
	SizeTrace SizeKind = "trace"
	// SizeEmpirical draws each request's size at random from the trace's recorded sizes.
	SizeEmpirical SizeKind = "empirical"
	SizeFixed     SizeKind = "fixed"
	SizeUniform   SizeKind = "uniform"
	// SizeLogNormal is exp(N(ln Median, Sigma²)), rounded to whole tokens.
	SizeLogNormal SizeKind = "lognormal"
)

// Size is a distribution of one token count (prompt, cache reads or output) over requests.
// The zero Size is SizeTrace.
type Size struct {
	Kind   SizeKind
	N      int64   // fixed
	Lo, Hi int64   // uniform, inclusive
	Median float64 // lognormal
	Sigma  float64 // lognormal
}

// sizeExample is the valid forms quoted by every size error.
const sizeExample = "trace, empirical, N (fixed), uniform:LO-HI, or lognormal:MEDIAN,SIGMA such as lognormal:400,0.8"

// ParseSize reads a size distribution: "trace", "empirical", "400" or "fixed:400",
// "uniform:100-800", "lognormal:400,0.8" (median tokens, sigma of the log).
func ParseSize(s string) (Size, error) {
	str := strings.ToLower(strings.TrimSpace(s))
	kind, arg, hasArg := strings.Cut(str, ":")
	bad := func(why string) (Size, error) {
		return Size{}, fmt.Errorf("invalid size %q: %s; want %s", s, why, sizeExample)
	}
	count := func(v string) (int64, bool) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil && n >= 0 && n <= maxTraceTokens
	}
	switch {
	case str == "" || str == string(SizeTrace):
		return Size{Kind: SizeTrace}, nil
	case str == string(SizeEmpirical):
		return Size{Kind: SizeEmpirical}, nil
	case !hasArg:
		if n, ok := count(str); ok {
			return Size{Kind: SizeFixed, N: n}, nil
		}
		return bad("not a distribution")
	case kind == string(SizeFixed):
		if n, ok := count(arg); ok {
			return Size{Kind: SizeFixed, N: n}, nil
		}
		return bad(fmt.Sprintf("%q is not a token count from 0 to %d", arg, maxTraceTokens))
	case kind == string(SizeUniform):
		lo, hi, ok := strings.Cut(arg, "-")
		l, okl := count(lo)
		h, okh := count(hi)
		if !ok || !okl || !okh || l > h {
			return bad("want two token counts LO-HI with LO ≤ HI")
		}
		return Size{Kind: SizeUniform, Lo: l, Hi: h}, nil
	case kind == string(SizeLogNormal) || kind == "log-normal":
		m, sg, ok := strings.Cut(arg, ",")
		med, errm := strconv.ParseFloat(strings.TrimSpace(m), 64)
		sig, errs := strconv.ParseFloat(strings.TrimSpace(sg), 64)
		if !ok || errm != nil || errs != nil || !(med > 0) || med > maxTraceTokens || !(sig >= 0) || sig > 10 {
			return bad("want a median > 0 tokens and a sigma from 0 to 10")
		}
		return Size{Kind: SizeLogNormal, Median: med, Sigma: sig}, nil
	}
	return bad(fmt.Sprintf("unknown distribution %q", kind))
}

// String writes the distribution as ParseSize reads it.
func (d Size) String() string {
	switch d.Kind {
	case SizeFixed:
		return strconv.FormatInt(d.N, 10)
	case SizeUniform:
		return fmt.Sprintf("uniform:%d-%d", d.Lo, d.Hi)
	case SizeLogNormal:
		return "lognormal:" + strconv.FormatFloat(d.Median, 'g', -1, 64) + "," + strconv.FormatFloat(d.Sigma, 'g', -1, 64)
	case SizeEmpirical:
		return string(SizeEmpirical)
	}
	return string(SizeTrace)
}

// draw returns request id's size: recorded is its trace entry's, col the trace's column.
func (d Size) draw(seed uint64, id int64, recorded int64, col []int64) int64 {
	switch d.Kind {
	case SizeFixed:
		return d.N
	case SizeUniform:
		return d.Lo + int64(uniformIndex(seed, uint64(id), int(d.Hi-d.Lo+1)))
	case SizeLogNormal:
		var pcg rand.PCG
		pcg.Seed(seed, uint64(id))
		z := rand.New(&pcg).NormFloat64()
		v := math.Round(d.Median * math.Exp(d.Sigma*z))
		return int64(min(max(v, 0), maxTraceTokens))
	case SizeEmpirical:
		if len(col) == 0 {
			return recorded
		}
		return col[uniformIndex(seed, uint64(id), len(col))]
	}
	return recorded
}

// uniformIndex returns a seeded index in [0, n) for item i.
func uniformIndex(seed, i uint64, n int) int {
	if n <= 1 {
		return 0
	}
	var pcg rand.PCG
	pcg.Seed(seed, i)
	return int(pcg.Uint64() % uint64(n))
}

// unitFloat returns a seeded number in [0, 1) for item i.
func unitFloat(seed, i uint64) float64 {
	var pcg rand.PCG
	pcg.Seed(seed, i)
	return float64(pcg.Uint64()>>11) / (1 << 53)
}
