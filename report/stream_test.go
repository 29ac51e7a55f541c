package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/record"
)

// TestStreamEqualsGenerate: a report built while the attempts are written (Stream fed by the
// recorder's tap) is byte-identical to one re-rendered from the log afterwards.
func TestStreamEqualsGenerate(t *testing.T) {
	for _, name := range fixtureNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			live := t.TempDir()
			var st *Stream
			fixtures[name].writeTapped(t, live, func(run *record.Run) func(*record.Attempt) {
				var err error
				st, err = NewStream(live, run, Options{SkipCharts: true})
				require.NoError(t, err)
				return st.Add
			})
			run, err := record.ReadRun(live)
			require.NoError(t, err)
			_, err = st.Finish(run)
			require.NoError(t, err)

			again := t.TempDir()
			for _, f := range []string{"run.json", record.AttemptsFile} {
				b, err := os.ReadFile(filepath.Join(live, f))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(again, f), b, 0o644))
			}
			_, err = Generate(again, Options{SkipCharts: true})
			require.NoError(t, err)
			for _, f := range []string{SummaryFile, MarkdownFile, CSVFile} {
				want, err := os.ReadFile(filepath.Join(again, f))
				require.NoError(t, err)
				got, err := os.ReadFile(filepath.Join(live, f))
				require.NoError(t, err)
				assert.True(t, bytes.Equal(want, got), "%s: streamed and re-rendered differ", f)
			}
		})
	}
}
