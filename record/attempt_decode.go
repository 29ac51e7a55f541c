package record

import (
	"encoding/json"

	"github.com/ratelab/ratelab/ratelimit"
)

type limitJSON struct {
	Limit     *int64   `json:"limit"`
	Remaining *int64   `json:"remaining"`
	ResetS    *float64 `json:"reset_s"`
	ResetKind string   `json:"reset_kind"`
	WindowS   *float64 `json:"window_s"`
	Dialect   string   `json:"dialect"`
}

type attemptJSON struct {
	Run            string               `json:"run"`
	Mode           string               `json:"mode"`
	Strategy       string               `json:"strategy"`
	Phase          string               `json:"phase"`
	Fleet          int                  `json:"fleet"`
	Client         int                  `json:"client"`
	Request        int64                `json:"request"`
	Attempt        int                  `json:"attempt"`
	ScheduledS     float64              `json:"scheduled_s"`
	SentS          float64              `json:"sent_s"`
	LatencyMs      float64              `json:"latency_ms"`
	Status         int                  `json:"status"`
	Error          string               `json:"error"`
	ContentType    string               `json:"content_type"`
	InputTokens    int64                `json:"input_tokens"`
	OutputTokens   int64                `json:"output_tokens"`
	MaxTokens      int64                `json:"max_tokens"`
	RetryAfterS    *float64             `json:"retry_after_s"`
	ShouldRetry    *bool                `json:"should_retry"`
	Final          bool                 `json:"final"`
	GaveUp         string               `json:"gave_up"`
	ClientRejected bool                 `json:"client_rejected"`
	Limits         map[string]limitJSON `json:"limits"`
	ServerDateS    *float64             `json:"server_date_s"`
	Malformed      int                  `json:"malformed_headers"`
	Model          string               `json:"model"`
	ClientID       string               `json:"client_id"`
	Observed       bool                 `json:"observed"`
	Stream         bool                 `json:"stream"`
	TTFTMs         *float64             `json:"ttft_ms"`
	StreamMs       float64              `json:"stream_ms"`
	StreamEvents   int                  `json:"stream_events"`
	StreamError    string               `json:"stream_error"`
	RetryHintS     *float64             `json:"retry_hint_s"`
	Terminal       string               `json:"terminal"`
	CacheRead      int64                `json:"cache_read_input_tokens"`
	CacheCreation  int64                `json:"cache_creation_input_tokens"`
}

// UnmarshalJSON reads one attempts.jsonl object. Unknown dimensions and fields are ignored, so
// newer logs stay readable.
func (a *Attempt) UnmarshalJSON(data []byte) error {
	var j attemptJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*a = Attempt{
		Run: j.Run, Mode: j.Mode, Strategy: j.Strategy, Phase: j.Phase, Fleet: j.Fleet,
		Client: j.Client, Request: j.Request, Number: j.Attempt,
		Scheduled: secondsToDuration(j.ScheduledS), Sent: secondsToDuration(j.SentS),
		Latency: msToDuration(j.LatencyMs), Status: j.Status, Error: j.Error,
		ContentType: j.ContentType,
		InputTokens: j.InputTokens, OutputTokens: j.OutputTokens, MaxTokens: j.MaxTokens,
		Final: j.Final, GaveUp: j.GaveUp, ClientRejected: j.ClientRejected, MalformedHdrs: j.Malformed,
		Model: j.Model, ClientID: j.ClientID, Observed: j.Observed,
		Stream: j.Stream, StreamDuration: msToDuration(j.StreamMs), StreamEvents: j.StreamEvents, StreamError: j.StreamError,
		Terminal: j.Terminal, CacheReadTokens: j.CacheRead, CacheCreationTokens: j.CacheCreation,
	}
	if j.TTFTMs != nil {
		a.TTFT, a.HasTTFT = msToDuration(*j.TTFTMs), true
	}
	if j.RetryHintS != nil {
		a.RetryHint, a.HasRetryHint = secondsToDuration(*j.RetryHintS), true
	}
	if j.RetryAfterS != nil {
		a.RetryAfter, a.HasRetryAfter = secondsToDuration(*j.RetryAfterS), true
	}
	if j.ShouldRetry != nil {
		a.ShouldRetry = -1
		if *j.ShouldRetry {
			a.ShouldRetry = 1
		}
	}
	if j.ServerDateS != nil {
		a.ServerDate, a.HasServerDate = secondsToTime(*j.ServerDateS), true
	}
	// Dimensions in their fixed order, not the map's: when they name different dialects the
	// last one wins, the same on every read.
	for d := range ratelimit.Dimension(ratelimit.NumDimensions) {
		l, ok := j.Limits[d.String()]
		if !ok {
			continue
		}
		var s ratelimit.State
		if l.Limit != nil {
			s.Limit, s.Flags = *l.Limit, s.Flags|ratelimit.HasLimit
		}
		if l.Remaining != nil {
			s.Remaining, s.Flags = *l.Remaining, s.Flags|ratelimit.HasRemaining
		}
		if l.ResetS != nil {
			s.Reset, s.Flags = secondsToDuration(*l.ResetS), s.Flags|ratelimit.HasReset
			s.ResetKind = ratelimit.ParseResetKind(l.ResetKind)
		}
		if l.WindowS != nil {
			s.Window, s.Flags = secondsToDuration(*l.WindowS), s.Flags|ratelimit.HasWindow
		}
		a.Limits[d] = s
		if dl, ok := ratelimit.ParseDialect(l.Dialect); ok {
			a.Dialect = dl
		}
	}
	return nil
}
