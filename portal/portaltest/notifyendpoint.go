package portaltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Errors of [NotifyAt].
var (
	// ErrNoRegistration: the simulator holds no registration of the unit (or
	// partner-wide of a partner connected to it) for the event.
	ErrNoRegistration = errors.New("portaltest: no registration holds the event")
	// ErrNotASimulator: the server answered NotifyPath as no simulator started
	// WithNotifyEndpoint does (404 or 405): it is Vipps, or another server.
	ErrNotASimulator = errors.New("portaltest: the server is not a simulator serving " + NotifyPath)
)

// NotifyAt has the standalone simulator at baseURL (examples/simulator, or a
// server started WithNotifyEndpoint) send a notification of event with
// payload about sales unit msn, as [Server.Notify] does in-process: POST
// [NotifyPath] on baseURL with {"msn", "event", "payload"}. It returns how many
// registrations the notification goes to. It sends no credentials and
// follows no redirect. A refusal names why: [ErrNoRegistration],
// [ErrNotASimulator], or the simulator's detail for a bad notification.
func NotifyAt(ctx context.Context, baseURL, msn, event string, payload []byte) (int, error) {
	body, err := json.Marshal(notifyRequestJSON{MSN: msn, Event: event, Payload: payload})
	if err != nil {
		return 0, fmt.Errorf("portaltest: NotifyAt: the payload must be a JSON object: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+NotifyPath, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("portaltest: NotifyAt: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("portaltest: NotifyAt: no answer from %s: %w", baseURL, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, fmt.Errorf("portaltest: NotifyAt: reading the answer: %w", err)
	}
	var problem struct {
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(answer, &problem)
	switch {
	case resp.StatusCode == http.StatusAccepted:
		var n notifyAnswerJSON
		if err := json.Unmarshal(answer, &n); err != nil {
			return 0, &notifyRefusal{ErrNotASimulator, "POST " + NotifyPath + " answered 202 with something else than the simulator's answer"}
		}
		return n.Registrations, nil
	case resp.StatusCode == http.StatusNotFound && strings.Contains(problem.Detail, "no registration"):
		return 0, &notifyRefusal{ErrNoRegistration, problem.Detail}
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed:
		return 0, &notifyRefusal{ErrNotASimulator, fmt.Sprintf("POST %s answered %d", NotifyPath, resp.StatusCode)}
	case problem.Detail != "":
		return 0, fmt.Errorf("portaltest: NotifyAt: %d: %s", resp.StatusCode, problem.Detail)
	}
	return 0, fmt.Errorf("portaltest: NotifyAt: POST %s answered %s", NotifyPath, resp.Status)
}

// notifyRefusal is a refusal of NotifyAt: its text is what the server said
// (or did), and it matches the sentinel that classifies it.
type notifyRefusal struct {
	kind error
	what string
}

func (e *notifyRefusal) Error() string { return "portaltest: " + e.what }
func (e *notifyRefusal) Unwrap() error { return e.kind }
