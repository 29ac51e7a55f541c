package report

import (
	"testing"

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

			assertRerender(t, live, Options{SkipCharts: true}, SummaryFile, MarkdownFile, CSVFile)
		})
	}
}
