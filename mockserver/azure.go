package mockserver

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ratelab/ratelab/account"
)

// azurePath returns the deployment of /openai/deployments/{deployment}/chat/completions, or ""
// with ok for the v1 path /openai/v1/chat/completions (the deployment is the body's model).
func azurePath(path string) (deployment string, ok bool) {
	if path == "/openai/v1/chat/completions" {
		return "", true
	}
	rest, found := strings.CutPrefix(path, "/openai/deployments/")
	if !found {
		return "", false
	}
	dep, tail, _ := strings.Cut(rest, "/")
	return dep, tail == "chat/completions" && dep != ""
}

// azure serves Azure OpenAI chat completions: the api-key header (or Entra bearer token),
// ?api-version= on deployment paths, the deployment as the model, OpenAI's body, x-ratelimit-*
// with resets in seconds and, on a 429, retry-after-ms.
func (h *handler) azure(w http.ResponseWriter, r *http.Request, f *presetFront, dep string) {
	sc := h.getScratch()
	defer h.putScratch(sc)
	if dep != "" && r.URL.Query().Get("api-version") == "" {
		h.m.served.Add(1)
		h.m.ledger.CountUnkeyed(http.StatusNotFound)
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": "404", "message": "Resource not found"}})
		return
	}
	body, tooLarge, err := readBody(r, sc.in)
	sc.in = body[:0]
	if err != nil || tooLarge || r.Method != http.MethodPost {
		h.m.served.Add(1)
		h.m.ledger.CountUnkeyed(http.StatusBadRequest)
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "BadRequest", "message": "Could not read the request body."}})
		return
	}
	req, rerr := parseRequest(body, account.EndpointChat)
	if rerr != nil && dep == "" {
		h.m.served.Add(1)
		h.reject(w, sc, account.EndpointChat, http.StatusBadRequest, rerr.msg, rerr.param, rerr.code)
		return
	}
	if rerr != nil {
		// A deployment path needs no model in the body.
		g, gerr := parseGeneric(body)
		if gerr != nil {
			h.m.served.Add(1)
			h.reject(w, sc, account.EndpointChat, http.StatusBadRequest, rerr.msg, rerr.param, rerr.code)
			return
		}
		req = apiRequest{inputTokens: g.tokens, maxTokens: g.maxTokens, hasMaxTokens: g.hasMax, stream: req.stream, includeUsage: req.includeUsage}
	}
	model := dep
	if model == "" {
		model = req.modelString()
	}
	req.model = []byte(jsonEscapeModel(model)) // a stream's chunks name the deployment
	key := r.Header.Get("api-key")
	if key == "" {
		key = apiKey(r)
	}
	call := account.Call{Key: key, Endpoint: account.EndpointChat, Model: model, InputTokens: req.inputTokens, MaxTokens: req.maxTokens}
	if !req.hasMaxTokens {
		call.MaxTokens = account.DefaultChatMaxTokens
	}
	rep, ok := h.presetCall(w, r, f, sc, &call)
	if !ok {
		return
	}
	if req.stream {
		rep.Latency = 0 // presetCall waited it
		h.stream(w, r, sc, account.EndpointChat, &req, &call, time.Now(), &rep)
		return
	}
	if !wait(r, rep.Gen.Duration()) { // the body goes out with the last token
		return
	}
	out := appendChatCompletion(sc.out[:0], &sc.ids, &h.m.ids, []byte(jsonEscapeModel(model)), time.Now().Unix(), rep.InputTokens, rep.OutputTokens, call.MaxTokens)
	sc.out = out[:0]
	h.setIDHeader(w.Header(), sc, account.EndpointChat)
	w.Header()["Content-Type"] = hdrJSON
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// jsonEscapeModel escapes a model name for appendChatCompletion, which copies it verbatim.
func jsonEscapeModel(s string) string {
	b := appendString(nil, s)
	return string(b[1 : len(b)-1])
}

// apiVersion is the api-version the preset's requests carry (Azure's), for its error bodies.
func (f *presetFront) apiVersion() string {
	if q, err := url.ParseQuery(f.p.API.Query); err == nil && q.Get("api-version") != "" {
		return q.Get("api-version")
	}
	return "2024-10-21"
}
