package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./report -update")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test ./report -update", path)
}

func fixtureNames() []string {
	names := make([]string, 0, len(fixtures))
	for n := range fixtures {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func TestGolden(t *testing.T) {
	for _, name := range fixtureNames() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			f := fixtures[name]
			f.write(t, dir)
			s, err := generate(dir, Options{SkipCharts: true}, func(*record.Run) analyzer { return fixedInference{f.inferred} })
			require.NoError(t, err)
			js, err := os.ReadFile(filepath.Join(dir, SummaryFile))
			require.NoError(t, err)
			golden(t, name+".summary.json.golden", js)
			md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
			require.NoError(t, err)
			golden(t, name+".report.md.golden", md)
			var tables bytes.Buffer
			require.NoError(t, PrintTables(&tables, s))
			golden(t, name+".tables.golden", tables.Bytes())
			for i, line := range strings.Split(tables.String(), "\n") {
				assert.LessOrEqual(t, twwidth.Width(line), TerminalWidth, "table line %d wider than the terminal: %q", i+1, line)
			}
		})
	}
}
