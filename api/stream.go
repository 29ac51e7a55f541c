package api

import (
	"bytes"

	"github.com/tidwall/gjson"
)

// Kinds of a stream that failed after its 2xx status, besides the error type an error event
// names ("overloaded_error", "api_error", "server_error", …). They are the record's
// stream_error values.
const (
	// StreamClosed: the body ended, cleanly or cut off, before the stream's final event
	// (message_stop, data: [DONE]).
	StreamClosed = "closed"
	// StreamStalled: no byte arrived for longer than the reader's idle timeout.
	StreamStalled = "stalled"
	// StreamTimeout: the attempt's whole-request timeout ended the stream.
	StreamTimeout = "timeout"
	// StreamMalformed: a line longer than MaxStreamLine, or an event whose data is not JSON.
	StreamMalformed = "malformed"
	// StreamError is the kind of an error event that names no type.
	StreamError = "error"
)

// MaxStreamLine bounds one line of an event stream (1 MiB); a longer one ends the stream as
// malformed, so a reader's memory stays bounded whatever the server sends.
const MaxStreamLine = 1 << 20

// Stream reads a server-sent event stream of a as it arrives, one Write per chunk read from
// the body, with no goroutine and memory bounded by the longest line: it counts the events and
// the content deltas, keeps the usage the stream reports and notes how it ended. It parses as
// the official SDKs do (anthropic-sdk-go and openai-go ssestream): an event is dispatched at a
// blank line, one space after the colon is dropped, comments and unknown fields are ignored, a
// pending event at the end of the body without its blank line is dropped. Anthropic events
// are read by their event name (nameless ones are skipped, as the SDKs skip them); OpenAI
// chunks by their data, ending at data: [DONE]. Bytes after the final event or an error event
// are ignored. The zero Stream is not usable; call NewStream or Reset.
type Stream struct {
	api  API
	line []byte // a line cut by the end of a chunk
	name []byte // the pending event's name
	data []byte // the pending event's data, lines joined by '\n'
	has  bool   // the pending event has a field
	over bool   // the final event, an error or a malformed line was read

	// Events counts the events dispatched, pings included.
	Events int
	// Deltas counts the events that carried content (text, tool input, thinking, refusal).
	Deltas int
	// InputTokens and OutputTokens are the usage the stream reported so far (Anthropic's
	// message_start, then message_delta's cumulative counts; OpenAI's final usage chunk).
	InputTokens, OutputTokens int64
	// Done is true once the stream's final event arrived (message_stop, [DONE]).
	Done bool
	// Error is the type of an error event ("overloaded_error"), or StreamMalformed.
	Error string
	// ErrorMessage is the error event's message.
	ErrorMessage string
}

// NewStream returns a reader of a stream of a.
func NewStream(a API) *Stream {
	s := new(Stream)
	s.Reset(a)
	return s
}

// Reset readies s for a new stream of a, keeping its buffers.
func (s *Stream) Reset(a API) {
	*s = Stream{api: a, line: s.line[:0], name: s.name[:0], data: s.data[:0]}
}

// Over reports whether the stream has ended (final event, error event or malformed line):
// nothing more it receives counts.
func (s *Stream) Over() bool { return s.over }

// Write reads the next bytes of the body. It never fails: what goes wrong is the stream's
// outcome (Failure), not an I/O error.
func (s *Stream) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !s.over {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(s.line)+len(p) > MaxStreamLine {
				s.malformed()
				break
			}
			s.line = append(s.line, p...)
			break
		}
		line := p[:i]
		if len(s.line) > 0 {
			if len(s.line)+len(line) > MaxStreamLine {
				s.malformed()
				break
			}
			s.line = append(s.line, line...)
			line = s.line
		}
		p = p[i+1:]
		s.field(bytes.TrimSuffix(line, []byte{'\r'}))
		s.line = s.line[:0]
	}
	return n, nil
}

// Failure is how the stream failed, read once its body has ended: the error event's type,
// StreamMalformed, StreamClosed when the final event never came, or "" when it completed. A
// stream of the http API has no final event: it completes when its body ends.
func (s *Stream) Failure() string {
	switch {
	case s.Error != "":
		return s.Error
	case s.Done || (s.api != Anthropic && s.api != OpenAI):
		return ""
	}
	return StreamClosed
}

func (s *Stream) malformed() {
	s.over, s.Error = true, StreamMalformed
}

// field reads one line of the stream.
func (s *Stream) field(line []byte) {
	if len(line) == 0 {
		s.dispatch()
		return
	}
	name, value, _ := bytes.Cut(line, []byte{':'})
	value = bytes.TrimPrefix(value, []byte{' '})
	switch string(name) {
	case "": // a comment
	case "event":
		s.name, s.has = append(s.name[:0], value...), true
	case "data":
		s.data, s.has = append(append(s.data, value...), '\n'), true
	}
}

// dispatch ends the pending event at a blank line.
func (s *Stream) dispatch() {
	if !s.has {
		return
	}
	name, data := s.name, bytes.TrimSuffix(s.data, []byte{'\n'})
	s.Events++
	switch s.api {
	case Anthropic:
		s.anthropic(string(name), data)
	case OpenAI:
		s.openai(data)
	default:
		if len(data) > 0 {
			s.Deltas++
		}
	}
	s.name, s.data, s.has = s.name[:0], s.data[:0], false
}

// anthropic reads one event of the Messages stream.
func (s *Stream) anthropic(name string, data []byte) {
	switch name {
	case "", "ping":
		return
	case "message_stop":
		s.Done, s.over = true, true
		return
	}
	if !gjson.ValidBytes(data) {
		s.malformed()
		return
	}
	switch name {
	case "error":
		s.fail(gjson.GetBytes(data, "error"))
	case "message_start":
		s.usage(gjson.GetBytes(data, "message.usage"), "input_tokens", "output_tokens")
	case "message_delta":
		s.usage(gjson.GetBytes(data, "usage"), "input_tokens", "output_tokens")
	case "content_block_delta":
		d := gjson.GetBytes(data, "delta")
		for _, k := range [...]string{"text", "partial_json", "thinking"} {
			if v := d.Get(k); v.Type == gjson.String && v.Str != "" {
				s.Deltas++
				return
			}
		}
	}
}

// openai reads one chunk of a chat completions stream.
func (s *Stream) openai(data []byte) {
	if bytes.HasPrefix(data, []byte("[DONE]")) {
		s.Done, s.over = true, true
		return
	}
	if len(data) == 0 {
		return
	}
	if !gjson.ValidBytes(data) {
		s.malformed()
		return
	}
	root := gjson.ParseBytes(data)
	if e := root.Get("error"); e.Exists() && e.Type != gjson.Null {
		s.fail(e)
		return
	}
	s.usage(root.Get("usage"), "prompt_tokens", "completion_tokens")
	content := false
	root.Get("choices").ForEach(func(_, c gjson.Result) bool {
		d := c.Get("delta")
		if v := d.Get("content"); v.Type == gjson.String && v.Str != "" {
			content = true
		} else if v := d.Get("refusal"); v.Type == gjson.String && v.Str != "" {
			content = true
		} else if d.Get("tool_calls").IsArray() {
			content = true
		}
		return !content
	})
	if content {
		s.Deltas++
	}
}

// usage overwrites the counts the usage object u carries (they are cumulative).
func (s *Stream) usage(u gjson.Result, in, out string) {
	if !u.IsObject() {
		return
	}
	if v := u.Get(in); v.Exists() {
		s.InputTokens = usageCount(v)
	}
	if v := u.Get(out); v.Exists() {
		s.OutputTokens = usageCount(v)
	}
}

// fail ends the stream with the error object e.
func (s *Stream) fail(e gjson.Result) {
	s.over, s.Error = true, StreamError
	if t := e.Get("type"); t.Type == gjson.String && t.Str != "" {
		s.Error = clip(t.Str, 40)
	}
	s.ErrorMessage = clip(e.Get("message").String(), maxErrorRunes)
}

// StreamFields returns the members a streamed request of a adds to its JSON body, each
// followed by a comma: "stream":true, and for openai stream_options.include_usage, without
// which the stream reports no usage. It is "" for http.
func StreamFields(a API) string {
	switch a {
	case Anthropic:
		return `"stream":true,`
	case OpenAI:
		return `"stream":true,"stream_options":{"include_usage":true},`
	}
	return ""
}
