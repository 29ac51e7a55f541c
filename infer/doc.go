// Package infer works out, from attempt records alone, what limits a server really enforces:
// the advertised limit per dimension (from headers), the effective sustained rate with a
// confidence interval (from behaviour, and from how remaining refills where headers exist), the
// burst, the algorithm class, token accounting, and which dimension binds a workload first.
// Because it reads only records, `ratelab report` recomputes it exactly from attempts.jsonl.
//
// The replay loops that score a model against a series (swCell, swMismatch, fwMismatch, …) are
// marked //go:norace and //go:nocheckptr: each reads a series that nothing writes while it runs
// and keeps its state in locals (swCell in its search's own scratch buffer), so the race detector
// has nothing to find there, and its instrumentation made the analysis several times slower
// under `go test -race`.
package infer
