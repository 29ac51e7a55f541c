package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modulePath is the module every project import starts with.
const modulePath = "github.com/ratelab/ratelab"

// layerRule is one row of ARCHITECTURE.md's table: a package, its layer, the project packages
// it may import.
type layerRule struct {
	layer string
	may   []string // package paths relative to the module ("." for the command)
	any   bool     // "every package …" rows: the bench programs, the runner and the command
	but   []string // what an "every package" row excludes
}

var (
	rowRE     = regexp.MustCompile("^\\| `([^`]+)` \\| ([a-z]+) \\| (.*) \\|$")
	pkgNameRE = regexp.MustCompile("`([^`]+)`")
)

// readLayers parses the table of ARCHITECTURE.md: one row per package.
func readLayers(t *testing.T) map[string]layerRule {
	t.Helper()
	b, err := os.ReadFile("ARCHITECTURE.md")
	require.NoError(t, err)
	rules := map[string]layerRule{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		m := rowRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r := layerRule{layer: m[2]}
		cell := m[3]
		if strings.HasPrefix(cell, "every package") {
			r.any = true
			if _, but, ok := strings.Cut(cell, " but "); ok {
				for _, n := range pkgNameRE.FindAllStringSubmatch(but, -1) {
					r.but = append(r.but, n[1])
				}
			}
		} else {
			for _, n := range pkgNameRE.FindAllStringSubmatch(cell, -1) {
				r.may = append(r.may, n[1])
			}
		}
		rules[m[1]] = r
	}
	require.NotEmpty(t, rules, "ARCHITECTURE.md has no table of packages")
	return rules
}

// ruleOf finds the row of pkg: its own, or a "dir/..." row that covers it.
func ruleOf(rules map[string]layerRule, pkg string) (layerRule, bool) {
	if r, ok := rules[pkg]; ok {
		return r, true
	}
	for name, r := range rules {
		if dir, ok := strings.CutSuffix(name, "/..."); ok && (pkg == dir || strings.HasPrefix(pkg, dir+"/")) {
			return r, true
		}
	}
	return layerRule{}, false
}

// allows reports whether a package under r may import imp (its own imports, not its tests').
func (r layerRule) allows(imp string) bool {
	if r.any {
		return !slices.Contains(r.but, imp)
	}
	return slices.Contains(r.may, imp)
}

// goList returns, for every package of the module, its project imports of the given kind
// ("Imports", "TestImports" or "XTestImports"), relative to the module.
func goList(t *testing.T, field string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join ."+field+" \" \"}}", "./...")
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", out)
	pkgs := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		pkg := rel(f[0])
		pkgs[pkg] = nil
		for _, imp := range f[1:] {
			if imp == modulePath || strings.HasPrefix(imp, modulePath+"/") {
				pkgs[pkg] = append(pkgs[pkg], rel(imp))
			}
		}
	}
	return pkgs
}

func rel(importPath string) string {
	if importPath == modulePath {
		return "."
	}
	return strings.TrimPrefix(importPath, modulePath+"/")
}

// layerRank orders the layers: a package's tests may import any package of a lower layer.
var layerRank = map[string]int{
	"vocabulary": 0, "test": 0, "model": 1, "producer": 2, "consumer": 3, "description": 4,
	"harness": 5, "run": 6, "face": 7, "bench": 8,
}

// testArrows are arrows only tests draw that the layers do not allow, each with why it stays.
var testArrows = map[string]string{
	"sim -> mockserver": "the simulator's SDK test runs the official SDK against the HTTP mock to compare the two",
}

// exceptions are arrows that still run against the layers, each with the step that removes it.
// The list only shrinks.
var exceptions = map[string]string{}

// TestLayers: every package has a row in ARCHITECTURE.md and imports only what its row allows.
// Its tests may import, besides, any package of a lower layer and the test helpers; only the
// runner's, the command's and the benchmarks' tests import the runner or the command.
func TestLayers(t *testing.T) {
	rules := readLayers(t)
	layerOf := func(pkg string) string {
		r, _ := ruleOf(rules, pkg)
		return r.layer
	}
	for pkg, imps := range goList(t, "Imports") {
		r, ok := ruleOf(rules, pkg)
		if !assert.True(t, ok, "package %s has no row in ARCHITECTURE.md: place it in a layer", pkg) {
			continue
		}
		for _, imp := range imps {
			if _, ok := exceptions[pkg+" -> "+imp]; ok {
				continue
			}
			assert.True(t, r.allows(imp), "%s (%s) imports %s, which its row in ARCHITECTURE.md does not allow", pkg, r.layer, imp)
		}
	}
	for _, field := range []string{"TestImports", "XTestImports"} {
		for pkg, imps := range goList(t, field) {
			r, _ := ruleOf(rules, pkg)
			for _, imp := range imps {
				_, excepted := exceptions[pkg+" -> "+imp]
				if _, ok := testArrows[pkg+" -> "+imp]; ok {
					excepted = true
				}
				switch {
				case imp == pkg, excepted, r.allows(imp), layerOf(imp) == "test", layerOf(imp) == "harness" && layerRank[r.layer] >= layerRank["producer"]:
				case imp == "." || imp == "runner":
					assert.True(t, r.layer == "run" || r.layer == "face" || r.layer == "bench",
						"the tests of %s import %s: only the runner's, the command's and the benchmarks' tests may", pkg, imp)
				default:
					assert.Less(t, layerRank[layerOf(imp)], layerRank[r.layer],
						"the tests of %s (%s) import %s (%s), which is not below them", pkg, r.layer, imp, layerOf(imp))
				}
			}
		}
	}
	imports := goList(t, "Imports")
	tests, xtests := goList(t, "TestImports"), goList(t, "XTestImports")
	for arrow, step := range exceptions {
		pkg, imp, _ := strings.Cut(arrow, " -> ")
		still := slices.Contains(imports[pkg], imp) || slices.Contains(tests[pkg], imp) || slices.Contains(xtests[pkg], imp)
		assert.True(t, still, "%s no longer exists (removed by %s): drop it from exceptions", arrow, step)
	}
}

// TestFileSizes: no Go file is over 500 lines, tests included.
func TestFileSizes(t *testing.T) {
	require.NoError(t, filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n := bytes.Count(b, []byte("\n"))
		assert.LessOrEqual(t, n, 500, "%s has %d lines: split it by concern", p, n)
		return nil
	}))
}
