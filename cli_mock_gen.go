package main

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/account"
)

// genFlags are the mock's generation-time and stream-fault flags (account.Config's ttft,
// ttft_jitter, output_tps, output_tps_jitter, stream_*), shared by every command that embeds
// the mock.
type genFlags struct {
	ttft, ttftJitter     time.Duration
	tps, tpsJitter       float64
	errorRate, closeRate float64
	stallRate            float64
	stall                time.Duration
}

// genFlagNames lists the flags in the order --help shows them.
var genFlagNames = []string{"ttft", "ttft-jitter", "output-tps", "output-tps-jitter",
	"stream-error-rate", "stream-close-rate", "stream-stall-rate", "stream-stall"}

// genFlagOfField names the flag of a generation field: its name with dashes (ttft_jitter:
// --ttft-jitter); false when field is not one of them.
func genFlagOfField(field string) (string, bool) {
	name := strings.ReplaceAll(field, "_", "-")
	return name, slices.Contains(genFlagNames, name)
}

func (g *genFlags) add(fs *flagSet) {
	fs.DurationVar(&g.ttft, "ttft", 0, "time to first token of every messages and chat reply, streamed or not, e.g. 400ms (0: instant replies)")
	fs.DurationVar(&g.ttftJitter, "ttft-jitter", 0, "time to first token spread: uniform over ttft ± jitter")
	fs.Float64Var(&g.tps, "output-tps", 0, "output tokens generated per second after the first, e.g. 60 (0: all at once)")
	fs.Float64Var(&g.tpsJitter, "output-tps-jitter", 0, "output rate spread: uniform over output-tps ± jitter, per reply")
	fs.Float64Var(&g.errorRate, "stream-error-rate", 0, "fraction of streamed replies ended by an overloaded error event after some output, from 0 to 1")
	fs.Float64Var(&g.closeRate, "stream-close-rate", 0, "fraction of streamed replies whose connection is cut mid-stream, from 0 to 1")
	fs.Float64Var(&g.stallRate, "stream-stall-rate", 0, "fraction of streamed replies that stop sending for --stream-stall mid-stream, from 0 to 1")
	fs.DurationVar(&g.stall, "stream-stall", 0, "how long a stalled stream sends nothing before it goes on (0: until the client gives up)")
}

// apply copies the flags the user gave into cfg.
func (g *genFlags) apply(changed func(string) bool, cfg *account.Config) {
	setIfChanged(changed, "ttft", &cfg.TTFT, g.ttft)
	setIfChanged(changed, "ttft-jitter", &cfg.TTFTJitter, g.ttftJitter)
	setIfChanged(changed, "output-tps", &cfg.OutputTPS, g.tps)
	setIfChanged(changed, "output-tps-jitter", &cfg.OutputTPSJitter, g.tpsJitter)
	setIfChanged(changed, "stream-error-rate", &cfg.StreamErrorRate, g.errorRate)
	setIfChanged(changed, "stream-close-rate", &cfg.StreamCloseRate, g.closeRate)
	setIfChanged(changed, "stream-stall-rate", &cfg.StreamStallRate, g.stallRate)
	setIfChanged(changed, "stream-stall", &cfg.StreamStall, g.stall)
}

// generationSummary is the startup line about generation time and stream faults, "" when
// replies are instant and streams fault-free.
func generationSummary(cfg account.Config) string {
	var parts []string
	if cfg.TTFT > 0 || cfg.TTFTJitter > 0 {
		parts = append(parts, "time to first token "+cfg.TTFT.String()+plusMinus(cfg.TTFTJitter > 0, cfg.TTFTJitter.String()))
	}
	if cfg.OutputTPS > 0 {
		parts = append(parts, strconv.FormatFloat(cfg.OutputTPS, 'f', -1, 64)+plusMinus(cfg.OutputTPSJitter > 0, strconv.FormatFloat(cfg.OutputTPSJitter, 'f', -1, 64))+" output tokens/s")
	}
	for _, f := range []struct {
		rate float64
		what string
	}{{cfg.StreamErrorRate, "end with overloaded_error"}, {cfg.StreamCloseRate, "are cut off"}, {cfg.StreamStallRate, "stall"}} {
		if f.rate > 0 {
			parts = append(parts, strconv.FormatFloat(100*f.rate, 'f', -1, 64)+"% of streams "+f.what)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "generation: " + strings.Join(parts, ", ")
}

func plusMinus(on bool, v string) string {
	if !on {
		return ""
	}
	return " ± " + v
}
