package portaltest_test

// Contract 1.1: the specialized flow (POST /miami/v1/token) and the partner's
// management keys; Management operations under both flows; the Retry-After
// estimates of pending creations; the points settled in 1.1.

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// "200 ManagementToken ... application/json;charset=UTF-8"; "the simulator
// issues ... 900 s" as the number Vipps sends.
func TestConformanceFetchTokenAnswer(t *testing.T) {
	h := newHarness(t)
	m := h.s.ManagementCredentials(portaltest.PartnerID)
	r := h.fetchToken(t, basicAuth(m.ClientID, m.ClientSecret.Reveal()), formContentType, "grant_type=client_credentials", false)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	assert.Equal(t, ctManagementOK, r.Header.Get("Content-Type"), "the contract's content type, exactly")
	body := r.JSON()
	assert.Equal(t, float64(900), body["expires_in"], "expires_in is the number 900: %s", r.Raw)
	assert.Equal(t, "Bearer", body["token_type"])
	assert.NotEmpty(t, body["access_token"])
	assert.Equal(t, 1, h.s.State().IssuedTokens)
	assert.Len(t, h.s.RequestsOf(portaltest.OpFetchToken), 1, "the request log names the operation fetchToken")
	for _, lr := range h.s.RequestsOf(portaltest.OpFetchToken) {
		assert.Equal(t, "REDACTED", lr.Header.Get("Authorization"), "the Basic credentials are a secret")
	}
	_, hasScope := body["scope"]
	assert.False(t, hasScope, "no scope asked, none answered: %s", r.Raw)
	// Extra OAuth parameters are ignored.
	r = h.fetchToken(t, basicAuth(m.ClientID, m.ClientSecret.Reveal()), formContentType+"; charset=utf-8", "grant_type=client_credentials&resource=x", false)
	assert.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
}

// "scope: Optional, space-separated (RFC 6749). ... The simulator accepts any
// well-formed scope and echoes it in the answer."
func TestConformanceFetchTokenScope(t *testing.T) {
	h := newHarness(t)
	m := h.s.ManagementCredentials(portaltest.PartnerID)
	auth := basicAuth(m.ClientID, m.ClientSecret.Reveal())
	for form, want := range map[string]string{
		"scope=donations%3Aread":             "donations:read",
		"scope=a+b%2Fc+%21%23%5B%5D%7E":      "a b/c !#[]~",
		"scope=management.read%20orders.all": "management.read orders.all",
	} {
		r := h.fetchToken(t, auth, formContentType, "grant_type=client_credentials&"+form, false)
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", form, r.Raw)
		assert.Equal(t, want, r.JSON()["scope"], form)
	}
	for _, form := range []string{"scope=", "scope=a++b", "scope=+a", "scope=a+", "scope=a%22b", "scope=a%5Cb", "scope=%C3%A6", "scope=a&scope=b", "scope=a%09b"} {
		r := h.fetchToken(t, auth, formContentType, "grant_type=client_credentials&"+form, false)
		if assertProblem(t, r, http.StatusBadRequest, "invalid-request", form) {
			assert.Contains(t, string(r.Raw), `"scope"`, "the Problem names the field: %s", r.Raw)
		}
	}
}

// "On POST /miami/v1/token: headers and body (400 invalid-request ...), then
// client credentials (401 OAuthError invalid_client, also for keys that are
// not management keys)."
func TestConformanceFetchTokenErrorOrder(t *testing.T) {
	h := newHarness(t)
	m := h.s.ManagementCredentials(portaltest.PartnerID)
	good, wrong := basicAuth(m.ClientID, m.ClientSecret.Reveal()), basicAuth(m.ClientID, "not-the-secret")
	const form = "grant_type=client_credentials"
	state := h.s.State()

	bad400 := []struct {
		name, auth, ctype, body string
	}{
		{"no Authorization", "", formContentType, form},
		{"Bearer instead of Basic", "Bearer abc", formContentType, form},
		{"Basic, not base64", "Basic !!!", formContentType, form},
		{"Basic without a colon", "Basic " + base64.StdEncoding.EncodeToString([]byte(m.ClientID)), formContentType, form},
		{"Basic with an empty secret", "Basic " + base64.StdEncoding.EncodeToString([]byte(m.ClientID+":")), formContentType, form},
		{"another grant type", good, formContentType, "grant_type=password"},
		{"no body", good, formContentType, ""},
		{"grant type twice", good, formContentType, form + "&" + form},
		{"a JSON body", good, "", `{"grant_type":"client_credentials"}`},
		// 400 before 401: wrong credentials with a bad request are a 400.
		{"wrong secret and no Authorization form", "Basic !!!", formContentType, "grant_type=password"},
		{"wrong secret and another grant type", wrong, formContentType, "grant_type=password"},
		{"wrong secret and a JSON body", wrong, "", `{"grant_type":"client_credentials"}`},
	}
	for _, c := range bad400 {
		r := h.fetchToken(t, c.auth, c.ctype, c.body, true)
		assertProblem(t, r, 400, "invalid-request", c.name)
		assert.Equal(t, ctProblem, r.Header.Get("Content-Type"), c.name)
	}

	// Then the client credentials: 401 OAuthError invalid_client.
	unit := h.s.UnitCredentials(portaltest.ProductionMSN)
	cred401 := map[string]string{
		"wrong secret":               wrong,
		"unknown client id":          basicAuth("5a2c1f4e-8b3d-4c6a-9e7f-1d2b3c4d5e6f", m.ClientSecret.Reveal()),
		"partner's API client":       basicAuth(h.s.PartnerCredentials(portaltest.PartnerID).ClientID, h.s.PartnerCredentials(portaltest.PartnerID).ClientSecret.Reveal()),
		"administrator's API client": basicAuth(h.s.UserCredentials(portaltest.AdminUserID).ClientID, h.s.UserCredentials(portaltest.AdminUserID).ClientSecret.Reveal()),
		"sales unit keys":            basicAuth(unit.ClientID, unit.ClientSecret.Reveal()),
	}
	for name, auth := range cred401 {
		r := h.fetchToken(t, auth, formContentType, form, false)
		assertOAuthError(t, r, "invalid_client", name)
		assert.Equal(t, ctJSON, r.Header.Get("Content-Type"), name)
	}
	assert.Equal(t, state, h.s.State(), "no refused token request issues a token")

	// And the other way: management keys are not standard keys.
	r := h.tokenRequest(t, m.ClientID, m.ClientSecret.Reveal(), unit.SubscriptionKey.Reveal(), false)
	assertOAuthError(t, r, "invalid_client", "management keys on POST /accesstoken/get")
}

// Management operations accept either flow: the specialized token needs no
// subscription key and ignores one sent along; the standard token still
// needs a live one (gateway 401).
func TestConformanceManagementBothFlows(t *testing.T) {
	h := newHarness(t)
	partner, mgmt := h.partner(t), h.management(t)
	order := prefilled(t, h)
	ops := []struct{ method, path string }{
		{"GET", pathSalesUnit},
		{"GET", pathSalesUnit + "/" + portaltest.ProductionMSN},
		{"GET", merchantPath(portaltest.DefaultMerchantID)},
		{"GET", merchantPath(portaltest.DefaultMerchantID) + "/sales-units"},
		{"GET", pathPackages},
		{"POST", pathOrders},
		{"GET", pathOrdersV2},
		{"GET", orderDetailsPath(order)},
		{"DELETE", pathOrders + "/" + order},
	}
	for _, op := range ops {
		var body any
		if op.method == "POST" {
			body = orderBody(portaltest.DefaultMerchantID)
		}
		want := http.StatusOK
		if op.method == "POST" {
			want = http.StatusCreated
		}
		what := op.method + " " + op.path
		// Standard flow without a subscription key: the gateway answers.
		noKey := partner
		noKey.SubKey = ""
		assertGatewayError(t, h.do(t, noKey, op.method, op.path, body, nil), "standard token, no subscription key: %s", what)
		badKey := partner
		badKey.SubKey = "00000000000000000000000000000000"
		assertGatewayError(t, h.do(t, badKey, op.method, op.path, body, nil), "standard token, dead subscription key: %s", what)

		if op.method != "DELETE" { // the order can be deleted once
			assert.Equal(t, want, h.do(t, partner, op.method, op.path, body, nil).Status, "standard flow: %s", what)
		}
		// Specialized: a dead subscription key sent along is ignored.
		r := h.do(t, badKey.withToken(mgmt.Token), op.method, op.path, body, nil)
		assert.Equal(t, want, r.Status, "specialized flow with a dead subscription key: %s: %s", what, snippet(r.Raw))
		if op.method != "DELETE" {
			r = h.do(t, mgmt, op.method, op.path, body, nil)
			assert.Equal(t, want, r.Status, "specialized flow, no subscription key: %s: %s", what, snippet(r.Raw))
		}
	}
	// A live subscription key sent along does not turn the management keys into a portal user.
	admin := h.admin(t)
	withAdminKey := caller{Token: mgmt.Token, SubKey: admin.SubKey}
	assertProblem(t, h.get(t, withAdminKey, pathMe), 403, "not-a-portal-user")
	assertProblem(t, h.get(t, mgmt, pathMe), 403, "not-a-portal-user", "no gateway 401 for a specialized token on a portal operation")
	// The precedence holds for the new principal: path (400) before principal kind (403).
	bad := h.send(t, call{Method: http.MethodGet, Path: keysPath("12"), As: &mgmt, Invalid: true})
	assertProblem(t, bad, 400, "invalid-request", "a malformed MSN before not-a-portal-user")
	assertProblem(t, h.send(t, call{Method: http.MethodGet, Path: "/management/v1/nothing-here", As: &mgmt, Invalid: true}), 404, "not-found")
	// An unknown bearer without a subscription key is the gateway's (it cannot be told from a standard token).
	assertGatewayError(t, h.get(t, caller{Token: "not-a-token"}, pathSalesUnit))
}

func (c caller) withToken(tok string) caller {
	c.Token = tok
	return c
}

// "A partner's price packages and product orders are shared by its API
// client and its management keys"; the delete rule under the specialized flow.
func TestConformanceManagementKeysShareOrders(t *testing.T) {
	h := newHarness(t)
	partner, mgmt := h.partner(t), h.management(t)
	r := h.post(t, mgmt, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	id, _ := r.JSON()["prefilledOrderId"].(string)
	assert.Equal(t, http.StatusOK, h.get(t, partner, orderDetailsPath(id)).Status, "the API client sees the management keys' order")
	byPartner := prefilled(t, h)
	assert.Equal(t, http.StatusOK, h.get(t, mgmt, orderDetailsPath(byPartner)).Status, "and the other way")

	require.NoError(t, h.s.SetOrderStatus(byPartner, "ORDER_SUBMITTED"))
	assertProblem(t, h.do(t, mgmt, http.MethodDelete, pathOrders+"/"+byPartner, nil, nil), 400, "order-submitted",
		"deleting a submitted order is a 400 under either flow")
	assertProblem(t, h.do(t, partner, http.MethodDelete, pathOrders+"/"+byPartner, nil, nil), 400, "order-submitted")
	assert.Equal(t, http.StatusOK, h.do(t, partner, http.MethodDelete, pathOrders+"/"+id, nil, nil).Status)
}

// "specialized ones 15 minutes; the simulator issues ... 900 s", on the server clock.
func TestConformanceManagementTokenExpires(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	mgmt := h.management(t)
	clock.Advance(900*time.Second - time.Millisecond)
	assert.Equal(t, http.StatusOK, h.get(t, mgmt, pathSalesUnit).Status, "alive until 900 s")
	clock.Advance(time.Millisecond)
	assertProblem(t, h.get(t, mgmt, pathSalesUnit), 401, "invalid-token", "expired at 900 s, a Problem (not the gateway)")
}

// "The 202 of a create, and every 200 of getTestSalesUnitCreation while the
// creation is PENDING, carry Retry-After (delta-seconds, at least 1): the
// server's estimate of when it will be done" - exact on the server clock.
func TestConformanceCreationRetryAfterEstimate(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now), portaltest.WithProvisioningDelay(120*time.Second))
	admin := h.admin(t)
	key := newKey()
	r := h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Estimated"})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Raw)
	assert.Equal(t, "120", r.Header.Get("Retry-After"), "the 202 says the whole provisioning delay")
	id := decodeAs[creation](t, r).CreationID

	steps := []struct {
		advance time.Duration
		want    string
	}{
		{30*time.Second + 500*time.Millisecond, "90"}, // 89.5 s left, rounded up
		{59 * time.Second, "31"},                      // 30.5 s left
		{30 * time.Second, "1"},                       // 0.5 s left: at least 1
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		g := h.get(t, admin, creationPath(id))
		require.Equal(t, http.StatusOK, g.Status)
		require.Equal(t, "PENDING", g.JSON()["status"])
		assert.Equal(t, st.want, g.Header.Get("Retry-After"), "estimate %s after the create", clock.Now().Sub(t0))
	}
	// A replay of the 202 carries today's estimate, not the stored one.
	re := h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Estimated"})
	require.Equal(t, http.StatusAccepted, re.Status)
	assert.Equal(t, "true", re.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, "1", re.Header.Get("Retry-After"))

	clock.Advance(500 * time.Millisecond)
	done := h.get(t, admin, creationPath(id))
	require.Equal(t, "COMPLETED", done.JSON()["status"])
	assert.Empty(t, done.Header.Get("Retry-After"), "only a PENDING creation carries an estimate")
}

// With WithManualProvisioning no completion time is known: the estimate is
// the contract's minimum, 1 second, until the test completes the creation.
func TestConformanceCreationRetryAfterManual(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now), portaltest.WithManualProvisioning())
	admin := h.admin(t)
	c := h.createUnit(t, admin, unitRequest{Name: "On demand"})
	clock.Advance(30 * time.Minute) // long past any delay; the token lives an hour
	g := h.get(t, admin, creationPath(c.CreationID))
	assert.Equal(t, "1", g.Header.Get("Retry-After"))
	h.s.FailNextCreation("no luck")
	f := h.createUnit(t, admin, unitRequest{Name: "Fails"})
	h.s.CompleteAll()
	for _, id := range []string{c.CreationID, f.CreationID} {
		g := h.get(t, admin, creationPath(id))
		assert.NotEqual(t, "PENDING", g.JSON()["status"])
		assert.Empty(t, g.Header.Get("Retry-After"), "no estimate once done (COMPLETED or FAILED)")
	}
	// "provisioning-failed (status 500, only inside a FAILED creation)".
	failure, _ := h.get(t, admin, creationPath(f.CreationID)).JSON()["failure"].(map[string]any)
	if assert.NotNil(t, failure) {
		assert.Equal(t, problemPrefix+"provisioning-failed", failure["type"])
		assert.Equal(t, float64(500), failure["status"])
	}
}

// With the default provisioning (done at the next read) the estimate is the minimum.
func TestConformanceCreationRetryAfterDefault(t *testing.T) {
	h := newHarness(t)
	r := h.post(t, h.admin(t), pathTestUnits, "", unitRequest{Name: "Quick"})
	require.Equal(t, http.StatusAccepted, r.Status)
	assert.Equal(t, "1", r.Header.Get("Retry-After"))
}

// "the prefill's 201 ... carry application/json"; "Unknown fields in a
// Management request body are ignored, as at Vipps."
func TestConformanceManagementBodyConventions(t *testing.T) {
	h := newHarness(t)
	for _, as := range []caller{h.partner(t), h.management(t)} {
		r := h.post(t, as, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		assert.Equal(t, ctJSON, r.Header.Get("Content-Type"), "the prefill's 201")

		extra := orderBody(portaltest.DefaultMerchantID)
		extra["somethingVippsAddsLater"] = map[string]any{"x": 1}
		r = h.send(t, call{Method: http.MethodPost, Path: pathOrders, As: &as, IdemKey: newKey(), Body: extra, Invalid: true})
		assert.Equal(t, http.StatusCreated, r.Status, "an unknown field is ignored: %s", r.Raw)
	}
}

// "unavailable (502, 503, 504)".
func TestConformanceUnavailableStatuses(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	for _, status := range []int{502, 503, 504} {
		require.NoError(t, h.s.InjectFault(portaltest.Fault{Operation: portaltest.OpGetMe, Status: status}))
		assertProblem(t, h.get(t, admin, pathMe), status, "unavailable", strconv.Itoa(status))
	}
}
