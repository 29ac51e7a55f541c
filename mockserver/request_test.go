package mockserver

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCountTokens(t *testing.T) {
	tests := []struct {
		text string
		want int64
	}{
		{"", 0},
		{"a", 1},
		{"abcd", 1},
		{"abcde", 2},
		{"hello there", 3},
		{"héllo", 2}, // 6 bytes
		{strings.Repeat("x", 4000), 1000},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, api.TokensOf(len(tc.text)), "%q", tc.text)
	}
}

func TestReplyTextCountsItsTokens(t *testing.T) {
	for _, n := range []int64{0, 1, 16, 57, 1000, 8192} {
		text := string(appendReply(nil, n))
		assert.Equal(t, n, api.TokensOf(len(text)), "reply of %d tokens", n)
		assert.Equal(t, text, string(appendString(nil, text)[1:len(text)+1]), "the reply needs no escaping")
	}
}

func TestParseRequestValid(t *testing.T) {
	prompt := strings.Repeat("abcd", 1000) // the probe's prompt of N tokens: 4N ASCII bytes
	tests := []struct {
		name      string
		e         account.Endpoint
		body      string
		model     string
		maxTokens int64
		tokens    int64
	}{
		{"minimal", account.EndpointMessages, `{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}`, "claude-haiku-4-5", 16, 3},
		{"probe prompt", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"` + prompt + `"}]}`, "m", 1, 1000},
		{"system and blocks", account.EndpointMessages, `{
			"model": "m", "max_tokens": 5, "system": "abcd",
			"messages": [
				{"role": "user", "content": [{"type": "text", "text": "abcdefgh"}, {"type": "image", "source": {"type": "base64", "data": "AAAA"}}]},
				{"role": "assistant", "content": "abcde"},
				{"role": "user", "content": [{"text": "abc", "type": "text"}]}
			]}`, "m", 5, 1 + 2 + 2 + 1},
		{"system blocks", account.EndpointMessages, `{"model":"m","max_tokens":5,"system":[{"type":"text","text":"abcdefgh","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"a"}]}`, "m", 5, 3},
		{"escapes count decoded bytes", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"\u00e9\n\"\\\/\ud83d\ude00"}]}`, "m", 1, 3}, // 2+1+1+1+1+4 = 10 bytes
		{"final assistant may be empty", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":""}]}`, "m", 1, 1},
		{"at least one token", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}`, "m", 1, 1},
		{"integral float max_tokens", account.EndpointMessages, `{"model":"m","max_tokens":16.0,"messages":[{"role":"user","content":"x"}]}`, "m", 16, 1},
		{"unknown fields are skipped", account.EndpointMessages, `{"temperature":0.5,"tools":[{"name":"t","input_schema":{"type":"object","properties":{"a":[1,2,{"b":null}]}}}],"model":"m","max_tokens":3,"metadata":{"user_id":"u"},"stream":false,"messages":[{"role":"user","content":"abcd","extra":true}]}`, "m", 3, 1},
		{"escaped model echoed raw", account.EndpointMessages, `{"model":"a\"b","max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, `a\"b`, 1, 1},
		{"repeated keys: the last wins", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"abcdefghijkl"}],"messages":[{"role":"user","content":"a","content":"abcdefgh"}]}`, "m", 1, 2},
		{"count_tokens needs no max_tokens", account.EndpointCountTokens, `{"model":"m","messages":[{"role":"user","content":"abcdefgh"}]}`, "m", 0, 2},
		{"chat", account.EndpointChat, `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"abcd"},{"role":"user","content":[{"type":"text","text":"abcdefgh"},{"type":"image_url","image_url":{"url":"x"}}]},{"role":"assistant","content":null,"tool_calls":[]},{"role":"tool","content":"abcd","tool_call_id":"c"}],"max_completion_tokens":7}`, "gpt-4o-mini", 7, 4},
		{"chat without max_tokens", account.EndpointChat, `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":null}`, "m", 0, 1},
		{"chat ignores system field", account.EndpointChat, `{"model":"m","system":5,"messages":[{"role":"developer","content":"abcd"}]}`, "m", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, rerr := parseRequest([]byte(tc.body), tc.e)
			require.Nil(t, rerr, "%+v", rerr)
			assert.Equal(t, tc.model, string(req.model))
			assert.Equal(t, tc.maxTokens, req.maxTokens)
			assert.Equal(t, tc.maxTokens != 0, req.hasMaxTokens)
			assert.Equal(t, tc.tokens, req.inputTokens)
		})
	}
}

func TestModelString(t *testing.T) {
	req, rerr := parseRequest([]byte(`{"model":"gpt\u002d4\"o","messages":[{"role":"user","content":"x"}]}`), account.EndpointChat)
	require.Nil(t, rerr)
	assert.Equal(t, `gpt-4"o`, req.modelString())
}

func TestParseRequestErrors(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"x"}]`
	tests := []struct {
		name string
		e    account.Endpoint
		body string
		msg  string
		// OpenAI only
		param, code string
	}{
		// Syntax, reported as the API does: "The request body is not valid JSON: …".
		{"truncated", account.EndpointMessages, `{"model": `, "The request body is not valid JSON: Expecting value: line 1 column 11 (char 10)", "", ""},
		{"empty body", account.EndpointMessages, ``, "The request body is not valid JSON: Expecting value: line 1 column 1 (char 0)", "", ""},
		{"trailing comma", account.EndpointMessages, `{"model":"x",}`, "The request body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 14 (char 13)", "", ""},
		{"missing comma", account.EndpointMessages, `{"a":1 "b":2}`, "The request body is not valid JSON: Expecting ',' delimiter: line 1 column 8 (char 7)", "", ""},
		{"missing colon", account.EndpointMessages, `{"a" 1}`, "The request body is not valid JSON: Expecting ':' delimiter: line 1 column 6 (char 5)", "", ""},
		{"extra data", account.EndpointMessages, `{"model":"x"} x`, "The request body is not valid JSON: Extra data: line 1 column 15 (char 14)", "", ""},
		{"unterminated string", account.EndpointMessages, `{"model":"x`, "The request body is not valid JSON: Unterminated string starting at: line 1 column 10 (char 9)", "", ""},
		{"control character", account.EndpointMessages, "{\"model\":\"a\tb\"}", "The request body is not valid JSON: Invalid control character at: line 1 column 12 (char 11)", "", ""},
		{"bad escape", account.EndpointMessages, `{"model":"\x"}`, "The request body is not valid JSON: Invalid \\escape: line 1 column 11 (char 10)", "", ""},
		{"lone surrogate", account.EndpointMessages, `{"model":"\ud83d"}`, "The request body is not valid JSON: no low surrogate in string: line 1 column 11 (char 10)", "", ""},
		{"second line", account.EndpointMessages, "{\n  \"model\": ,\n}", "The request body is not valid JSON: Expecting value: line 2 column 12 (char 13)", "", ""},
		{"bad number", account.EndpointMessages, `{"max_tokens":1.}`, "The request body is not valid JSON: Expecting digit after '.': line 1 column 17 (char 16)", "", ""},
		{"too deep", account.EndpointMessages, `{"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, "The request body is not valid JSON: Maximum nesting depth exceeded: line 1 column 518 (char 517)", "", ""},
		{"syntax beats validation", account.EndpointMessages, `{"max_tokens":"x","model": }`, "The request body is not valid JSON: Expecting value: line 1 column 28 (char 27)", "", ""},
		// Validation, in the API's pydantic style.
		{"not an object", account.EndpointMessages, `[1]`, "Input should be a valid dictionary or object to extract fields from", "", ""},
		{"missing model", account.EndpointMessages, `{"max_tokens":1,` + msgs + `}`, "model: Field required", "", ""},
		{"missing max_tokens", account.EndpointMessages, `{"model":"m",` + msgs + `}`, "max_tokens: Field required", "", ""},
		{"missing messages", account.EndpointMessages, `{"model":"m","max_tokens":1}`, "messages: Field required", "", ""},
		{"model type", account.EndpointMessages, `{"model":5,"max_tokens":1,` + msgs + `}`, "model: Input should be a valid string", "", ""},
		{"max_tokens type", account.EndpointMessages, `{"model":"m","max_tokens":"16",` + msgs + `}`, "max_tokens: Input should be a valid integer", "", ""},
		{"max_tokens fraction", account.EndpointMessages, `{"model":"m","max_tokens":1.5,` + msgs + `}`, "max_tokens: Input should be a valid integer", "", ""},
		{"max_tokens zero", account.EndpointMessages, `{"model":"m","max_tokens":0,` + msgs + `}`, "max_tokens: Input should be greater than or equal to 1", "", ""},
		{"messages type", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":{}}`, "messages: Input should be a valid list", "", ""},
		{"messages empty", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[]}`, "messages: at least one message is required", "", ""},
		{"message type", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":["hi"]}`, "messages.0: Input should be a valid dictionary", "", ""},
		{"role", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}`, "messages.0.role: Input should be 'user' or 'assistant'", "", ""},
		{"role missing", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"content":"x"}]}`, "messages.0.role: Field required", "", ""},
		{"content missing", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}`, "messages.0.content: Field required", "", ""},
		{"content type", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":7}]}`, "messages.0.content: Input should be a valid list", "", ""},
		{"empty content", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":""},{"role":"assistant","content":"x"}]}`, "messages.0: all messages must have non-empty content except for the optional final assistant message", "", ""},
		{"empty final user content", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[]}]}`, "messages.0: all messages must have non-empty content except for the optional final assistant message", "", ""},
		{"block type missing", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"x"}]}]}`, "messages.0.content.0.type: Field required", "", ""},
		{"text missing", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text"}]}]}`, "messages.0.content.0.text: Field required", "", ""},
		{"role type", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":1,"content":"x"}]}`, "messages.0.role: Input should be a valid string", "", ""},
		{"block type type", account.EndpointMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":null,"text":"x"}]}]}`, "messages.0.content.0.type: Input should be a valid string", "", ""},
		{"system block text type", account.EndpointMessages, `{"model":"m","max_tokens":1,"system":[{"type":"text","text":5}],` + msgs + `}`, "system.0.text: Input should be a valid string", "", ""},
		{"system type", account.EndpointMessages, `{"model":"m","max_tokens":1,"system":1,` + msgs + `}`, "system: Input should be a valid string", "", ""},
		{"stream type", account.EndpointMessages, `{"model":"m","max_tokens":1,"stream":"yes",` + msgs + `}`, "stream: Input should be a valid boolean", "", ""},
		{"stream beats nothing: max_tokens still required", account.EndpointMessages, `{"model":"m","stream":true,` + msgs + `}`, "max_tokens: Field required", "", ""},
		{"count_tokens wants messages", account.EndpointCountTokens, `{"model":"m"}`, "messages: Field required", "", ""},
		// OpenAI's wording, param and code.
		{"chat syntax", account.EndpointChat, `{"model":`, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", "", ""},
		{"chat missing model", account.EndpointChat, `{` + msgs + `}`, "you must provide a model parameter", "", ""},
		{"chat missing messages", account.EndpointChat, `{"model":"m"}`, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"},
		{"chat empty messages", account.EndpointChat, `{"model":"m","messages":[]}`, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array"},
		{"chat role", account.EndpointChat, `{"model":"m","messages":[{"role":"robot","content":"x"}]}`, "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", "messages[0].role", "invalid_value"},
		{"chat role missing", account.EndpointChat, `{"model":"m","messages":[{"content":"x"},{"role":"user"}]}`, "Missing required parameter: 'messages[0].role'.", "messages[0].role", "missing_required_parameter"},
		{"chat max_tokens type", account.EndpointChat, `{"model":"m","max_tokens":"9",` + msgs + `}`, "Invalid type for 'max_tokens': expected an integer, but got a string instead.", "max_tokens", "invalid_type"},
		{"chat max_tokens minimum", account.EndpointChat, `{"model":"m","max_completion_tokens":0,` + msgs + `}`, "Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.", "max_completion_tokens", "integer_below_min_value"},
		{"chat messages type", account.EndpointChat, `{"model":"m","messages":"hi"}`, "Invalid type for 'messages': expected an array, but got a string instead.", "messages", "invalid_type"},
		{"chat stream_options without stream", account.EndpointChat, `{"model":"m","stream_options":{"include_usage":true},` + msgs + `}`, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", ""},
		{"chat stream_options type", account.EndpointChat, `{"model":"m","stream":true,"stream_options":true,` + msgs + `}`, "Invalid type for 'stream_options': expected an object, but got a boolean instead.", "stream_options", "invalid_type"},
		{"chat include_usage type", account.EndpointChat, `{"model":"m","stream":true,"stream_options":{"include_usage":"yes"},` + msgs + `}`, "Invalid type for 'stream_options.include_usage': expected a boolean, but got a string instead.", "stream_options.include_usage", "invalid_type"},
		{"chat part text type", account.EndpointChat, `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, "Invalid type for 'messages[0].content[0].text': expected a string, but got a number instead.", "messages[0].content[0].text", "invalid_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rerr := parseRequest([]byte(tc.body), tc.e)
			require.NotNil(t, rerr)
			assert.Equal(t, tc.msg, rerr.msg)
			assert.Equal(t, tc.param, rerr.param)
			assert.Equal(t, tc.code, rerr.code)
		})
	}
}

// refTokens is the reference estimator over a decoded body: CountTokens summed over the system
// prompt and the text of every message, at least 1.
func refTokens(t *testing.T, body []byte, e account.Endpoint) int64 {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc))
	blocks := func(v any) int64 {
		var n int64
		switch v := v.(type) {
		case string:
			n += api.TokensOf(len(v))
		case []any:
			for _, b := range v {
				if m, ok := b.(map[string]any); ok && m["type"] == "text" {
					n += api.TokensOf(len(m["text"].(string)))
				}
			}
		}
		return n
	}
	var n int64
	if e != account.EndpointChat {
		n += blocks(doc["system"])
	}
	for _, m := range doc["messages"].([]any) {
		n += blocks(m.(map[string]any)["content"])
	}
	return max(n, 1)
}

func FuzzParseRequest(f *testing.F) {
	seeds := []string{
		benchBody,
		`{"model":"m","max_tokens":5,"system":[{"type":"text","text":"abcdefgh"}],"messages":[{"role":"user","content":[{"type":"text","text":"x\u00e9"}]},{"role":"assistant","content":""}]}`,
		`{"model":"gpt","messages":[{"role":"system","content":"abcd"},{"role":"assistant","content":null}],"max_completion_tokens":7}`,
		`{"model": "m", "max_tokens": 1e2, "messages": [{"role": "user", "content": "\ud83d\ude00"}]}`,
		`{"a":[1,-2.5e-3,true,false,null,{"b":"c"}]}`,
		`{"model":"x",}`, `[`, `"`, `{"model":"\u12`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		valid := json.Valid(body)
		for _, e := range []account.Endpoint{account.EndpointMessages, account.EndpointCountTokens, account.EndpointChat} {
			req, rerr := parseRequest(body, e)
			syntax := rerr != nil && (strings.HasPrefix(rerr.msg, "The request body is not valid JSON") || strings.HasPrefix(rerr.msg, "We could not parse"))
			if !valid {
				require.True(t, syntax, "invalid JSON accepted (%s): %q", e, body)
				continue
			}
			if syntax {
				// Valid JSON the mock still refuses: lone surrogates and deep nesting, as the API.
				if e != account.EndpointChat {
					require.True(t, strings.Contains(rerr.msg, "surrogate") || strings.Contains(rerr.msg, "nesting"), "%s: %q", rerr.msg, body)
				}
				continue
			}
			if rerr != nil || !utf8.Valid(body) {
				continue // invalid UTF-8 decodes differently in encoding/json
			}
			require.Equal(t, refTokens(t, body, e), req.inputTokens, "%s: %q", e, body)
			require.GreaterOrEqual(t, req.inputTokens, int64(1))
		}
	})
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "nl\n cr\r tab\t bell\x07", "é ☃ 😀", "bad \xff utf8"} {
		got := appendString(nil, s)
		var back string
		require.NoError(t, json.Unmarshal(got, &back), "%s", got)
		want := strings.ToValidUTF8(s, "\uFFFD")
		assert.Equal(t, want, back)
	}
}
