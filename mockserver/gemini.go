package mockserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
)

// genericBody is what the preset endpoints need from a JSON body of any provider: the prompt's
// tokens (every string under a "text" key, or a string "content"), and the output cap.
type genericBody struct {
	tokens    int64
	maxTokens int64
	hasMax    bool
}

// parseGeneric reads a Gemini, Bedrock or Azure body; err is not nil when it is not a JSON
// object.
func parseGeneric(body []byte) (genericBody, error) {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return genericBody{}, err
	}
	var g genericBody
	var walk func(key string, x any)
	walk = func(key string, x any) {
		switch x := x.(type) {
		case string:
			if key == "text" || key == "content" {
				g.tokens += api.TokensOf(len(x))
			}
		case float64:
			switch key {
			case "max_tokens", "maxTokens", "maxOutputTokens", "max_completion_tokens":
				g.maxTokens, g.hasMax = int64(x), true
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		}
	}
	walk("", v)
	g.tokens = max(g.tokens, 1)
	return g, nil
}

// presetCall runs call through the ledger for a preset endpoint: it waits the reply's
// latency, writes the rate-limit headers (none for Gemini and Bedrock) and a refusal with the
// preset's template. It returns the reply and true when the caller writes the success body.
func (h *handler) presetCall(w http.ResponseWriter, r *http.Request, f *presetFront, sc *scratch, call *account.Call) (account.Reply, bool) {
	h.m.served.Add(1)
	now := time.Now()
	var rep account.Reply
	h.m.ledger.HandleWith(&sc.cursor, now, call, &rep)
	if !wait(r, rep.Latency) {
		return rep, false
	}
	h.writeHeaders(f, w.Header(), now, &rep)
	if rep.Status == http.StatusOK {
		return rep, true
	}
	if !f.writeRefusal(h, w, sc, call.Model, &rep, now) {
		writeJSON(w, rep.Status, map[string]any{"error": map[string]any{"code": rep.Status, "message": rep.Message, "status": rep.ErrorType}})
	}
	return rep, false
}

// writeJSON writes v as a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header()["Content-Type"] = hdrJSON
	w.WriteHeader(status)
	w.Write(b)
}

// geminiPath splits /v1beta/models/{model}:{method} (or /v1/…).
func geminiPath(path string) (model, method string, ok bool) {
	rest, found := strings.CutPrefix(path, "/v1beta/models/")
	if !found {
		if rest, found = strings.CutPrefix(path, "/v1/models/"); !found {
			return "", "", false
		}
	}
	model, method, ok = strings.Cut(rest, ":")
	return model, method, ok && model != ""
}

// geminiError writes a Google API error (google.rpc.Status as JSON).
func geminiError(w http.ResponseWriter, status int, grpcStatus, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "status": grpcStatus}})
}

// gemini serves POST /v1beta/models/{model}:generateContent (and countTokens): the key in
// x-goog-api-key or ?key=, no rate-limit headers, usageMetadata in the answer.
func (h *handler) gemini(w http.ResponseWriter, r *http.Request, f *presetFront, model, method string) {
	sc := h.getScratch()
	defer h.putScratch(sc)
	if r.Method != http.MethodPost {
		h.m.ledger.CountUnkeyed(http.StatusMethodNotAllowed)
		geminiError(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "Method "+r.Method+" not allowed: "+r.URL.Path+" takes POST")
		return
	}
	key := r.Header.Get("x-goog-api-key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	if key == "" {
		key = apiKey(r)
	}
	body, tooLarge, err := readBody(r, sc.in)
	sc.in = body[:0]
	if err != nil || tooLarge {
		h.m.ledger.CountUnkeyed(http.StatusBadRequest)
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Could not read the request body.")
		return
	}
	g, err := parseGeneric(body)
	if err != nil {
		h.m.ledger.CountUnkeyed(http.StatusBadRequest)
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	switch method {
	case "countTokens":
		writeJSON(w, http.StatusOK, map[string]any{"totalTokens": g.tokens})
		return
	case "generateContent", "streamGenerateContent":
	default:
		h.m.ledger.CountUnkeyed(http.StatusNotFound)
		geminiError(w, http.StatusNotFound, "NOT_FOUND", "Method "+method+" is not found for model models/"+model+".")
		return
	}
	if !g.hasMax {
		g.maxTokens = account.DefaultChatMaxTokens
	}
	call := account.Call{Key: key, Endpoint: account.EndpointChat, Model: model, InputTokens: g.tokens, MaxTokens: g.maxTokens}
	rep, ok := h.presetCall(w, r, f, sc, &call)
	if !ok {
		return
	}
	if method == "streamGenerateContent" {
		h.geminiStream(w, r, sc, model, &call, &rep)
		return
	}
	if !wait(r, rep.Gen.Duration()) { // the body goes out with the last token
		return
	}
	finish := "STOP"
	if rep.OutputTokens >= call.MaxTokens {
		finish = "MAX_TOKENS"
	}
	resp := geminiResponse(string(appendReply(nil, rep.OutputTokens)), finish, model, sc.requestID(&h.m.ids)[0], rep.InputTokens, rep.OutputTokens)
	writeJSON(w, http.StatusOK, resp)
}

// geminiResponse is a GenerateContentResponse: one candidate with text, finish ("" while a
// stream goes on), and the usage so far.
func geminiResponse(text, finish, model, id string, in, out int64) map[string]any {
	cand := map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}}, "index": 0}
	if finish != "" {
		cand["finishReason"] = finish
	}
	return map[string]any{
		"candidates": []any{cand},
		"usageMetadata": map[string]any{
			"promptTokenCount": in, "candidatesTokenCount": out, "totalTokenCount": in + out,
		},
		"modelVersion": model,
		"responseId":   id,
	}
}

// geminiStream answers streamGenerateContent (?alt=sse) as the API does: a data event per chunk
// of text as it is generated (at the reply's generation time), each a GenerateContentResponse
// with the usage so far, the last with the finishReason.
func (h *handler) geminiStream(w http.ResponseWriter, r *http.Request, sc *scratch, model string, call *account.Call, rep *account.Reply) {
	w.Header()["Content-Type"] = hdrEventStream
	w.Header()["Cache-Control"] = hdrNoCache
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	start, id := time.Now(), sc.requestID(&h.m.ids)[0]
	g, total := rep.Gen, rep.OutputTokens
	step := int64(instantChunk)
	if g.Interval > 0 {
		step = max(1, int64((minEventGap+g.Interval-1)/g.Interval))
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for sent := int64(0); sent < total || total == 0; {
		next := min(sent+step, total)
		if wait := time.Until(start.Add(g.TokenAt(next))); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-r.Context().Done():
				return
			}
		}
		finish := ""
		if next == total {
			finish = "STOP"
			if total >= call.MaxTokens {
				finish = "MAX_TOKENS"
			}
		}
		b, _ := json.Marshal(geminiResponse(string(appendReplyRange(nil, sent, next)), finish, model, id, rep.InputTokens, next))
		if _, err := w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
		if sent = next; total == 0 {
			return
		}
	}
}
