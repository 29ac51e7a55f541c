// Package workload is what traffic looks like, as pure values: request rates and k6-style
// stages (Rate, ParseRate, Stage, ParseStages), the pacers that schedule open-model arrivals
// (Constant, Linear, Stages: Pace(elapsed, hits) in closed form, vegeta-style), and the size of
// each request (PromptSizes, the default max_tokens and prompt size). The live engine, the
// simulator, limit discovery and the scenario validation all read it. Nothing here reads a
// clock; time is passed in.
package workload
