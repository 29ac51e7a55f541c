// Package report turns a run directory (run.json and attempts.jsonl) into everything a person
// reads or a program consumes: summary.json ("ratelab/summary/v1"), report.md with PNG charts,
// terminal tables and attempts.csv. It reads the attempt log in one streaming pass, so memory is
// bounded by the run's length in seconds and its number of strategies, not by its number of
// attempts, and the same inputs always give byte-identical summary.json and report.md: that is
// what lets `ratelab report DIR` re-render a run exactly.
package report
