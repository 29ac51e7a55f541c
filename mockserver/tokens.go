package mockserver

// A Messages (or count_tokens) request's input tokens are the sum of api.TokensOf over the
// system prompt (a string or each text block) and every message's text (string content, or each
// content block of type "text"), and at least 1. A chat completions request counts the same way
// over every message's text content and text parts. Other blocks (images, tools) count nothing.
// The probe relies on it: a prompt of 4N ASCII bytes in one user message counts exactly N input
// tokens.

// replyText is the text the mock answers with, repeated and cut to length. Any slice of it
// counts len/4 tokens under api.TokensOf, so a reply of N tokens is 4N bytes of it.
const replyText = "This is the ratelab mock. It answers every request with filler text of the requested length, " +
	"metered in tokens of four bytes, so that clients can rehearse rate limits, retries and backoff without a real model. "

// appendReply appends a reply of n tokens (4n bytes of replyText, repeated as needed) to dst.
// The text needs no JSON escaping.
func appendReply(dst []byte, n int64) []byte {
	size := 4 * n
	for size > 0 {
		k := min(size, int64(len(replyText)))
		dst = append(dst, replyText[:k]...)
		size -= k
	}
	return dst
}
