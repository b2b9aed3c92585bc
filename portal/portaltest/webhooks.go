package portaltest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
)

// The Webhooks API's limits (contract 1.2, "Webhooks").
const (
	webhookLimit      = 25   // registrations of one scope holding the same event
	maxWebhookEvents  = 50   // events of one registration
	maxWebhookURLRune = 2048 // code points of a registered URL
)

// webhookEvents is the contract's event catalog (WebhookEventName).
var webhookEvents = []string{
	"epayments.payment.created.v1", "epayments.payment.aborted.v1", "epayments.payment.expired.v1",
	"epayments.payment.cancelled.v1", "epayments.payment.captured.v1", "epayments.payment.refunded.v1",
	"epayments.payment.authorized.v1", "epayments.payment.terminated.v1",
	"recurring.agreement-activated.v1", "recurring.agreement-rejected.v1", "recurring.agreement-stopped.v1",
	"recurring.agreement-expired.v1",
	"recurring.charge-reserved.v1", "recurring.charge-captured.v1", "recurring.charge-canceled.v1",
	"recurring.charge-refunded.v1", "recurring.charge-failed.v1", "recurring.charge-creation-failed.v1",
	"user.checked-in.v1",
}

// webhookScope is where a registration belongs: one sales unit, or a
// partner's partner-wide registrations (which cover every unit connected to
// the partner, now and later). Exactly one field is set.
type webhookScope struct {
	msn     string
	partner string
}

func (sc webhookScope) String() string {
	if sc.partner != "" {
		return "partner:" + sc.partner
	}
	return "unit:" + sc.msn
}

// webhook is one registration with the notifications still to deliver to it.
type webhook struct {
	id        string
	scope     webhookScope
	url       string   // as registered: listed and signed as given
	target    *url.URL // url, parsed
	events    []string
	secret    string // shown once, in the 201; never listed, logged or in State
	createdAt time.Time
	queue     []*notification // pending, in the order they were notified
	// failingSince is the scheduled time of the first failed attempt since
	// the last delivered one (zero: not failing); 14 days on, the
	// registration is deleted.
	failingSince time.Time
}

func (w *webhook) holds(event string) bool { return slices.Contains(w.events, event) }

type webhookRegistrationJSON struct {
	URL    string   `json:"url" req:"1"`
	Events []string `json:"events" req:"1"`
}

type registeredWebhookJSON struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type webhookJSON struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type webhookListJSON struct {
	Webhooks []webhookJSON `json:"webhooks"`
}

// webhookMSN is the unit a Webhooks API request names ("" for none). Here
// the header chooses the scope, so it must name one unit.
func webhookMSN(rq *request) (string, *apiError) {
	msns := rq.r.Header.Values("Merchant-Serial-Number")
	if len(msns) == 0 {
		return "", nil
	}
	if slices.ContainsFunc(msns, func(v string) bool { return v != msns[0] }) {
		return "", badRequest("Merchant-Serial-Number", "Merchant-Serial-Number must name one sales unit")
	}
	return msns[0], nil
}

// webhookCaller resolves the scope a Webhooks API request acts in, from the
// principal and the unit it names (webhookMSN): a unit's own keys act for
// their unit (another MSN is a 403); a partner's API client for a connected
// unit (any other unit is a 403) or, naming none, partner-wide. Portal users
// and management tokens get 403 forbidden.
func (s *Server) webhookCaller(rq *request, msn string) (webhookScope, *apiError) {
	forbidden := func(detail string) (webhookScope, *apiError) {
		return webhookScope{}, newProblem(http.StatusForbidden, pForbidden, detail)
	}
	switch rq.who.kind {
	case kindUnit:
		if msn != "" && msn != rq.who.id {
			return forbidden("a sales unit's keys reach its own webhooks only")
		}
		return webhookScope{msn: rq.who.id}, nil
	case kindPartner:
		if msn == "" {
			return webhookScope{partner: rq.who.id}, nil
		}
		if !s.st.partners[rq.who.id].connected[msn] {
			return forbidden("the sales unit is not connected to the partner")
		}
		return webhookScope{msn: msn}, nil
	}
	return forbidden("webhooks are managed with a sales unit's keys or a partner's API client")
}

func (s *Server) getAllWebhooks(rq *request) *response {
	msn, e := webhookMSN(rq)
	if e == nil {
		e = rq.bodyLimit()
	}
	if e != nil {
		return rq.fail(e)
	}
	scope, e := s.webhookCaller(rq, msn)
	if e != nil {
		return rq.fail(e)
	}
	out := webhookListJSON{Webhooks: []webhookJSON{}}
	for _, w := range s.webhooksOf(scope) {
		out.Webhooks = append(out.Webhooks, webhookJSON{ID: w.id, URL: w.url, Events: slices.Clone(w.events)})
	}
	return portalOK(http.StatusOK, out)
}

// webhooksOf lists a scope's registrations, oldest first.
func (s *Server) webhooksOf(scope webhookScope) []*webhook {
	ws := filter(s.st.webhooks, func(w *webhook) bool { return w.scope == scope })
	sortBy(ws, func(w *webhook) sortKey { return sortKey{w.createdAt, w.id} })
	return ws
}

func (s *Server) registerWebhook(rq *request) *response {
	msn, e := webhookMSN(rq)
	if e != nil {
		return rq.fail(e)
	}
	var body webhookRegistrationJSON
	if e := rq.decodeBody(&body); e != nil {
		return rq.fail(e)
	}
	target, fe := checkWebhookURL(body.URL, s.cfg.localWebhooks)
	if fe == nil {
		fe = checkWebhookEvents(body.Events)
	}
	if fe != nil {
		return rq.fail(badRequest(fe.Path, "request body: "+fe.Error()))
	}
	// Idempotency-Key is optional here; when sent, the usual rules apply.
	keyed := len(rq.r.Header.Values("Idempotency-Key")) > 0
	if keyed {
		if e := rq.idempotencyKey(); e != nil {
			return rq.fail(e)
		}
	}
	scope, e := s.webhookCaller(rq, msn)
	if e != nil {
		return rq.fail(e)
	}
	work := func() *response {
		for _, ev := range body.Events {
			n := 0
			for _, w := range s.st.webhooks {
				if w.scope == scope && w.holds(ev) {
					n++
				}
			}
			if n >= webhookLimit {
				return rq.fail(newProblem(http.StatusBadRequest, pWebhookLimit,
					fmt.Sprintf("%d registrations of this scope already hold %s", webhookLimit, ev)))
			}
		}
		id := s.rng.uuid()
		for s.st.webhooks[id] != nil {
			id = s.rng.uuid()
		}
		w := &webhook{id: id, scope: scope, url: body.URL, target: target, events: slices.Clone(body.Events),
			secret: s.rng.secret(), createdAt: rq.now}
		s.st.webhooks[id] = w
		return portalOK(http.StatusCreated, registeredWebhookJSON{ID: w.id, Secret: w.secret})
	}
	if !keyed {
		return work()
	}
	// A key belongs to the principal acting in one scope: the same key sent
	// for another unit (or partner-wide) is another request, never a replay
	// of a registration made elsewhere.
	rq.idemScope = scope.String()
	return s.idempotent(rq, work)
}

func (s *Server) deleteWebhook(rq *request) *response {
	msn, e := webhookMSN(rq)
	if e == nil {
		e = firstAPI(rq.pathUUID("id"), rq.bodyLimit())
	}
	if e != nil {
		return rq.fail(e)
	}
	scope, e := s.webhookCaller(rq, msn)
	if e != nil {
		return rq.fail(e)
	}
	w := s.st.webhooks[strings.ToLower(rq.params["id"])]
	if w == nil || w.scope != scope {
		return rq.fail(notFound("webhook"))
	}
	delete(s.st.webhooks, w.id)
	return emptyResponse(http.StatusNoContent)
}

// checkWebhookURL applies the contract's rule: an absolute https URL with no
// user info and no fragment, on the default port, 443 or 8080, at most 2048
// characters. local (WithLocalWebhooks) also accepts http and https on a
// loopback host, on any port.
func checkWebhookURL(raw string, local bool) (*url.URL, *fieldError) {
	if e := checkLen("url", raw, 1, maxWebhookURLRune); e != nil {
		return nil, e
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return nil, ferr("url", "must not contain space or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, ferr("url", "must be an absolute https URL")
	}
	if u.User != nil {
		return nil, ferr("url", "must not carry user info")
	}
	if strings.Contains(raw, "#") {
		return nil, ferr("url", "must not have a fragment")
	}
	if local && isLoopback(u.Hostname()) && (u.Scheme == "http" || u.Scheme == "https") {
		return u, nil
	}
	if u.Scheme != "https" {
		if u.Scheme == "http" && isLoopback(u.Hostname()) {
			return nil, ferr("url", "must be https (http on a loopback host needs a simulator started for local work: WithLocalWebhooks, -local-webhooks)")
		}
		return nil, ferr("url", "must be https")
	}
	if p := u.Port(); p != "" && p != "443" && p != "8080" {
		return nil, ferr("url", "must be on the default port, 443 or 8080")
	}
	return u, nil
}

func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "::1" || strings.EqualFold(host, "localhost")
}

// checkWebhookEvents: 1-50 distinct names from the catalog; an unknown name
// is named in the error.
func checkWebhookEvents(events []string) *fieldError {
	if len(events) < 1 || len(events) > maxWebhookEvents {
		return ferr("events", "must hold 1 to %d event names", maxWebhookEvents)
	}
	for i, ev := range events {
		p := fmt.Sprintf("events[%d]", i)
		if !slices.Contains(webhookEvents, ev) {
			return ferr(p, "unknown event %q (the catalog: %s)", ev, strings.Join(webhookEvents, ", "))
		}
		if slices.Contains(events[:i], ev) {
			return ferr(p, "repeats %q", ev)
		}
	}
	return nil
}
