// Package probe is ratelab's live load engine. It drives requests at a target (the Anthropic
// Messages API, OpenAI chat completions, any HTTP endpoint, or the embedded mock) in open-model
// phases paced by a Pacer (constant, linear, k6-style stages) or closed-model phases of client
// fleets, runs every logical request through a backoff.Flow and its retry Policy, and streams one
// record.Attempt per HTTP attempt to attempts.jsonl, with its scheduled and actual send times and
// the parsed rate-limit headers of the response.
//
// The open model never waits for responses to schedule the next hit (no coordinated omission):
// when the in-flight cap binds, hits start late and are counted as late, and hits still unsent
// when the phase ends are counted as dropped. Pacers and policies are pure functions of the
// instant passed in; only the Engine's thin loops read the clock.
package probe
