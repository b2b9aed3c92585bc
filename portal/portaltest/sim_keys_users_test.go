package portaltest

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestSimRegenerateEffects(t *testing.T) {
	s := newSim(t)
	old := s.UnitCredentials(ProductionMSN)
	oldTok := s.token(old) // issued before the change; call(old, ...) below presents it
	path := "/portal/v1/sales-units/" + ProductionMSN + "/keys/regenerate"
	before := s.call(s.admin(), "GET", "/portal/v1/sales-units/"+ProductionMSN+"/keys", nil).json()

	s.clock.Advance(time.Minute)
	r := s.call(s.admin(), "POST", path, map[string]string{"key": "clientSecret"}, "Idempotency-Key", "k1")
	expect(t, r, 200, "")
	if r.json()["clientSecret"] == old.ClientSecret || r.json()["updatedAt"] == before["updatedAt"] {
		t.Fatalf("secret or updatedAt unchanged: %s", r.body)
	}
	expect(t, s.tokenFor(old), 401, "")                                       // old secret: no token
	expect(t, s.call(old, "GET", "/management/v1/sales-units", nil), 200, "") // issued token lives
	// Replay answers the set as it was then, even after later changes.
	r2 := s.call(s.admin(), "POST", path, map[string]string{"key": "clientId"}, "Idempotency-Key", "k2")
	expect(t, r2, 200, "")
	if r2.json()["clientSecret"] != r.json()["clientSecret"] || r2.json()["clientId"] == r.json()["clientId"] {
		t.Fatal("regenerating clientId must keep the secret")
	}
	replay := s.call(s.admin(), "POST", path, map[string]string{"key": "clientSecret"}, "Idempotency-Key", "k1")
	if string(replay.body) != string(r.body) {
		t.Fatal("replay does not answer the set as it was")
	}
	// Subscription keys: the old one is refused by the gateway at once.
	r3 := s.call(s.admin(), "POST", path, map[string]string{"key": "subscriptionKeyPrimary"}, "Idempotency-Key", "k3")
	expect(t, r3, 200, "")
	gw := s.raw("GET", "/management/v1/sales-units", nil, map[string]string{"Authorization": "Bearer " + oldTok, "Ocp-Apim-Subscription-Key": old.SubscriptionKey.Reveal()})
	if gw.status != 401 || gw.json()["statusCode"] != float64(401) {
		t.Fatalf("old subscription key still passes: %d %s", gw.status, gw.body)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(r3.json()["subscriptionKeyPrimary"].(string)) {
		t.Fatal("subscription key format")
	}
	if s.Effects(OpRegenerateKey) != 3 {
		t.Fatalf("effects %d", s.Effects(OpRegenerateKey))
	}
	// Bad bodies: unknown field, bad enum.
	expect(t, s.call(s.admin(), "POST", path, `{"key":"clientId","x":1}`, "Idempotency-Key", "k4"), 400, pInvalidRequest)
	expect(t, s.call(s.admin(), "POST", path, `{"key":"nope"}`, "Idempotency-Key", "k4"), 400, pInvalidRequest)
	expect(t, s.call(s.UserCredentials(AssistantUserID), "POST", path, `{"key":"clientId"}`, "Idempotency-Key", "k4"), 403, pKeysHidden)
}

func TestSimUsersLifecycle(t *testing.T) {
	s := newSim(t)
	admin := s.admin()
	r := s.call(admin, "POST", "/portal/v1/users", map[string]string{"phoneNumber": "+4790000001", "name": "New Person", "role": "ASSISTANT"}, "Idempotency-Key", "i1")
	expect(t, r, 201, "")
	id := r.json()["userId"].(string)
	if !reUUID.MatchString(id) || r.json()["status"] != "INVITED" {
		t.Fatalf("invite: %s", r.body)
	}
	expect(t, s.call(admin, "POST", "/portal/v1/users", map[string]string{"phoneNumber": "+4790000002", "name": " padded", "role": "ASSISTANT"}, "Idempotency-Key", "i2"), 400, pInvalidRequest)
	expect(t, s.call(admin, "POST", "/portal/v1/users", map[string]string{"phoneNumber": "+4790000002", "name": "Ctl\u0007", "role": "ASSISTANT"}, "Idempotency-Key", "i2"), 400, pInvalidRequest)
	if err := s.ActivateUser(id); err != nil {
		t.Fatal(err)
	}

	// Grant: grantedAt changes only when the set changes.
	gp := "/portal/v1/users/" + id + "/sales-units/" + ProductionMSN
	g1 := s.call(admin, "PUT", gp, map[string][]string{"permissions": {"DEVELOPER"}})
	expect(t, g1, 200, "")
	s.clock.Advance(time.Minute)
	g2 := s.call(admin, "PUT", gp, map[string][]string{"permissions": {"DEVELOPER"}})
	if g2.json()["grantedAt"] != g1.json()["grantedAt"] {
		t.Fatal("grantedAt moved without a change")
	}
	g3 := s.call(admin, "PUT", gp, map[string][]string{"permissions": {"TRANSACTION_MANAGEMENT", "DEVELOPER"}})
	if g3.json()["grantedAt"] == g1.json()["grantedAt"] {
		t.Fatal("grantedAt did not move")
	}
	expect(t, s.call(admin, "PUT", gp, map[string][]string{"permissions": {}}), 400, pInvalidRequest)
	expect(t, s.call(admin, "PUT", gp, map[string][]string{"permissions": {"DEVELOPER", "DEVELOPER"}}), 400, pInvalidRequest)
	expect(t, s.call(admin, "DELETE", "/portal/v1/users/"+id+"/sales-units/"+SecondProductionMSN, nil), 204, "")
	expect(t, s.call(admin, "PUT", "/portal/v1/users/"+id+"/sales-units/"+OtherMSN, map[string][]string{"permissions": {"DEVELOPER"}}), 404, pNotFound)

	// Remove: gateway refuses its key, no more tokens, its tokens are revoked.
	creds := s.UserCredentials(id)
	s.token(creds)
	expect(t, s.call(admin, "DELETE", "/portal/v1/users/"+id, nil), 204, "")
	expect(t, s.call(admin, "GET", "/portal/v1/users/"+id, nil), 404, pNotFound)
	if gw := s.raw("POST", "/accesstoken/get", nil, map[string]string{"client_id": creds.ClientID, "client_secret": creds.ClientSecret.Reveal(), "Ocp-Apim-Subscription-Key": creds.SubscriptionKey.Reveal()}); gw.json()["statusCode"] != float64(401) {
		t.Fatalf("removed user's subscription key passes: %s", gw.body)
	}
	withOther := creds
	withOther.SubscriptionKey = admin.SubscriptionKey
	if r := s.tokenFor(withOther); r.status != 401 || r.json()["error"] != "invalid_client" {
		t.Fatalf("removed user's credentials: %d %s", r.status, r.body)
	}
	revoked := s.raw("GET", "/portal/v1/me", nil, map[string]string{"Authorization": "Bearer " + s.token(creds), "Ocp-Apim-Subscription-Key": admin.SubscriptionKey.Reveal()})
	expect(t, revoked, 401, pTokenRevoked)

	// The last ACTIVE ADMINISTRATOR cannot go; removing yourself otherwise can.
	expect(t, s.call(admin, "DELETE", "/portal/v1/users/"+AdminUserID, nil), 409, pLastAdministrator)
	expect(t, s.call(s.dev(), "DELETE", "/portal/v1/users/"+AdminUserID, nil), 403, pAdminRequired)
}

func TestSimPagingStable(t *testing.T) {
	s := newSim(t)
	admin := s.admin()
	for i := range 7 {
		s.clock.Advance(time.Second)
		r := s.call(admin, "POST", "/portal/v1/users", map[string]string{"phoneNumber": fmt.Sprintf("+47911000%02d", i), "name": fmt.Sprintf("U%d", i), "role": "ASSISTANT"}, "Idempotency-Key", fmt.Sprintf("p%d", i))
		expect(t, r, 201, "")
	}
	seen := map[string]int{}
	var all []string
	tok := ""
	for page := 0; ; page++ {
		size := 2 + page%2 // pageSize may change between pages
		r := s.call(admin, "GET", fmt.Sprintf("/portal/v1/users?pageSize=%d&pageToken=%s", size, tok), nil)
		expect(t, r, 200, "")
		items := r.json()["items"].([]any)
		for _, it := range items {
			id := it.(map[string]any)["userId"].(string)
			seen[id]++
			all = append(all, id)
		}
		if page == 1 {
			// Remove one already listed, add one at the end.
			expect(t, s.call(admin, "DELETE", "/portal/v1/users/"+all[1], nil), 204, "")
			s.clock.Advance(time.Second)
			expect(t, s.call(admin, "POST", "/portal/v1/users", map[string]string{"phoneNumber": "+4791200000", "name": "Late", "role": "ASSISTANT"}, "Idempotency-Key", "late"), 201, "")
		}
		next, ok := r.json()["nextPageToken"].(string)
		if !ok {
			break
		}
		if len(items) == 0 {
			t.Fatal("empty page before the last")
		}
		tok = next
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s listed %d times", id, n)
		}
	}
	if len(seen) != 3+7+1 {
		t.Fatalf("listed %d users: %v", len(seen), all)
	}
	expect(t, s.call(admin, "GET", "/portal/v1/users?pageToken=garbage", nil), 400, pInvalidPageToken)
	expect(t, s.call(admin, "GET", "/portal/v1/users?pageSize=0", nil), 400, pInvalidRequest)
	expect(t, s.call(admin, "GET", "/portal/v1/users?pageSize=101", nil), 400, pInvalidRequest)
	first := s.call(admin, "GET", "/portal/v1/users?pageSize=1", nil).json()["nextPageToken"].(string)
	expect(t, s.call(admin, "GET", "/portal/v1/test-sales-units/creations?pageToken="+first, nil), 400, pInvalidPageToken)
	expect(t, s.call(s.UserCredentials(OtherAdminUserID), "GET", "/portal/v1/users?pageToken="+first, nil), 400, pInvalidPageToken)
	s.clock.Advance(365 * 24 * time.Hour)
	s.tokens = map[string]string{}
	expect(t, s.call(admin, "GET", "/portal/v1/users?pageToken="+first, nil), 200, "")
}
