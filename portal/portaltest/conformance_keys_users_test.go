package portaltest_test

// The contract's "Keys" and "Users" sections.

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

func regenerate(t testing.TB, h *harness, as caller, msn, key, idem string) (*response, keySet) {
	t.Helper()
	r := h.post(t, as, regenPath(msn), idem, map[string]string{"key": key})
	require.Equal(t, http.StatusOK, r.Status, "regenerate %s: %s", key, r.Raw)
	return r, decodeAs[keySet](t, r)
}

// "Regenerating a key replaces its value at once: an old clientId or
// clientSecret gets no more tokens (tokens already issued stay valid until they
// expire ...); an old subscription key is refused by the gateway. Regenerating
// clientId keeps the secret. ... updatedAt moves on every change."
func TestConformanceRegenerateEachKey(t *testing.T) {
	for _, key := range []string{"clientId", "clientSecret", "subscriptionKeyPrimary", "subscriptionKeySecondary"} {
		t.Run(key, func(t *testing.T) {
			clock := portaltest.NewManualClock(t0)
			h := newHarness(t, portaltest.WithClock(clock.Now))
			admin := h.admin(t)
			msn := portaltest.ProductionMSN
			old := decodeAs[keySet](t, h.get(t, admin, keysPath(msn)))
			assertKeyFormats(t, old)
			assert.Equal(t, "production", old.Environment)

			// Tokens issued before, with the primary and with the secondary key.
			unitTok := h.token(t, vipps.Credentials{ClientID: old.ClientID, ClientSecret: vipps.Secret(old.ClientSecret), SubscriptionKey: vipps.Secret(old.SubscriptionKeyPrimary)})
			before := caller{Token: unitTok, SubKey: admin.SubKey}
			require.Equal(t, http.StatusOK, h.get(t, before, pathSalesUnit+"/"+msn).Status)

			clock.Advance(time.Minute)
			_, nu := regenerate(t, h, admin, msn, key, "")
			assertKeyFormats(t, nu)
			assert.True(t, parseTime(t, nu.UpdatedAt).After(parseTime(t, old.UpdatedAt)), "updatedAt moves: %s -> %s", old.UpdatedAt, nu.UpdatedAt)
			assert.True(t, parseTime(t, nu.UpdatedAt).Equal(t0.Add(time.Minute)), "updatedAt on the server clock")

			changed := map[string][2]string{
				"clientId":                 {old.ClientID, nu.ClientID},
				"clientSecret":             {old.ClientSecret, nu.ClientSecret},
				"subscriptionKeyPrimary":   {old.SubscriptionKeyPrimary, nu.SubscriptionKeyPrimary},
				"subscriptionKeySecondary": {old.SubscriptionKeySecondary, nu.SubscriptionKeySecondary},
			}
			for name, v := range changed {
				if name == key {
					assert.NotEqual(t, v[0], v[1], "%s replaced", name)
				} else {
					assert.Equal(t, v[0], v[1], "%s kept", name)
				}
			}
			assert.Equal(t, nu, decodeAs[keySet](t, h.get(t, admin, keysPath(msn))), "getKeys answers the new set")
			if ks, ok := h.s.UnitKeys(msn); assert.True(t, ok) {
				assert.Equal(t, nu.ClientID, ks.ClientID)
				assert.Equal(t, nu.SubscriptionKeyPrimary, ks.SubscriptionKeyPrimary)
			}

			// The token issued before still works (until it expires).
			assert.Equal(t, http.StatusOK, h.get(t, before, pathSalesUnit+"/"+msn).Status, "an issued token stays valid")

			// The new set gets tokens, with either subscription key.
			for _, sk := range []string{nu.SubscriptionKeyPrimary, nu.SubscriptionKeySecondary} {
				r := h.tokenRequest(t, nu.ClientID, nu.ClientSecret, sk, false)
				assert.Equal(t, http.StatusOK, r.Status, "new set, subscription key %s...: %s", sk[:4], r.Raw)
			}

			switch key {
			case "clientId":
				assertOAuthError(t, h.tokenRequest(t, old.ClientID, old.ClientSecret, nu.SubscriptionKeyPrimary, false), "invalid_client", "old clientId")
			case "clientSecret":
				assertOAuthError(t, h.tokenRequest(t, old.ClientID, old.ClientSecret, nu.SubscriptionKeyPrimary, false), "invalid_client", "old clientSecret")
			case "subscriptionKeyPrimary", "subscriptionKeySecondary":
				oldKey := changed[key][0]
				assertGatewayError(t, h.tokenRequest(t, nu.ClientID, nu.ClientSecret, oldKey, false), "old subscription key at the token endpoint")
				assertGatewayError(t, h.get(t, caller{Token: admin.Token, SubKey: oldKey}, pathMe), "old subscription key with any token")
				assertGatewayError(t, h.get(t, caller{Token: unitTok, SubKey: oldKey}, pathSalesUnit), "old subscription key with the unit's token")
			}
		})
	}
}

// "A replay of a regenerate answers the key set as it was then."
func TestConformanceRegenerateReplay(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	admin := h.admin(t)
	msn := portaltest.TestMSN
	key := newKey()
	clock.Advance(time.Second)
	first, a := regenerate(t, h, admin, msn, "clientSecret", key)
	clock.Advance(time.Second)
	_, b := regenerate(t, h, admin, msn, "clientSecret", "")
	require.NotEqual(t, a.ClientSecret, b.ClientSecret)
	effects := h.s.Effects(portaltest.OpRegenerateKey)

	replay := h.post(t, admin, regenPath(msn), key, map[string]string{"key": "clientSecret"})
	assertReplay(t, first, replay)
	assert.Equal(t, a, decodeAs[keySet](t, replay), "the key set as it was then")
	assert.Equal(t, effects, h.s.Effects(portaltest.OpRegenerateKey), "no work done")
	assert.Equal(t, b, decodeAs[keySet](t, h.get(t, admin, keysPath(msn))), "the current set is untouched")
	assertProblem(t, h.post(t, admin, regenPath(msn), key, map[string]string{"key": "clientId"}), 409, "idempotency-key-reused")
}

// Regenerate request validation: unknown key name, extra properties.
func TestConformanceRegenerateValidation(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	state := h.s.State()
	for _, body := range []string{`{"key":"password"}`, `{}`, `{"key":"clientId","also":"clientSecret"}`, `{"key":null}`} {
		r := h.send(t, call{Method: http.MethodPost, Path: regenPath(portaltest.ProductionMSN), As: &admin, IdemKey: newKey(), Body: body, Invalid: true})
		assertProblem(t, r, 400, "invalid-request", body)
	}
	assert.Equal(t, state, h.s.State())
}

// "Invited users get a UUID userId and stay INVITED"; "A phone number already
// among the merchant's users is a 409 user-exists."
func TestConformanceInviteUser(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	admin := h.admin(t)
	r := h.post(t, admin, pathUsers, "", map[string]string{"phoneNumber": "+4798000001", "name": "Nora New", "email": "nora@example.com", "role": "SALES_UNIT_MANAGER"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	u := decodeAs[user](t, r)
	assert.Regexp(t, uuidRE, u.UserID)
	assert.Equal(t, "INVITED", u.Status)
	assert.Equal(t, "SALES_UNIT_MANAGER", u.Role)
	assert.Equal(t, "+4798000001", u.PhoneNumber)
	assert.Equal(t, "Nora New", u.Name)
	assert.Empty(t, u.SalesUnits)
	assert.True(t, parseTime(t, u.CreatedAt).Equal(t0))
	assert.Equal(t, 1, h.s.Effects(portaltest.OpInviteUser))

	got := h.get(t, admin, userPath(u.UserID))
	require.Equal(t, http.StatusOK, got.Status)
	assert.Equal(t, u, decodeAs[user](t, got))
	assert.Equal(t, "INVITED", decodeAs[user](t, h.get(t, admin, userPath(u.UserID))).Status, "stays INVITED")

	for _, phone := range []string{"+4798000001", "+4791234567", "+4793456789"} {
		assertProblem(t, h.post(t, admin, pathUsers, "", map[string]string{"phoneNumber": phone, "name": "Dup", "role": "ASSISTANT"}), 409, "user-exists", phone)
	}
	assert.Equal(t, 1, h.s.Effects(portaltest.OpInviteUser))

	// Another merchant may have a user with the same phone number.
	other := h.as(t, h.s.UserCredentials(portaltest.OtherAdminUserID))
	assert.Equal(t, http.StatusCreated, h.post(t, other, pathUsers, "", map[string]string{"phoneNumber": "+4798000001", "name": "Nora Elsewhere", "role": "ASSISTANT"}).Status,
		"the rule is per merchant")

	for _, body := range []string{
		`{"phoneNumber":"4798000002","name":"x","role":"ASSISTANT"}`,
		`{"phoneNumber":"+0798000002","name":"x","role":"ASSISTANT"}`,
		`{"phoneNumber":"+4798000002","name":"x","role":"OWNER"}`,
		`{"phoneNumber":"+4798000002","name":"x"}`,
		`{"phoneNumber":"+4798000002","name":"x","role":"ASSISTANT","extra":true}`,
	} {
		r := h.send(t, call{Method: http.MethodPost, Path: pathUsers, As: &admin, IdemKey: newKey(), Body: body, Invalid: true})
		assertProblem(t, r, 400, "invalid-request", body)
	}
}

// "Removing a user deletes its grants and its API client: the client's
// subscription key is then refused by the gateway (401 GatewayError), its
// credentials get no token (401 invalid_client), and its tokens, presented with
// another live subscription key, answer 401 token-revoked."
func TestConformanceRemoveUser(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	devCreds := h.s.UserCredentials(portaltest.DeveloperUserID)
	dev := h.as(t, devCreds)
	require.Equal(t, http.StatusOK, h.get(t, dev, pathMe).Status)

	r := h.do(t, admin, http.MethodDelete, userPath(portaltest.DeveloperUserID), nil, nil)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Raw)
	assert.Empty(t, r.Raw, "204 has no body")

	assertGatewayError(t, h.get(t, dev, pathMe), "its subscription key is refused")
	assertGatewayError(t, h.tokenRequest(t, devCreds.ClientID, devCreds.ClientSecret.Reveal(), devCreds.SubscriptionKey.Reveal(), false), "its subscription key at the token endpoint")
	assertOAuthError(t, h.tokenRequest(t, devCreds.ClientID, devCreds.ClientSecret.Reveal(), admin.SubKey, false), "invalid_client", "its credentials get no token")
	revoked := caller{Token: dev.Token, SubKey: admin.SubKey}
	assertProblem(t, h.get(t, revoked, pathMe), 401, "token-revoked")
	assertProblem(t, h.get(t, revoked, pathSalesUnit), 401, "token-revoked", "on the Management group too")
	assertProblem(t, h.get(t, admin, userPath(portaltest.DeveloperUserID)), 404, "not-found")

	// Grants deleted: its old DEVELOPER on the seeded test unit is gone.
	var listed []string
	for _, p := range decodeAs[page[user]](t, h.get(t, admin, pathUsers+"?pageSize=100")).Items {
		listed = append(listed, p.UserID)
	}
	assert.Contains(t, listed, portaltest.AdminUserID, "the other users are listed")
	assert.NotContains(t, listed, portaltest.DeveloperUserID, "removed users are not listed")
	// Roles change by removing and inviting again: the phone number is free.
	re := h.post(t, admin, pathUsers, "", map[string]string{"phoneNumber": "+4792345678", "name": "Dev Again", "role": "ADMINISTRATOR"})
	require.Equal(t, http.StatusCreated, re.Status, "%s", re.Raw)
	assert.Empty(t, decodeAs[user](t, re).SalesUnits, "a new invitation starts with no grants")
	assertProblem(t, h.do(t, admin, http.MethodDelete, userPath(portaltest.DeveloperUserID), nil, nil), 404, "not-found", "removing twice")
}

// "Removing the last ACTIVE ADMINISTRATOR is a 409 last-administrator;
// removing yourself is otherwise allowed."
func TestConformanceLastAdministrator(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	state := h.s.State()
	assertProblem(t, h.do(t, admin, http.MethodDelete, userPath(portaltest.AdminUserID), nil, nil), 409, "last-administrator")
	assert.Equal(t, state, h.s.State())

	inv := h.post(t, admin, pathUsers, "", map[string]string{"phoneNumber": "+4798000010", "name": "Second Admin", "role": "ADMINISTRATOR"})
	require.Equal(t, http.StatusCreated, inv.Status)
	second := decodeAs[user](t, inv).UserID
	assertProblem(t, h.do(t, admin, http.MethodDelete, userPath(portaltest.AdminUserID), nil, nil), 409, "last-administrator",
		"an INVITED administrator does not count")

	require.NoError(t, h.s.ActivateUser(second))
	assert.Equal(t, "ACTIVE", decodeAs[user](t, h.get(t, admin, userPath(second))).Status)
	r := h.do(t, admin, http.MethodDelete, userPath(portaltest.AdminUserID), nil, nil)
	assert.Equal(t, http.StatusNoContent, r.Status, "removing yourself is allowed when another ACTIVE administrator remains: %s", r.Raw)
	assertGatewayError(t, h.get(t, admin, pathMe), "and its own subscription key is then refused")

	secondAdmin := h.as(t, h.s.UserCredentials(second))
	assertProblem(t, h.do(t, secondAdmin, http.MethodDelete, userPath(second), nil, nil), 409, "last-administrator")
}

// "Revoking on a unit of the merchant that the user holds nothing on is a 204.
// grantedAt changes only when the set changes."
func TestConformanceGrantsAndRevokes(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	admin := h.admin(t)
	grant := func(perms ...string) access {
		t.Helper()
		r := h.do(t, admin, http.MethodPut, grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), map[string][]string{"permissions": perms}, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		return decodeAs[access](t, r)
	}

	state := h.s.State()
	r := h.do(t, admin, http.MethodDelete, grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), nil, nil)
	assert.Equal(t, http.StatusNoContent, r.Status, "revoking nothing is a 204")
	assert.Equal(t, state, h.s.State(), "and changes nothing")

	clock.Advance(time.Minute)
	a1 := grant("DEVELOPER")
	assert.Equal(t, portaltest.ProductionMSN, a1.MSN)
	assert.Equal(t, []string{"DEVELOPER"}, a1.Permissions)
	assert.True(t, parseTime(t, a1.GrantedAt).Equal(t0.Add(time.Minute)))

	clock.Advance(time.Minute)
	a2 := grant("DEVELOPER")
	assert.Equal(t, a1.GrantedAt, a2.GrantedAt, "the same set again: grantedAt unchanged")

	clock.Advance(time.Minute)
	a3 := grant("TRANSACTION_MANAGEMENT", "DEVELOPER")
	assert.ElementsMatch(t, []string{"DEVELOPER", "TRANSACTION_MANAGEMENT"}, a3.Permissions)
	assert.True(t, parseTime(t, a3.GrantedAt).Equal(t0.Add(3*time.Minute)), "a changed set: grantedAt moves")

	clock.Advance(time.Minute)
	a4 := grant("DEVELOPER", "TRANSACTION_MANAGEMENT")
	assert.Equal(t, a3.GrantedAt, a4.GrantedAt, "the same set in another order is the same set")

	u := decodeAs[user](t, h.get(t, admin, userPath(portaltest.AssistantUserID)))
	var onUnit *access
	for i := range u.SalesUnits {
		if u.SalesUnits[i].MSN == portaltest.ProductionMSN {
			onUnit = &u.SalesUnits[i]
		}
	}
	if assert.NotNil(t, onUnit) {
		assert.ElementsMatch(t, a4.Permissions, onUnit.Permissions)
		assert.Equal(t, a4.GrantedAt, onUnit.GrantedAt)
	}

	r = h.do(t, admin, http.MethodDelete, grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), nil, nil)
	assert.Equal(t, http.StatusNoContent, r.Status)
	u = decodeAs[user](t, h.get(t, admin, userPath(portaltest.AssistantUserID)))
	var held []string
	for _, a := range u.SalesUnits {
		held = append(held, a.MSN)
	}
	assert.Contains(t, held, portaltest.SecondProductionMSN, "its other grant stays")
	assert.NotContains(t, held, portaltest.ProductionMSN, "revoked")

	// A unit that the caller's merchant does not own is a 404; so is an unknown user.
	assertProblem(t, h.do(t, admin, http.MethodPut, grantPath(portaltest.AssistantUserID, portaltest.OtherMSN), map[string][]string{"permissions": {"DEVELOPER"}}, nil), 404, "not-found")
	assertProblem(t, h.do(t, admin, http.MethodDelete, grantPath(portaltest.AssistantUserID, portaltest.OtherMSN), nil, nil), 404, "not-found")
	assertProblem(t, h.do(t, admin, http.MethodPut, grantPath("ghost", portaltest.ProductionMSN), map[string][]string{"permissions": {"DEVELOPER"}}, nil), 404, "not-found")
	assertProblem(t, h.do(t, admin, http.MethodPut, grantPath(portaltest.OtherAdminUserID, portaltest.ProductionMSN), map[string][]string{"permissions": {"DEVELOPER"}}, nil), 404, "not-found")

	for _, body := range []string{`{"permissions":[]}`, `{"permissions":["DEVELOPER","DEVELOPER"]}`, `{"permissions":["OWNER"]}`, `{}`} {
		r := h.send(t, call{Method: http.MethodPut, Path: grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), As: &admin, Body: body, Invalid: true})
		assertProblem(t, r, 400, "invalid-request", body)
	}
}

// /portal/v1/me names the user the token acts as.
func TestConformanceMe(t *testing.T) {
	h := newHarness(t)
	for id, role := range map[string]string{portaltest.AdminUserID: "ADMINISTRATOR", portaltest.DeveloperUserID: "SALES_UNIT_MANAGER", portaltest.AssistantUserID: "ASSISTANT"} {
		as := h.as(t, h.s.UserCredentials(id))
		r := h.get(t, as, pathMe)
		require.Equal(t, http.StatusOK, r.Status)
		m := r.JSON()
		assert.Equal(t, id, m["userId"])
		assert.Equal(t, role, m["role"])
		merchant, _ := m["merchant"].(map[string]any)
		assert.Equal(t, map[string]any{"scheme": portaltest.DefaultMerchantScheme, "id": portaltest.DefaultMerchantID}, merchant["businessIdentifier"])
		assert.Equal(t, "ACME Fantastic Fitness", merchant["name"])
	}
}
