package mockserver

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ratelab/ratelab/account"
)

// bedrockPath splits /model/{modelId}/{invoke|converse}; the model id may be URL-escaped
// (anthropic.claude-3-haiku-20240307-v1%3A0).
func bedrockPath(path string) (model, op string, ok bool) {
	rest, found := strings.CutPrefix(path, "/model/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", "", false
	}
	model, op = rest[:i], rest[i+1:]
	if m, err := url.PathUnescape(model); err == nil {
		model = m
	}
	return model, op, true
}

// bedrockError writes an AWS JSON error: x-amzn-ErrorType and {"message":…}.
func bedrockError(w http.ResponseWriter, status int, typ, msg, id string) {
	w.Header()["x-amzn-ErrorType"] = []string{typ + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}
	w.Header()["x-amzn-RequestId"] = []string{id}
	writeJSON(w, status, map[string]any{"message": msg})
}

// bedrock serves POST /model/{modelId}/invoke (the model's own body; Anthropic's Messages
// shape for Claude) and /model/{modelId}/converse. The mock accepts any SigV4 signature or
// bearer key; the access key id (or the key) names the account.
func (h *handler) bedrock(w http.ResponseWriter, r *http.Request, f *presetFront, model, op string) {
	sc := h.getScratch()
	defer h.putScratch(sc)
	id := sc.requestID(&h.m.ids)[0]
	if r.Method != http.MethodPost {
		h.m.ledger.CountUnkeyed(http.StatusMethodNotAllowed)
		bedrockError(w, http.StatusMethodNotAllowed, "ValidationException", "Method not allowed", id)
		return
	}
	switch op {
	case "invoke", "converse", "invoke-with-response-stream", "converse-stream":
	default:
		h.m.ledger.CountUnkeyed(http.StatusNotFound)
		bedrockError(w, http.StatusNotFound, "UnknownOperationException", "Unknown operation "+op, id)
		return
	}
	body, tooLarge, err := readBody(r, sc.in)
	sc.in = body[:0]
	if err != nil || tooLarge {
		h.m.ledger.CountUnkeyed(http.StatusBadRequest)
		bedrockError(w, http.StatusBadRequest, "ValidationException", "Could not read the request body", id)
		return
	}
	g, err := parseGeneric(body)
	if err != nil {
		h.m.ledger.CountUnkeyed(http.StatusBadRequest)
		bedrockError(w, http.StatusBadRequest, "ValidationException", "Malformed input request: "+err.Error(), id)
		return
	}
	if !g.hasMax {
		g.maxTokens = account.DefaultChatMaxTokens
	}
	call := account.Call{Key: awsKey(r), Endpoint: account.EndpointChat, Model: model, InputTokens: g.tokens, MaxTokens: g.maxTokens}
	rep, ok := h.presetCall(w, r, f, sc, &call)
	if !ok || !wait(r, rep.Gen.Duration()) { // the body goes out with the last token
		return
	}
	w.Header()["x-amzn-RequestId"] = []string{id}
	text := string(appendReply(nil, rep.OutputTokens))
	stop := "end_turn"
	if rep.OutputTokens >= call.MaxTokens {
		stop = "max_tokens"
	}
	if strings.HasPrefix(op, "converse") {
		writeJSON(w, http.StatusOK, map[string]any{
			"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": []any{map[string]any{"text": text}}}},
			"stopReason": stop,
			"usage":      map[string]any{"inputTokens": rep.InputTokens, "outputTokens": rep.OutputTokens, "totalTokens": rep.InputTokens + rep.OutputTokens},
			"metrics":    map[string]any{"latencyMs": rep.Latency.Milliseconds()},
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "msg_bdrk_" + id, "type": "message", "role": "assistant", "model": model,
		"content":     []any{map[string]any{"type": "text", "text": text}},
		"stop_reason": stop, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": rep.InputTokens, "output_tokens": rep.OutputTokens},
	})
}

// awsKey is the account a Bedrock request belongs to: the access key id of its SigV4
// Authorization header, else a bearer key.
func awsKey(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if _, rest, ok := strings.Cut(a, "Credential="); ok {
		id, _, _ := strings.Cut(rest, "/")
		return id
	}
	return apiKey(r)
}
