package report

import (
	"testing"

	"github.com/ratelab/ratelab/record"
)

// BenchmarkGenerate renders a compare run of about 20,000 attempts (3 strategies × 50 and 150
// clients × 20 requests) without charts, with a fixed inference: this package's own pass (decode,
// totals, strategies, CSV, summary, report.md), not infer's. The full 1,000,000-attempt
// figure, charts and inference included, comes from bench/report/run.sh.
func BenchmarkGenerate(b *testing.B) {
	f := fixtures["compare-sweep"]
	f.fleets, f.perClient, f.rate, f.burst = []int{50, 150}, 20, 50, 50
	dir := b.TempDir()
	f.write(b, dir)
	n := 0
	if err := record.ScanFile(dir, func(*record.Attempt) error { n++; return nil }); err != nil {
		b.Fatal(err)
	}
	fixed := func(*record.Run) analyzer { return fixedInference{f.inferred} }
	for b.Loop() {
		if _, err := generate(dir, Options{SkipCharts: true}, fixed); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/attempt")
}
