package mockserver

import (
	"strconv"

	"github.com/ratelab/ratelab/account"
	"unicode/utf8"
)

// The response bodies are appended by hand: they are the hot path, and encoding/json's
// reflection would cost more than the rest of a request.

// appendString appends s as a JSON string, quotes included.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendMessage appends an Anthropic Message object, its id from cur. model is the request's
// model string as it appeared in the request (still JSON-escaped, so it is copied verbatim).
func appendMessage(dst []byte, cur *idCursor, ids *requestIDs, model []byte, rep *account.Reply, maxTokens int64) []byte {
	in, out := rep.InputTokens, rep.OutputTokens
	dst = append(dst, `{"id":"`...)
	dst = cur.appendID(dst, ids, "msg_")
	dst = append(dst, `","type":"message","role":"assistant","model":"`...)
	dst = append(dst, model...)
	dst = append(dst, `","content":[{"type":"text","text":"`...)
	dst = appendReply(dst, out)
	if out >= maxTokens {
		dst = append(dst, `"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":`...)
	} else {
		dst = append(dst, `"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":`...)
	}
	dst = strconv.AppendInt(dst, in, 10)
	dst = appendCacheUsage(dst, rep, true)
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, out, 10)
	return append(dst, `,"service_tier":"standard"}}`...)
}

// appendCacheUsage appends the prompt-cache fields of an Anthropic usage object, with the
// cache_creation breakdown by TTL when split (a message's usage has it, message_delta's not).
func appendCacheUsage(dst []byte, rep *account.Reply, split bool) []byte {
	dst = append(dst, `,"cache_creation_input_tokens":`...)
	dst = strconv.AppendInt(dst, rep.CacheCreation, 10)
	dst = append(dst, `,"cache_read_input_tokens":`...)
	dst = strconv.AppendInt(dst, rep.CacheRead, 10)
	if !split {
		return dst
	}
	dst = append(dst, `,"cache_creation":{"ephemeral_5m_input_tokens":`...)
	dst = strconv.AppendInt(dst, rep.CacheCreation-rep.CacheCreation1h, 10)
	dst = append(dst, `,"ephemeral_1h_input_tokens":`...)
	dst = strconv.AppendInt(dst, rep.CacheCreation1h, 10)
	return append(dst, '}')
}

// appendCountTokens appends the count_tokens answer {"input_tokens":N}.
func appendCountTokens(dst []byte, in int64) []byte {
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, in, 10)
	return append(dst, '}')
}

// appendAnthropicError appends {"type":"error","error":{"type":…,"message":…},"request_id":…}.
func appendAnthropicError(dst []byte, typ, msg, requestID string) []byte {
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = appendString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, msg)
	dst = append(dst, `},"request_id":`...)
	dst = appendString(dst, requestID)
	return append(dst, '}')
}

// appendChatCompletion appends an OpenAI chat.completion object, its id from cur.
func appendChatCompletion(dst []byte, cur *idCursor, ids *requestIDs, model []byte, created, in, out, maxTokens int64) []byte {
	dst = append(dst, `{"id":"`...)
	dst = cur.appendID(dst, ids, "chatcmpl-")
	dst = append(dst, `","object":"chat.completion","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"model":"`...)
	dst = append(dst, model...)
	dst = append(dst, `","choices":[{"index":0,"message":{"role":"assistant","content":"`...)
	dst = appendReply(dst, out)
	dst = append(dst, `","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"`...)
	if out >= maxTokens {
		dst = append(dst, "length"...)
	} else {
		dst = append(dst, "stop"...)
	}
	dst = append(dst, `"}],"usage":{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, in, 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, out, 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, in+out, 10)
	dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":null}`...)
	return dst
}

// appendOpenAIError appends {"error":{"message":…,"type":…,"param":…,"code":…}}; an empty
// param or code is null.
func appendOpenAIError(dst []byte, msg, typ, param, code string) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = appendString(dst, msg)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, typ)
	dst = append(dst, `,"param":`...)
	dst = appendNullable(dst, param)
	dst = append(dst, `,"code":`...)
	dst = appendNullable(dst, code)
	return append(dst, `}}`...)
}

func appendNullable(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendString(dst, s)
}

// appendProblem appends an RFC 9457 problem detail, the generic endpoint's error body. A
// 429 uses the IETF rate-limit draft's quota-exceeded problem type.
func appendProblem(dst []byte, status int, typ, detail string) []byte {
	dst = append(dst, `{"type":`...)
	if typ == "quota-exceeded" {
		dst = append(dst, `"https://iana.org/assignments/http-problem-types#quota-exceeded"`...)
	} else {
		dst = append(dst, `"about:blank"`...)
	}
	dst = append(dst, `,"title":`...)
	dst = appendString(dst, statusText(status))
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, `,"detail":`...)
	dst = appendString(dst, detail)
	return append(dst, '}')
}
