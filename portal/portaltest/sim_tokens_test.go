package portaltest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSimTokenBodyIsAllStrings(t *testing.T) {
	s := newSim(t)
	r := s.tokenFor(s.admin())
	expect(t, r, 200, "")
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"token_type", "expires_in", "ext_expires_in", "expires_on", "not_before", "resource", "access_token"} {
		if _, ok := m[k].(string); !ok {
			t.Errorf("%s is %T, want string", k, m[k])
		}
	}
	if m["expires_in"] != "3600" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("expires_in %v, content type %q", m["expires_in"], r.header.Get("Content-Type"))
	}
}

func TestSimTokenEndpointOrder(t *testing.T) {
	s := newSim(t)
	c := s.admin()
	// Gateway first, even with bad credentials.
	r := s.raw("POST", "/accesstoken/get", nil, map[string]string{"client_id": "x", "client_secret": "y", "Ocp-Apim-Subscription-Key": "nope"})
	expect(t, r, 401, "")
	if r.json()["statusCode"] != float64(401) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("not a GatewayError: %s", r.body)
	}
	// Then headers: a missing client_secret is a 400.
	r = s.raw("POST", "/accesstoken/get", nil, map[string]string{"client_id": c.ClientID, "Ocp-Apim-Subscription-Key": c.SubscriptionKey.Reveal()})
	expect(t, r, 400, pInvalidRequest)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	// Then credentials: OAuthError.
	r = s.raw("POST", "/accesstoken/get", nil, map[string]string{"client_id": c.ClientID, "client_secret": "wrong", "Ocp-Apim-Subscription-Key": c.SubscriptionKey.Reveal()})
	expect(t, r, 401, "")
	if r.json()["error"] != "invalid_client" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("not an OAuthError: %s", r.body)
	}
	// Any live subscription key passes the gateway.
	mixed := c
	mixed.SubscriptionKey = s.partner().SubscriptionKey
	expect(t, s.tokenFor(mixed), 200, "")
}

func TestSimTokensExpireOnServerClock(t *testing.T) {
	s := newSim(t)
	expect(t, s.call(s.admin(), "GET", "/portal/v1/me", nil), 200, "")
	s.clock.Advance(time.Hour - time.Second)
	expect(t, s.call(s.admin(), "GET", "/portal/v1/me", nil), 200, "")
	s.clock.Advance(time.Second)
	expect(t, s.call(s.admin(), "GET", "/portal/v1/me", nil), 401, pInvalidToken)
}

func TestSimRequestPrecedence(t *testing.T) {
	s := newSim(t)
	admin := s.admin()
	expect(t, s.raw("GET", "/portal/v1/nothing", nil, nil), 404, pNotFound)
	expect(t, s.raw("DELETE", "/portal/v1/me", nil, nil), 405, pMethodNotAllowed)
	// Gateway before token.
	r := s.raw("GET", "/portal/v1/me", nil, map[string]string{"Authorization": "Bearer nope"})
	if r.status != 401 || r.json()["statusCode"] != float64(401) {
		t.Fatalf("want GatewayError: %d %s", r.status, r.body)
	}
	expect(t, s.raw("GET", "/portal/v1/me", nil, map[string]string{"Authorization": "Bearer nope", "Ocp-Apim-Subscription-Key": admin.SubscriptionKey.Reveal()}), 401, pInvalidToken)
	// Headers before the principal check.
	long := strings.Repeat("é", 31)
	expect(t, s.call(s.partner(), "GET", "/portal/v1/me", nil, "Vipps-System-Name", long), 400, pInvalidRequest)
	expect(t, s.call(s.partner(), "GET", "/portal/v1/me", nil, "Vipps-System-Name", strings.Repeat("é", 30)), 403, pNotAPortalUser)
	expect(t, s.call(admin, "GET", "/portal/v1/me", nil, "Merchant-Serial-Number", "12"), 400, pInvalidRequest)
	// Path before principal, principal before resource, resource before permission.
	expect(t, s.call(s.partner(), "GET", "/portal/v1/sales-units/12/keys", nil), 400, pInvalidRequest)
	expect(t, s.call(s.partner(), "GET", "/portal/v1/sales-units/999999/keys", nil), 403, pNotAPortalUser)
	as := s.UserCredentials(AssistantUserID)
	expect(t, s.call(as, "GET", "/portal/v1/sales-units/999999/keys", nil), 404, pNotFound)
	expect(t, s.call(as, "GET", "/portal/v1/sales-units/"+OtherMSN+"/keys", nil), 404, pNotFound)
	expect(t, s.call(as, "GET", "/portal/v1/sales-units/"+ProductionMSN+"/keys", nil), 403, pKeysHidden)
	// Operation 405 after the resource check.
	expect(t, s.call(admin, "PATCH", "/portal/v1/test-sales-units/999999", nil), 404, pNotFound)
	expect(t, s.call(admin, "PATCH", "/portal/v1/test-sales-units/"+TestMSN, nil), 405, pImmutable)
	// Management content type.
	r = s.call(admin, "GET", "/management/v1/sales-units", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Fatalf("%d %q", r.status, r.header.Get("Content-Type"))
	}
}

func TestSimBodyTooLarge(t *testing.T) {
	s := newSim(t)
	before := s.State()
	big := `{"name":"` + strings.Repeat("a", maxBody) + `"}`
	expect(t, s.call(s.admin(), "POST", "/portal/v1/test-sales-units", big, "Idempotency-Key", "k1"), 413, pBodyTooLarge)
	after := s.State()
	after.IssuedTokens = before.IssuedTokens
	if !equalJSON(before, after) {
		t.Fatal("a refused request changed state")
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// Expired tokens and stored answers past 24 hours are forgotten, so memory
// follows what is live; what a client sees does not change: an expired
// token, forgotten or not, is a 401 invalid-token (a specialized one too,
// never the gateway's 401), and a key past its retention is unused.
func TestSimForgetsWhatExpired(t *testing.T) {
	s := newSim(t)
	m := s.ManagementCredentials(PartnerID)
	old := s.managementToken(m)
	for range 20 {
		expect(t, s.tokenFor(s.admin()), 200, "")
	}
	invite := func(key, phone string) res {
		return s.call(s.admin(), "POST", "/portal/v1/users", map[string]string{"phoneNumber": phone, "name": "N", "role": "ASSISTANT"}, "Idempotency-Key", key)
	}
	expect(t, invite("k1", "+4790000001"), 201, "")
	expect(t, invite("k2", "+4790000002"), 201, "")
	sizes := func() (int, int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.st.tokens), len(s.st.idem)
	}
	if tokens, idem := sizes(); tokens != 22 || idem != 2 {
		t.Fatalf("before expiry: %d tokens, %d stored answers; want 22 and 2", tokens, idem)
	}

	s.clock.Advance(time.Hour)
	s.tokens = map[string]string{}
	expect(t, s.call(s.admin(), "GET", "/portal/v1/me", nil), 200, "") // a fresh token
	if tokens, idem := sizes(); tokens != 1 || idem != 2 {
		t.Fatalf("an hour later: %d tokens, %d stored answers; want only the new token and both answers", tokens, idem)
	}
	r := s.raw("GET", "/management/v1/sales-units", nil, map[string]string{"Authorization": "Bearer " + old})
	expect(t, r, 401, pInvalidToken)
	if !strings.HasPrefix(old, specializedPrefix) {
		t.Fatalf("a specialized token is known by its form: %.5s...", old)
	}

	s.clock.Advance(23 * time.Hour)
	s.tokens = map[string]string{}
	replay := invite("k1", "+4790000001")
	expect(t, replay, 409, pUserExists) // the key is unused again: the invite runs, and the user exists
	if replay.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a key past its 24 hours replays")
	}
	if _, idem := sizes(); idem != 1 {
		t.Fatalf("a day later: %d stored answers, want only the new one", idem)
	}
}
