// Package infer works out, from attempt records alone, what limits a server really enforces:
// the advertised limit per dimension (from headers), the effective sustained rate with a
// confidence interval (from behaviour, and from how remaining refills where headers exist), the
// burst, the algorithm class, token accounting, and which dimension binds a workload first.
// Because it reads only records, `ratelab report` recomputes it exactly from attempts.jsonl.
package infer
