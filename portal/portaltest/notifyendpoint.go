package portaltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// NotifyPath is where a server started WithNotifyEndpoint takes
// notifications to send ([Server.Notify]); it is not part of the contract.
const NotifyPath = "/_simulator/notifications"

type notifyRequestJSON struct {
	MSN     string          `json:"msn"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

type notifyAnswerJSON struct {
	Registrations int `json:"registrations"` // how many registrations it goes to
}

// serveNotify serves POST /_simulator/notifications: the body
// {"msn","event","payload"} goes to Notify. 202 with the number of
// registrations; 400 for a body that is not such an object; 404 when no
// registration holds the event; 405 for another method.
func (s *Server) serveNotify(r *http.Request) *response {
	if r.Method != http.MethodPost {
		resp := problemResponse(newProblem(http.StatusMethodNotAllowed, pMethodNotAllowed, r.Method+" is not allowed on this path"), r.URL.Path)
		resp.header.Set("Allow", http.MethodPost)
		return resp
	}
	bad := func(detail string) *response {
		return problemResponse(badRequest("", detail), r.URL.Path)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 2*maxPayload))
	if err != nil {
		return bad("the body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var body notifyRequestJSON
	if err := dec.Decode(&body); err != nil || dec.More() {
		return bad(`the body must be {"msn": "...", "event": "...", "payload": {...}}`)
	}
	if body.MSN == "" || body.Event == "" || len(body.Payload) == 0 {
		return bad("msn, event and payload are required")
	}
	n, err := s.notify(body.MSN, body.Event, body.Payload)
	switch {
	case errors.Is(err, errNoRegistration):
		return problemResponse(newProblem(http.StatusNotFound, pNotFound, strings.TrimPrefix(err.Error(), "portaltest: Notify: ")), r.URL.Path)
	case err != nil:
		return bad(strings.TrimPrefix(err.Error(), "portaltest: Notify: "))
	}
	return jsonResponse(http.StatusAccepted, ctPortal, notifyAnswerJSON{Registrations: n})
}
