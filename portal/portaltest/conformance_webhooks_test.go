package portaltest_test

// Contract 1.2, the Webhooks API: getAllWebhooks, registerWebhook and
// deleteWebhook, their principals and scopes, the rules of a registration,
// the limit, the secret shown once, and the optional Idempotency-Key.

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

const (
	pathWebhooks  = "/webhooks/v1/webhooks"
	eventCaptured = "epayments.payment.captured.v1"
	eventCreated  = "epayments.payment.created.v1"
	hookURL       = "https://hooks.example.com/vipps"
)

var reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func webhookPath(id string) string { return pathWebhooks + "/" + id }

type registration struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type registered struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type listedWebhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type webhookList struct {
	Webhooks []listedWebhook `json:"webhooks"`
}

// msnHeader names the unit a Webhooks API call acts for ("" for none).
func msnHeader(msn string) http.Header {
	if msn == "" {
		return nil
	}
	return http.Header{"Merchant-Serial-Number": {msn}}
}

// registerHook posts a registration for the unit msn ("" for none), without
// an Idempotency-Key (it is optional here).
func (h *harness) registerHook(t testing.TB, as caller, msn string, body any) *response {
	t.Helper()
	return h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &as, Body: body, Header: msnHeader(msn)})
}

// mustRegister registers url for events and returns the 201's id and secret.
func (h *harness) mustRegister(t testing.TB, as caller, msn, url string, events ...string) registered {
	t.Helper()
	r := h.registerHook(t, as, msn, registration{URL: url, Events: events})
	require.Equal(t, http.StatusCreated, r.Status, "register %s: %s", url, r.Raw)
	reg := decodeAs[registered](t, r)
	require.Regexp(t, reUUID, reg.ID)
	require.NotEmpty(t, reg.Secret)
	return reg
}

func (h *harness) listHooks(t testing.TB, as caller, msn string) webhookList {
	t.Helper()
	r := h.send(t, call{Method: http.MethodGet, Path: pathWebhooks, As: &as, Header: msnHeader(msn)})
	require.Equal(t, http.StatusOK, r.Status, "list: %s", r.Raw)
	assert.NotContains(t, r.JSON(), "secret")
	assert.NotContains(t, string(r.Raw), `"secret"`, "a list never shows a secret")
	return decodeAs[webhookList](t, r)
}

func (h *harness) deleteHook(t testing.TB, as caller, msn, id string) *response {
	t.Helper()
	return h.send(t, call{Method: http.MethodDelete, Path: webhookPath(id), As: &as, Header: msnHeader(msn)})
}

func ids(l webhookList) []string {
	out := []string{}
	for _, w := range l.Webhooks {
		out = append(out, w.ID)
	}
	return out
}

// register, list (oldest first, never a secret), delete; a deleted id is a 404.
func TestConformanceWebhooksRegisterListDelete(t *testing.T) {
	h := newHarness(t)
	unit := h.unit(t, portaltest.ProductionMSN)
	assert.Empty(t, h.listHooks(t, unit, "").Webhooks, "an empty list is an empty array")

	r := h.registerHook(t, unit, "", registration{URL: hookURL, Events: []string{eventCaptured, eventCreated}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	assert.Equal(t, ctJSON, r.Header.Get("Content-Type"))
	first := decodeAs[registered](t, r)
	second := h.mustRegister(t, unit, "", hookURL+"?tenant=2", eventCaptured)
	assert.NotEqual(t, first.ID, second.ID)
	assert.NotEqual(t, first.Secret, second.Secret)

	l := h.listHooks(t, unit, "")
	require.Equal(t, []string{first.ID, second.ID}, ids(l), "oldest first")
	assert.Equal(t, listedWebhook{ID: first.ID, URL: hookURL, Events: []string{eventCaptured, eventCreated}}, l.Webhooks[0])
	assert.Equal(t, hookURL+"?tenant=2", l.Webhooks[1].URL, "the URL as registered")
	assert.Equal(t, 2, h.s.Effects(portaltest.OpRegisterWebhook))

	d := h.deleteHook(t, unit, "", first.ID)
	assert.Equal(t, http.StatusNoContent, d.Status, "%s", d.Raw)
	assert.Empty(t, d.Raw)
	assert.Equal(t, []string{second.ID}, ids(h.listHooks(t, unit, "")))
	assertProblem(t, h.deleteHook(t, unit, "", first.ID), 404, "not-found", "a deleted id")
	assertProblem(t, h.deleteHook(t, unit, "", strings.ToUpper(second.ID)[:0]+"5a2c1f4e-8b3d-4c6a-9e7f-1d2b3c4d5e6f"), 404, "not-found", "an unknown id")
	assert.Len(t, h.s.State().Webhooks, 1)
}

// The principals row and the scopes: "its unit's" for unit keys; for a
// partner "a connected unit's (with MSN) or partner-wide (without)"; 403
// forbidden for portal users and management tokens. getAllWebhooks lists the
// scope's own, deleteWebhook of another scope's id is a 404.
func TestConformanceWebhooksPrincipalsAndScopes(t *testing.T) {
	h := newHarness(t)
	unit, partner := h.unit(t, portaltest.ProductionMSN), h.partner(t)
	otherUnit := h.unit(t, portaltest.SecondProductionMSN)

	own := h.mustRegister(t, unit, "", hookURL, eventCaptured)
	ownWithHeader := h.mustRegister(t, unit, portaltest.ProductionMSN, hookURL, eventCaptured)
	forUnit := h.mustRegister(t, partner, portaltest.ProductionMSN, hookURL, eventCaptured)
	forOther := h.mustRegister(t, partner, portaltest.OtherMSN, hookURL, eventCaptured)
	wide := h.mustRegister(t, partner, "", hookURL, eventCaptured)
	second := h.mustRegister(t, otherUnit, "", hookURL, eventCaptured)

	unitScope := []string{own.ID, ownWithHeader.ID, forUnit.ID}
	assert.Equal(t, unitScope, ids(h.listHooks(t, unit, "")), "a unit's registrations, whoever made them")
	assert.Equal(t, unitScope, ids(h.listHooks(t, unit, portaltest.ProductionMSN)))
	assert.Equal(t, unitScope, ids(h.listHooks(t, partner, portaltest.ProductionMSN)), "the partner sees the connected unit's")
	assert.Equal(t, []string{forOther.ID}, ids(h.listHooks(t, partner, portaltest.OtherMSN)))
	assert.Equal(t, []string{wide.ID}, ids(h.listHooks(t, partner, "")), "partner-wide is a scope of its own")
	assert.Equal(t, []string{second.ID}, ids(h.listHooks(t, otherUnit, "")))

	// Another scope's id is a 404, and stays.
	assertProblem(t, h.deleteHook(t, unit, "", wide.ID), 404, "not-found", "unit keys, a partner-wide id")
	assertProblem(t, h.deleteHook(t, partner, "", own.ID), 404, "not-found", "partner-wide, a unit's id")
	assertProblem(t, h.deleteHook(t, partner, portaltest.OtherMSN, own.ID), 404, "not-found", "another connected unit's scope")
	assertProblem(t, h.deleteHook(t, otherUnit, "", own.ID), 404, "not-found", "another unit of the merchant")
	assert.Len(t, h.s.State().Webhooks, 6)
	// The partner deletes in the unit's scope what the unit made.
	assert.Equal(t, http.StatusNoContent, h.deleteHook(t, partner, portaltest.ProductionMSN, own.ID).Status)

	// 403 forbidden: unit keys naming another unit; a partner naming a unit
	// not connected to it (or none at all); users of every role; management keys.
	body := registration{URL: hookURL, Events: []string{eventCaptured}}
	refused := map[string]struct {
		as  caller
		msn string
	}{
		"unit keys, another unit":          {unit, portaltest.SecondProductionMSN},
		"unit keys, another merchant":      {unit, portaltest.OtherMSN},
		"partner, an unconnected unit":     {partner, portaltest.SecondProductionMSN},
		"partner, a unit nobody has":       {partner, "99999999"},
		"administrator":                    {h.admin(t), ""},
		"administrator naming a unit":      {h.admin(t), portaltest.ProductionMSN},
		"sales unit manager":               {h.dev(t), portaltest.ProductionMSN},
		"assistant":                        {h.assistant(t), ""},
		"management keys":                  {h.management(t), ""},
		"management keys naming connected": {h.management(t), portaltest.ProductionMSN},
	}
	state := h.s.State()
	for name, c := range refused {
		assertProblem(t, h.send(t, call{Method: http.MethodGet, Path: pathWebhooks, As: &c.as, Header: msnHeader(c.msn)}), 403, "forbidden", "list: "+name)
		assertProblem(t, h.registerHook(t, c.as, c.msn, body), 403, "forbidden", "register: "+name)
		assertProblem(t, h.deleteHook(t, c.as, c.msn, forUnit.ID), 403, "forbidden", "delete: "+name)
	}
	assert.Equal(t, state, h.s.State(), "no refused call changed anything")
}

// "url is an absolute https URL with no user info and no fragment, on the
// default port, 443 or 8080, at most 2048 characters"; loopback http only
// for a simulator started for local work.
func TestConformanceWebhooksURLRules(t *testing.T) {
	long := "https://hooks.example.com/" + strings.Repeat("a", 2048-len("https://hooks.example.com/"))
	accepted := []string{
		"https://hooks.example.com", "https://hooks.example.com/", "https://hooks.example.com:443/v",
		"https://hooks.example.com:8080/v?x=1&y=2", "HTTPS://hooks.example.com/upper-scheme", long,
		"https://203.0.113.7/ip", "https://[2001:db8::1]:8080/v6",
	}
	refused := []string{
		"http://hooks.example.com/v", "https://hooks.example.com:8443/v", "https://hooks.example.com:80/v",
		"https://user:pw@hooks.example.com/v", "https://user@hooks.example.com/v",
		"https://hooks.example.com/v#frag", "https://hooks.example.com/v#",
		"/relative", "hooks.example.com/v", "https:hooks.example.com", "https:///nohost", "ftp://hooks.example.com/v",
		"https://hooks.example.com/a b", "", long + "a",
		"http://127.0.0.1:9999/local", "http://localhost/local", "http://[::1]:1234/local", "https://localhost:8443/local",
	}
	local := []string{"http://127.0.0.1:9999/local", "http://localhost/local", "http://[::1]:1234/local",
		"https://localhost:8443/local", "http://LOCALHOST:1/x"}

	h := newHarness(t)
	unit := h.unit(t, portaltest.ProductionMSN)
	for _, u := range accepted {
		h.mustRegister(t, unit, "", u, eventCaptured)
	}
	for _, u := range refused {
		r := h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, Invalid: true,
			Body: registration{URL: u, Events: []string{eventCaptured}}})
		if assertProblem(t, r, 400, "invalid-request", u) {
			assert.Contains(t, string(r.Raw), `"url"`, "the Problem names the field: %s", r.Raw)
		}
	}
	assert.Len(t, h.listHooks(t, unit, "").Webhooks, len(accepted))

	// Started for local work: loopback http (and https) on any port; the rest as before.
	lh := newHarness(t, portaltest.WithLocalWebhooks())
	lunit := lh.unit(t, portaltest.ProductionMSN)
	for _, u := range local {
		lh.mustRegister(t, lunit, "", u, eventCaptured)
	}
	for _, u := range []string{"http://hooks.example.com/v", "http://127.0.0.2/not-loopback-by-name", "https://hooks.example.com:8443/v", "http://user@localhost/x"} {
		r := lh.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &lunit, Invalid: true,
			Body: registration{URL: u, Events: []string{eventCaptured}}})
		assertProblem(t, r, 400, "invalid-request", "local work, still refused: "+u)
	}
}

// "events is 1-50 distinct names from the catalog (an unknown name is a 400
// invalid-request naming it)".
func TestConformanceWebhooksEventRules(t *testing.T) {
	h := newHarness(t)
	unit := h.unit(t, portaltest.ProductionMSN)
	catalog := []string{
		"epayments.payment.created.v1", "epayments.payment.aborted.v1", "epayments.payment.expired.v1",
		"epayments.payment.cancelled.v1", "epayments.payment.captured.v1", "epayments.payment.refunded.v1",
		"epayments.payment.authorized.v1", "epayments.payment.terminated.v1",
		"recurring.agreement-activated.v1", "recurring.agreement-rejected.v1", "recurring.agreement-stopped.v1",
		"recurring.agreement-expired.v1", "recurring.charge-reserved.v1", "recurring.charge-captured.v1",
		"recurring.charge-canceled.v1", "recurring.charge-refunded.v1", "recurring.charge-failed.v1",
		"recurring.charge-creation-failed.v1", "user.checked-in.v1",
	}
	whole := h.mustRegister(t, unit, "", hookURL, catalog...)
	listed := h.listHooks(t, unit, "").Webhooks
	require.Len(t, listed, 1)
	assert.Equal(t, whole.ID, listed[0].ID)
	assert.Equal(t, catalog, listed[0].Events, "the whole catalog, in the order given")

	fiftyOne := make([]string, 51)
	for i := range fiftyOne {
		fiftyOne[i] = catalog[i%len(catalog)]
	}
	for name, c := range map[string]struct {
		events []string
		want   string // in the Problem's detail
	}{
		"no events":           {[]string{}, "events"},
		"an unknown name":     {[]string{eventCaptured, "epayments.payment.teleported.v1"}, "epayments.payment.teleported.v1"},
		"a misspelled cancel": {[]string{"recurring.charge-cancelled.v1"}, "recurring.charge-cancelled.v1"},
		"a repeated name":     {[]string{eventCaptured, eventCreated, eventCaptured}, "events[2]"},
		"51 names":            {fiftyOne, "events"},
	} {
		r := h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, Invalid: true,
			Body: registration{URL: hookURL, Events: c.events}})
		if assertProblem(t, r, 400, "invalid-request", name) {
			assert.Contains(t, string(r.Raw), c.want, "%s: %s", name, r.Raw)
		}
	}
	for name, body := range map[string]any{
		"no url":       map[string]any{"events": []string{eventCaptured}},
		"no events":    map[string]any{"url": hookURL},
		"url a number": map[string]any{"url": 1, "events": []string{eventCaptured}},
		"not JSON":     "{",
	} {
		r := h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, Invalid: true, Body: body})
		assertProblem(t, r, 400, "invalid-request", name)
	}
	assert.Len(t, h.s.State().Webhooks, 1, "nothing refused was registered")
}

// "At most 25 registrations of one scope may hold the same event: the 26th
// is a 400 webhook-limit-reached."
func TestConformanceWebhooksLimit(t *testing.T) {
	h := newHarness(t)
	unit, partner := h.unit(t, portaltest.ProductionMSN), h.partner(t)
	var first registered
	for i := range 25 {
		reg := h.mustRegister(t, unit, "", fmt.Sprintf("%s/%d", hookURL, i), eventCaptured, eventCreated)
		if i == 0 {
			first = reg
		}
	}
	state := h.s.State()
	for _, events := range [][]string{{eventCaptured}, {eventCreated}, {"user.checked-in.v1", eventCaptured}} {
		r := h.registerHook(t, unit, "", registration{URL: hookURL + "/26", Events: events})
		assertProblem(t, r, 400, "webhook-limit-reached", "the 26th holding %v", events)
	}
	assert.Equal(t, state, h.s.State(), "the 26th registered nothing")

	// Another event, and other scopes, have their own count.
	h.mustRegister(t, unit, "", hookURL+"/other-event", "user.checked-in.v1")
	h.mustRegister(t, partner, "", hookURL+"/partner-wide", eventCaptured)
	h.mustRegister(t, partner, portaltest.OtherMSN, hookURL+"/other-unit", eventCaptured)
	assertProblem(t, h.registerHook(t, partner, portaltest.ProductionMSN, registration{URL: hookURL, Events: []string{eventCaptured}}),
		400, "webhook-limit-reached", "the partner acting for the full unit")

	// One deleted, one more fits.
	require.Equal(t, http.StatusNoContent, h.deleteHook(t, unit, "", first.ID).Status)
	h.mustRegister(t, unit, "", hookURL+"/26", eventCaptured)
	assertProblem(t, h.registerHook(t, unit, "", registration{URL: hookURL + "/27", Events: []string{eventCaptured}}), 400, "webhook-limit-reached")
}

// "The secret is shown once, in the 201; it never appears again, in any
// answer" - nor in the request log, a request hook, the state or the
// delivery record. "Idempotency-Key is optional here ...; when sent, the
// usual rules apply and a replay answers the same id and secret."
func TestConformanceWebhooksSecretShownOnce(t *testing.T) {
	var hooked []portaltest.LoggedRequest
	h := newHarness(t, portaltest.WithRequestHook(func(lr portaltest.LoggedRequest) { hooked = append(hooked, lr) }),
		portaltest.WithWebhookTransport(acceptAll{}))
	unit := h.unit(t, portaltest.ProductionMSN)

	key := newKey()
	body := registration{URL: hookURL, Events: []string{eventCaptured}}
	r := h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, IdemKey: key, Body: body})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	reg := decodeAs[registered](t, r)

	replay := h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, IdemKey: key, Body: body})
	require.Equal(t, http.StatusCreated, replay.Status)
	assert.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, reg, decodeAs[registered](t, replay), "a replay answers the same id and secret")
	assertProblem(t, h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, IdemKey: key,
		Body: registration{URL: hookURL + "/other", Events: []string{eventCaptured}}}), 409, "idempotency-key-reused")
	assertProblem(t, h.send(t, call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, IdemKey: "not a key!", Body: body, Invalid: true}),
		400, "invalid-request", "a malformed key is refused when sent")
	assert.Equal(t, 1, h.s.Effects(portaltest.OpRegisterWebhook), "the replay did no work")

	// Without a key, each register is a registration of its own.
	again := h.mustRegister(t, unit, "", hookURL, eventCaptured)
	assert.NotEqual(t, reg.ID, again.ID)

	require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(`{"reference":"order-1001"}`)))
	h.s.RunDueDeliveries()

	everything := fmt.Sprintf("%+v %+v %+v %+v %#v", h.listHooks(t, unit, "").Webhooks, h.s.Requests(), hooked, h.s.Deliveries(), h.s.State())
	for _, secret := range []string{reg.Secret, again.Secret} {
		assert.NotContains(t, everything, secret)
	}
	assert.Len(t, h.s.Deliveries(), 2, "the audit saw the deliveries")
}

// "Without it a register whose answer was lost may have created a
// registration whose secret nobody knows: list the scope and delete the
// registrations of your URL that you hold no secret for."
func TestConformanceWebhooksRegisterAnswerLost(t *testing.T) {
	h := newHarness(t)
	unit := h.unit(t, portaltest.ProductionMSN)
	require.NoError(t, h.s.InjectFault(portaltest.Fault{Operation: portaltest.OpRegisterWebhook, DropAfterWork: true}))
	_, err := h.exchange(call{Method: http.MethodPost, Path: pathWebhooks, As: &unit, Body: registration{URL: hookURL, Events: []string{eventCaptured}}})
	require.Error(t, err, "the answer was dropped (and, without an Idempotency-Key, net/http does not resend)")

	l := h.listHooks(t, unit, "")
	require.Len(t, l.Webhooks, 1, "the work was done: the registration is there")
	assert.Equal(t, hookURL, l.Webhooks[0].URL)
	assert.Equal(t, http.StatusNoContent, h.deleteHook(t, unit, "", l.Webhooks[0].ID).Status, "and can be cleaned up")
}

// "Which error answers first": headers, path and body (400) before the
// principal (403), the principal before the resource (404).
func TestConformanceWebhooksPrecedence(t *testing.T) {
	h := newHarness(t)
	admin, unit := h.admin(t), h.unit(t, portaltest.ProductionMSN)
	badMSN := http.Header{"Merchant-Serial-Number": {"12"}}
	twoMSNs := http.Header{"Merchant-Serial-Number": {portaltest.ProductionMSN, portaltest.OtherMSN}}
	badBody := registration{URL: "http://hooks.example.com", Events: []string{eventCaptured}}
	good := registration{URL: hookURL, Events: []string{eventCaptured}}

	cases := []struct {
		name   string
		c      call
		status int
		want   string
	}{
		{"malformed MSN before the body", call{Method: "POST", Path: pathWebhooks, As: &unit, Header: badMSN, Body: badBody, Invalid: true}, 400, "invalid-request"},
		{"two MSNs", call{Method: "GET", Path: pathWebhooks, As: &unit, Header: twoMSNs, Invalid: true}, 400, "invalid-request"},
		{"body before the principal", call{Method: "POST", Path: pathWebhooks, As: &admin, Body: badBody, Invalid: true}, 400, "invalid-request"},
		{"path before the principal", call{Method: "DELETE", Path: webhookPath("not-a-uuid"), As: &admin, Invalid: true}, 400, "invalid-request"},
		{"principal before the resource", call{Method: "DELETE", Path: webhookPath("5a2c1f4e-8b3d-4c6a-9e7f-1d2b3c4d5e6f"), As: &admin}, 403, "forbidden"},
		{"another unit before the resource", call{Method: "DELETE", Path: webhookPath("5a2c1f4e-8b3d-4c6a-9e7f-1d2b3c4d5e6f"), As: &unit, Header: msnHeader(portaltest.OtherMSN)}, 403, "forbidden"},
		{"a body on a list", call{Method: "GET", Path: pathWebhooks, As: &unit, Body: strings.Repeat("x", maxBody+1), Invalid: true}, 413, "body-too-large"},
		{"a body too large to register", call{Method: "POST", Path: pathWebhooks, As: &unit, Body: strings.Repeat("x", maxBody+1), Invalid: true}, 413, "body-too-large"},
	}
	for _, c := range cases {
		assertProblem(t, h.send(t, c.c), c.status, c.want, c.name)
	}
	noKey := unit
	noKey.SubKey = ""
	assertGatewayError(t, h.registerHook(t, noKey, "", good), "the gateway first")
	assertProblem(t, h.registerHook(t, caller{Token: "nope", SubKey: unit.SubKey}, "", good), 401, "invalid-token")
	assertProblem(t, h.send(t, call{Method: "PUT", Path: pathWebhooks, As: &unit, Invalid: true}), 405, "method-not-allowed")
	assert.Empty(t, h.s.State().Webhooks)
}

// acceptAll is a receiver that takes every notification.
type acceptAll struct{}

func (acceptAll) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}
