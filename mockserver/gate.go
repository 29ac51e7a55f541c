package mockserver

import (
	"net/http"
	"time"

	"github.com/ratelab/ratelab/account"
)

// Gate puts the mock's limiter in front of another server (ratelab proxy --limit): each
// request is charged to its key's budget as the mock would charge it; a refused one gets the
// mock's answer (429 with its headers and body), an admitted one goes on with the mock's
// rate-limit headers set on w. Its faults (--error-rate, --overload-rate) answer as the mock's
// would; its latency is not waited: the server behind answers.
type Gate struct{ h *handler }

// Gate returns the mock's limiter as a gate.
func (m *Mock) Gate() *Gate { return &Gate{h: &handler{m: m}} }

// Admit charges the request (body read whole) at instant now and reports whether it goes on;
// when not, it has written the mock's answer to w. A body the mock cannot read is charged as
// one request of no tokens: the server behind judges it.
func (g *Gate) Admit(w http.ResponseWriter, r *http.Request, body []byte, now time.Time) bool {
	h := g.h
	h.m.served.Add(1)
	sc := h.getScratch()
	defer h.putScratch(sc)
	e := endpointOf(r.URL.Path)
	call := account.Call{Key: apiKey(r), Endpoint: e}
	if e != account.EndpointGeneric {
		if req, rerr := parseRequest(body, e); rerr == nil {
			call.InputTokens, call.MaxTokens = req.inputTokens, req.maxTokens
			if e == account.EndpointChat {
				if !req.hasMaxTokens {
					call.MaxTokens = account.DefaultChatMaxTokens
				}
				call.Model = req.modelString()
			}
		}
	}
	var reply account.Reply
	h.m.ledger.HandleWith(&sc.cursor, now, &call, &reply)
	h.fields.Write(w.Header(), reply.Dialect, now, &reply.Limits)
	if reply.Status == http.StatusOK {
		return true
	}
	h.writeError(w, sc, e, reply.Status, reply.ErrorType, reply.Message, "", openAICode(reply.Status))
	return false
}
