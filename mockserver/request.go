package mockserver

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/internal/jsonscan"
)

// apiRequest is what the mock needs from a request body.
type apiRequest struct {
	model        []byte // the model string's JSON content, still escaped
	hasMaxTokens bool
	maxTokens    int64
	inputTokens  int64 // CountTokens summed over the text, at least 1
	stream       bool  // "stream": true (messages and chat)
	includeUsage bool  // chat: "stream_options": {"include_usage": true}
	// sampling is the first of temperature, top_p and top_k in an Anthropic body: API version
	// 2026-10-21 refuses them.
	sampling string
}

// modelString returns the model name unescaped.
func (r *apiRequest) modelString() string {
	if !strings.ContainsRune(string(r.model), '\\') {
		return string(r.model)
	}
	var s string
	if err := json.Unmarshal(append(append([]byte{'"'}, r.model...), '"'), &s); err != nil {
		return string(r.model)
	}
	return s
}

// requestError is a 400 invalid_request_error with the provider's wording. param and code are
// OpenAI's fields ("" is null).
type requestError struct {
	msg   string
	param string
	code  string
}

// reqParser reads a Messages, count_tokens or chat completions body: the JSON syntax first (any
// syntax error wins, as the real APIs parse before they validate), then the fields, keeping the
// first validation error.
type reqParser struct {
	s        jsonscan.Scanner
	e        account.Endpoint
	openai   bool
	req      apiRequest
	hasModel bool
	hasMsgs  bool
	// Token counts of the system prompt and the messages; a repeated key replaces the earlier
	// value, as a JSON object's last duplicate wins.
	sysTokens, msgTokens int64
	sem                  *requestError
	hasStreamOptions     bool // chat: stream_options given, not null
}

// parseRequest reads a request body for endpoint e (messages, count_tokens or chat).
func parseRequest(body []byte, e account.Endpoint) (apiRequest, *requestError) {
	p := reqParser{e: e, openai: e == account.EndpointChat}
	p.s.Reset(body)
	p.top()
	if msg, _ := p.s.Err(); msg != "" {
		if p.openai {
			return p.req, &requestError{msg: "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"}
		}
		return p.req, &requestError{msg: "The request body is not valid JSON: " + msg + ": " + p.s.ErrorPosition()}
	}
	if p.sem != nil {
		return p.req, p.sem
	}
	switch {
	case !p.hasModel && p.openai:
		return p.req, &requestError{msg: "you must provide a model parameter"}
	case !p.hasModel:
		return p.req, p.missing("model")
	case !p.req.hasMaxTokens && e == account.EndpointMessages:
		return p.req, p.missing("max_tokens")
	case !p.hasMsgs:
		return p.req, p.missing("messages")
	case p.hasStreamOptions && !p.req.stream:
		return p.req, &requestError{msg: "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: "stream_options"}
	}
	if e == account.EndpointCountTokens {
		p.req.stream = false // count_tokens answers JSON whatever the body says
	}
	p.req.inputTokens = max(p.sysTokens+p.msgTokens, 1)
	return p.req, nil
}

// path renders a field path: messages.0.role (Anthropic) or messages[0].role (OpenAI).
func (p *reqParser) path(parts ...any) string {
	var b strings.Builder
	for i, part := range parts {
		switch v := part.(type) {
		case int:
			if p.openai {
				b.WriteString("[" + strconv.Itoa(v) + "]")
				continue
			}
			b.WriteString("." + strconv.Itoa(v))
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

func (p *reqParser) fail(e *requestError) {
	if p.sem == nil {
		p.sem = e
	}
}

func (p *reqParser) missing(parts ...any) *requestError {
	path := p.path(parts...)
	if p.openai {
		return &requestError{msg: "Missing required parameter: '" + path + "'.", param: path, code: "missing_required_parameter"}
	}
	return &requestError{msg: path + ": Field required"}
}

// badType records a value of the wrong JSON type (want: string, integer, list, object,
// boolean) and skips it.
func (p *reqParser) badType(want string, parts ...any) {
	if p.sem == nil {
		path := p.path(parts...)
		got := p.s.Kind()
		if p.openai {
			if want == "list" {
				want = "array"
			}
			p.sem = &requestError{msg: "Invalid type for '" + path + "': expected " + article(want) + ", but got " + article(got) + " instead.", param: path, code: "invalid_type"}
		} else {
			if want == "object" {
				want = "dictionary"
			}
			p.sem = &requestError{msg: path + ": Input should be a valid " + want}
		}
	}
	p.s.Skip()
}

func article(noun string) string {
	switch noun[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + noun
	}
	return "a " + noun
}

func (p *reqParser) top() {
	s := &p.s
	if s.Peek() != '{' {
		if s.Skip() && s.End() {
			if p.openai {
				p.fail(&requestError{msg: "Invalid type for body: expected an object, but got " + article(p.s.Kind()) + " instead.", code: "invalid_type"})
			} else {
				p.fail(&requestError{msg: "Input should be a valid dictionary or object to extract fields from"})
			}
		}
		return
	}
	for key := range s.Members() {
		switch string(key) {
		case "model":
			p.model()
		case "max_tokens":
			p.maxTokens("max_tokens")
		case "max_completion_tokens":
			if !p.openai {
				s.Skip()
				continue
			}
			p.maxTokens("max_completion_tokens")
		case "messages":
			p.messages()
		case "system":
			if p.openai {
				s.Skip()
				continue
			}
			p.sysTokens, _ = p.system("system")
		case "stream":
			p.boolean(&p.req.stream, "stream")
		case "stream_options":
			if !p.openai {
				s.Skip()
				continue
			}
			p.streamOptions()
		case "temperature", "top_p", "top_k":
			if !p.openai && p.req.sampling == "" {
				p.req.sampling = string(key)
			}
			s.Skip()
		default:
			s.Skip()
		}
	}
	s.End()
}

func (p *reqParser) model() {
	switch p.s.Peek() {
	case '"':
		p.req.model, _, _ = p.s.Str()
		p.hasModel = true
	case 'n':
		p.s.Skip() // null: as if absent
	default:
		p.badType("string", "model")
	}
}

func (p *reqParser) maxTokens(name string) {
	s := &p.s
	switch c := s.Peek(); {
	case c == '-' || c >= '0' && c <= '9':
		text, ok := s.Number()
		if !ok {
			return
		}
		v, ok := jsonscan.WholeNumber(text)
		switch {
		case !ok && p.openai:
			p.fail(&requestError{msg: "Invalid type for '" + name + "': expected an integer, but got a decimal number instead.", param: name, code: "invalid_type"})
		case !ok:
			p.fail(&requestError{msg: name + ": Input should be a valid integer"})
		case v < 1 && p.openai:
			p.fail(&requestError{msg: "Invalid '" + name + "': integer below minimum value. Expected a value >= 1, but got " + strconv.FormatInt(v, 10) + " instead.", param: name, code: "integer_below_min_value"})
		case v < 1:
			p.fail(&requestError{msg: name + ": Input should be greater than or equal to 1"})
		default:
			p.req.maxTokens, p.req.hasMaxTokens = v, true
		}
	case c == 'n' && p.openai:
		s.Skip()
	default:
		p.badType("integer", name)
	}
}

// boolean reads true, false or null (false) into *dst, or records a value of another type at
// the field path parts.
func (p *reqParser) boolean(dst *bool, parts ...any) {
	switch p.s.Peek() {
	case 't', 'f', 'n':
		*dst, _ = p.s.Bool()
	default:
		p.badType("boolean", parts...)
	}
}

// str reads the string value of field in parts[i] (messages.0.role, system.1.text), or
// records a value of another type there and reports false.
func (p *reqParser) str(parts []any, i int, field string) (raw []byte, n int, ok bool) {
	if p.s.Peek() != '"' {
		p.badType("string", append(parts[:len(parts):len(parts)], i, field)...)
		return nil, 0, false
	}
	return p.s.Str()
}

// system reads the system prompt, a string or a list of text blocks, and returns its tokens.
func (p *reqParser) system(parts ...any) (int64, bool) {
	switch p.s.Peek() {
	case '"':
		_, n, _ := p.s.Str()
		return api.TokensOf(n), n > 0
	case '[':
		return p.blocks(parts...)
	default:
		p.badType("string", parts...)
		return 0, false
	}
}

// messagesPath is the path of the messages list, which str extends with an index and a field.
var messagesPath = []any{"messages"}

var anthropicRoles = []string{"user", "assistant"}
var openAIRoles = []string{"system", "assistant", "user", "function", "tool", "developer"}

func (p *reqParser) messages() {
	s := &p.s
	if s.Peek() != '[' {
		p.badType("list", "messages")
		return
	}
	p.hasMsgs = true
	s.BeginArray()
	n, firstEmpty, emptyRole, tokens := 0, -1, "", int64(0)
	for first := true; s.NextElem(&first); n++ {
		if s.Peek() != '{' {
			p.badType("object", "messages", n)
			continue
		}
		role, nonEmpty, t := p.message(n)
		tokens += t
		if !nonEmpty && firstEmpty < 0 {
			firstEmpty, emptyRole = n, role
		}
	}
	if s.Failed() {
		return
	}
	p.msgTokens = tokens
	switch {
	case n == 0 && p.openai:
		p.fail(&requestError{msg: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: "messages", code: "empty_array"})
	case n == 0:
		p.fail(&requestError{msg: "messages: at least one message is required"})
	case !p.openai && firstEmpty >= 0 && (firstEmpty != n-1 || emptyRole != "assistant"):
		p.fail(&requestError{msg: "messages." + strconv.Itoa(firstEmpty) + ": all messages must have non-empty content except for the optional final assistant message"})
	}
}

// message reads messages[i] and returns its role, whether its content had any text or block,
// and its tokens.
func (p *reqParser) message(i int) (role string, nonEmpty bool, tokens int64) {
	s := &p.s
	hasRole, hasContent := false, false
	for key := range s.Members() {
		switch string(key) {
		case "role":
			if raw, _, ok := p.str(messagesPath, i, "role"); ok {
				hasRole = true
				role = p.checkRole(raw, i)
			}
		case "content":
			hasContent, tokens, nonEmpty = true, 0, false
			switch s.Peek() {
			case '"':
				_, n, _ := s.Str()
				tokens, nonEmpty = api.TokensOf(n), n > 0
			case '[':
				tokens, nonEmpty = p.blocks("messages", i, "content")
			case 'n':
				if !p.openai {
					p.badType("list", "messages", i, "content")
					continue
				}
				s.Skip()
			default:
				p.badType("list", "messages", i, "content")
			}
		default:
			s.Skip()
		}
	}
	if s.Failed() {
		return role, true, 0
	}
	if !hasRole {
		p.fail(p.missing("messages", i, "role"))
	}
	if !hasContent && !p.openai {
		p.fail(p.missing("messages", i, "content"))
		return role, true, 0
	}
	return role, nonEmpty || p.openai, tokens
}

// checkRole validates a role value and returns it (interned, so no allocation).
func (p *reqParser) checkRole(raw []byte, i int) string {
	roles := anthropicRoles
	if p.openai {
		roles = openAIRoles
	}
	for _, r := range roles {
		if string(raw) == r {
			return r
		}
	}
	path := p.path("messages", i, "role")
	if p.openai {
		p.fail(&requestError{msg: "Invalid value: '" + string(raw) + "'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", param: path, code: "invalid_value"})
	} else {
		p.fail(&requestError{msg: path + ": Input should be 'user' or 'assistant'"})
	}
	return ""
}

// blocks reads a list of content blocks and returns the tokens of the text of each
// {"type":"text","text":…} and whether the list had any block.
func (p *reqParser) blocks(parts ...any) (tokens int64, nonEmpty bool) {
	s := &p.s
	s.BeginArray()
	n := 0
	for first := true; s.NextElem(&first); n++ {
		if s.Peek() != '{' {
			p.badType("object", append(parts, n)...)
			continue
		}
		var typ []byte
		hasType, hasText, textLen := false, false, 0
		for key := range s.Members() {
			switch string(key) {
			case "type":
				typ, _, hasType = p.str(parts, n, "type")
			case "text":
				_, textLen, hasText = p.str(parts, n, "text")
			default:
				s.Skip()
			}
		}
		if s.Failed() {
			return 0, true
		}
		switch {
		case !hasType:
			p.fail(p.missing(append(parts, n, "type")...))
		case string(typ) == "text" && !hasText:
			p.fail(p.missing(append(parts, n, "text")...))
		case string(typ) == "text":
			tokens += api.TokensOf(textLen)
		}
	}
	return tokens, n > 0
}

// streamOptions reads chat's stream_options: an object whose include_usage asks for the usage
// chunk; null is as if absent.
func (p *reqParser) streamOptions() {
	s := &p.s
	switch s.Peek() {
	case 'n':
		s.Skip()
		return
	case '{':
	default:
		p.badType("object", "stream_options")
		return
	}
	p.hasStreamOptions = true
	for key := range s.Members() {
		if string(key) != "include_usage" {
			s.Skip()
			continue
		}
		p.boolean(&p.req.includeUsage, "stream_options", "include_usage")
	}
}
