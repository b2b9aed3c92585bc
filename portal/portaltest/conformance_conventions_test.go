package portaltest_test

// Rules of the contract's "Conventions" section, asserted over HTTP.

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// "every field of the 200 body is a string"; "Tokens live 3600 s (expires_in)".
func TestConformanceTokenFieldsAreStrings(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	creds := map[string]vipps.Credentials{
		"admin":   h.s.UserCredentials(portaltest.AdminUserID),
		"partner": h.s.PartnerCredentials(portaltest.PartnerID),
		"unit":    h.s.UnitCredentials(portaltest.ProductionMSN),
	}
	for name, c := range creds {
		t.Run(name, func(t *testing.T) {
			r := h.tokenRequest(t, c.ClientID, c.ClientSecret.Reveal(), c.SubscriptionKey.Reveal(), false)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
			assert.Equal(t, ctJSON, mediaType(r.Header.Get("Content-Type")))
			var raw map[string]any
			require.NoError(t, json.Unmarshal(r.Raw, &raw))
			for _, f := range []string{"token_type", "expires_in", "ext_expires_in", "expires_on", "not_before", "resource", "access_token"} {
				v, ok := raw[f]
				if assert.True(t, ok, "field %s present", f) {
					assert.IsType(t, "", v, "field %s must be a string", f)
				}
			}
			tok := decodeAs[accessToken](t, r)
			assert.True(t, strings.EqualFold(tok.TokenType, "Bearer"), "token_type %q", tok.TokenType)
			assert.Equal(t, "3600", tok.ExpiresIn)
			assert.Equal(t, strconv.FormatInt(t0.Add(tokenLifetime).Unix(), 10), tok.ExpiresOn, "expires_on is Unix seconds on the server clock")
			nb, err := strconv.ParseInt(tok.NotBefore, 10, 64)
			if assert.NoError(t, err, "not_before is decimal") {
				assert.LessOrEqual(t, nb, t0.Unix())
			}
		})
	}
}

// Token endpoint order: subscription key (GatewayError), headers (400; a missing
// client_id or client_secret included), client credentials (OAuthError invalid_client).
func TestConformanceTokenEndpointErrors(t *testing.T) {
	h := newHarness(t)
	c := h.s.UserCredentials(portaltest.AdminUserID)
	other := h.s.PartnerCredentials(portaltest.PartnerID)

	t.Run("wrong secret is invalid_client", func(t *testing.T) {
		assertOAuthError(t, h.tokenRequest(t, c.ClientID, "wrong", c.SubscriptionKey.Reveal(), false), "invalid_client")
	})
	t.Run("unknown client id is invalid_client", func(t *testing.T) {
		assertOAuthError(t, h.tokenRequest(t, "00000000-0000-4000-8000-000000000000", c.ClientSecret.Reveal(), c.SubscriptionKey.Reveal(), false), "invalid_client")
	})
	t.Run("any live subscription key passes the gateway", func(t *testing.T) {
		r := h.tokenRequest(t, c.ClientID, c.ClientSecret.Reveal(), other.SubscriptionKey.Reveal(), false)
		assert.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	})
	t.Run("wrong subscription key is a GatewayError", func(t *testing.T) {
		assertGatewayError(t, h.tokenRequest(t, c.ClientID, c.ClientSecret.Reveal(), "0123456789abcdef0123456789abcdef", false))
	})
	t.Run("missing subscription key is a GatewayError", func(t *testing.T) {
		assertGatewayError(t, h.tokenRequest(t, c.ClientID, c.ClientSecret.Reveal(), "", true))
	})
	t.Run("missing client_id is a 400", func(t *testing.T) {
		assertProblem(t, h.tokenRequest(t, "", c.ClientSecret.Reveal(), c.SubscriptionKey.Reveal(), true), 400, "invalid-request")
	})
	t.Run("missing client_secret is a 400", func(t *testing.T) {
		assertProblem(t, h.tokenRequest(t, c.ClientID, "", c.SubscriptionKey.Reveal(), true), 400, "invalid-request")
	})
	t.Run("gateway before headers", func(t *testing.T) {
		assertGatewayError(t, h.tokenRequest(t, "", "", "ffffffffffffffffffffffffffffffff", true))
	})
	t.Run("headers before credentials", func(t *testing.T) {
		assertProblem(t, h.tokenRequest(t, "", "wrong", c.SubscriptionKey.Reveal(), true), 400, "invalid-request")
		r := h.send(t, call{Method: http.MethodPost, Path: "/accesstoken/get", Invalid: true, Header: http.Header{
			"Client_id": {"nobody"}, "Client_secret": {"wrong"}, "Ocp-Apim-Subscription-Key": {c.SubscriptionKey.Reveal()},
			"Vipps-System-Name": {strings.Repeat("x", 31)},
		}})
		assertProblem(t, r, 400, "invalid-request", "a header over 30 code points answers before the credentials")
	})
}

// "Vipps-System-*: optional on every operation; over 30 characters is a 400";
// "Lengths count Unicode code points."
func TestConformanceSystemHeaders(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	for _, name := range []string{"Vipps-System-Name", "Vipps-System-Version", "Vipps-System-Plugin-Name", "Vipps-System-Plugin-Version"} {
		t.Run(name, func(t *testing.T) {
			ok := h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &admin,
				Header: http.Header{name: {strings.Repeat("ø", 30)}}})
			assert.Equal(t, http.StatusOK, ok.Status, "30 code points (60 bytes) is within the limit: %s", ok.Raw)

			long := h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &admin, Invalid: true,
				Header: http.Header{name: {strings.Repeat("a", 31)}}})
			assertProblem(t, long, 400, "invalid-request")

			mgmt := h.send(t, call{Method: http.MethodGet, Path: pathSalesUnit, As: &admin, Invalid: true,
				Header: http.Header{name: {strings.Repeat("a", 31)}}})
			assertProblem(t, mgmt, 400, "invalid-request", "the rule holds on the Management group too")

			c := h.s.UserCredentials(portaltest.AdminUserID)
			tok := h.send(t, call{Method: http.MethodPost, Path: "/accesstoken/get", Invalid: true, Header: http.Header{
				"Client_id": {c.ClientID}, "Client_secret": {c.ClientSecret.Reveal()}, "Ocp-Apim-Subscription-Key": {c.SubscriptionKey.Reveal()},
				name: {strings.Repeat("a", 31)},
			}})
			assertProblem(t, tok, 400, "invalid-request", "and on the token endpoint")
		})
	}
}

// "Merchant-Serial-Number: optional on every operation, must match ^\d{4,10}$
// when sent, and never affects authorization."
func TestConformanceMerchantSerialNumberHeader(t *testing.T) {
	h := newHarness(t)
	admin, dev := h.admin(t), h.dev(t)
	for _, bad := range []string{"123", "12345678901", "abcd", "12 34", "１２３４"} {
		r := h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &admin, Invalid: true,
			Header: http.Header{"Merchant-Serial-Number": {bad}}})
		assertProblem(t, r, 400, "invalid-request", "Merchant-Serial-Number %q", bad)
	}
	for _, good := range []string{"1234", "1234567890", portaltest.OtherMSN} {
		r := h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &admin,
			Header: http.Header{"Merchant-Serial-Number": {good}}})
		assert.Equal(t, http.StatusOK, r.Status, "Merchant-Serial-Number %q: %s", good, r.Raw)
	}

	c := h.s.UserCredentials(portaltest.AdminUserID)
	tok := h.send(t, call{Method: http.MethodPost, Path: "/accesstoken/get", Invalid: true, Header: http.Header{
		"Client_id": {c.ClientID}, "Client_secret": {c.ClientSecret.Reveal()}, "Ocp-Apim-Subscription-Key": {c.SubscriptionKey.Reveal()},
		"Merchant-Serial-Number": {"12"},
	}})
	assertProblem(t, tok, 400, "invalid-request", "on the token endpoint too")

	plain := h.get(t, admin, pathSalesUnit)
	withOther := h.send(t, call{Method: http.MethodGet, Path: pathSalesUnit, As: &admin,
		Header: http.Header{"Merchant-Serial-Number": {portaltest.OtherMSN}}})
	require.Equal(t, http.StatusOK, plain.Status)
	assert.ElementsMatch(t, msns(decodeAs[[]msnInfo](t, plain)), msns(decodeAs[[]msnInfo](t, withOther)),
		"another merchant's MSN in the header reaches nothing more")

	other := h.send(t, call{Method: http.MethodGet, Path: pathSalesUnit + "/" + portaltest.OtherMSN, As: &admin,
		Header: http.Header{"Merchant-Serial-Number": {portaltest.OtherMSN}}})
	assertProblem(t, other, 404, "not-found")

	hidden := h.send(t, call{Method: http.MethodGet, Path: keysPath(portaltest.SecondProductionMSN), As: &dev,
		Header: http.Header{"Merchant-Serial-Number": {portaltest.SecondProductionMSN}}})
	assertProblem(t, hidden, 403, "keys-hidden", "naming the unit in the header grants nothing")
}

// "A request body over 1 MiB is a 413 Problem and changes nothing."
func TestConformanceBodyTooLarge(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)

	pad := func(size int) []byte {
		head, tail := `{"name":"Big body"`, `}`
		return []byte(head + strings.Repeat(" ", size-len(head)-len(tail)) + tail)
	}
	before := h.s.State()
	effects := h.s.Effects(portaltest.OpCreateTestSalesUnit)
	key := newKey()
	over := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, Body: pad(maxBody + 1), IdemKey: key})
	assertProblem(t, over, http.StatusRequestEntityTooLarge, "body-too-large")
	assert.Equal(t, before, h.s.State(), "a 413 changes nothing")
	assert.Equal(t, effects, h.s.Effects(portaltest.OpCreateTestSalesUnit))

	// Exactly 1 MiB is not over the limit; the 413 left the key unused.
	exact := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, Body: pad(maxBody), IdemKey: key})
	assert.Equal(t, http.StatusAccepted, exact.Status, "a body of exactly 1 MiB is accepted: %s", snippet(exact.Raw))
	assert.Empty(t, exact.Header.Get("Idempotent-Replayed"), "the 413 stored nothing under the key")
	assert.Equal(t, effects+1, h.s.Effects(portaltest.OpCreateTestSalesUnit))

	// 413 on the Management group and for users too.
	partner := h.partner(t)
	big := []byte(`{"productType":"PAYMENT_INTEGRATION","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"}` + strings.Repeat(" ", maxBody) + `}`)
	r := h.send(t, call{Method: http.MethodPost, Path: pathOrders, As: &partner, Body: big, IdemKey: newKey()})
	assertProblem(t, r, http.StatusRequestEntityTooLarge, "body-too-large")
}

// "A path that no operation has is a 404 not-found, and a method that the path
// has no operation for a 405 method-not-allowed, before anything else."
func TestConformanceUnknownPathAndMethod(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	nobody := caller{Token: "garbage", SubKey: "ffffffffffffffffffffffffffffffff"}
	for _, who := range []struct {
		name string
		c    *caller
	}{{"valid caller", &admin}, {"bad credentials", &nobody}, {"no credentials", nil}} {
		t.Run(who.name, func(t *testing.T) {
			for _, p := range []string{"/portal/v1/nope", "/management/v1/nope", "/", "/portal/v2/me", "/portal/v1/me/extra"} {
				r := h.send(t, call{Method: http.MethodGet, Path: p, As: who.c, Invalid: true})
				assertProblem(t, r, 404, "not-found", "GET %s", p)
			}
			for _, m := range []struct{ method, path string }{
				{http.MethodDelete, pathMe},
				{http.MethodPut, pathTestUnits},
				{http.MethodPost, pathSalesUnit},
				{http.MethodGet, "/accesstoken/get"},
				{http.MethodPatch, pathUsers},
				{http.MethodPost, keysPath(portaltest.ProductionMSN)},
				{http.MethodGet, regenPath(portaltest.ProductionMSN)},
			} {
				r := h.send(t, call{Method: m.method, Path: m.path, As: who.c, Invalid: true})
				assertProblem(t, r, 405, "method-not-allowed", "%s %s", m.method, m.path)
			}
			// Before anything else: a header over its length does not answer first.
			long := http.Header{"Vipps-System-Name": {strings.Repeat("x", 40)}, "Merchant-Serial-Number": {"1"}}
			assertProblem(t, h.send(t, call{Method: http.MethodGet, Path: "/portal/v1/nope", As: who.c, Header: long, Invalid: true}), 404, "not-found")
			assertProblem(t, h.send(t, call{Method: http.MethodDelete, Path: pathMe, As: who.c, Header: long, Invalid: true}), 405, "method-not-allowed")
			assertProblem(t, h.send(t, call{Method: http.MethodGet, Path: pathMe + "/", As: who.c, Invalid: true}), 404, "not-found", "a trailing slash is another path")
			head := h.send(t, call{Method: http.MethodHead, Path: pathMe, As: who.c, Invalid: true})
			assert.Equal(t, http.StatusMethodNotAllowed, head.Status, "no operation has HEAD")
		})
	}
}

// "Any live subscription key of any principal passes the gateway; otherwise the
// gateway answers 401 GatewayError." The token alone names the principal.
func TestConformanceGatewayAndTokenShapes(t *testing.T) {
	h := newHarness(t)
	admin, partner := h.admin(t), h.partner(t)

	r := h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &caller{Token: admin.Token}, Invalid: true})
	assertGatewayError(t, r, "no subscription key")
	r = h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &caller{Token: admin.Token, SubKey: "0123456789abcdef0123456789abcdef"}})
	assertGatewayError(t, r, "unknown subscription key")

	// Another principal's subscription key passes; the token decides who acts.
	r = h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &caller{Token: admin.Token, SubKey: partner.SubKey}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	assert.Equal(t, portaltest.AdminUserID, r.JSON()["userId"])
	unit := h.s.UnitKeys
	if ks, ok := unit(portaltest.ProductionMSN); assert.True(t, ok) {
		r = h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &caller{Token: admin.Token, SubKey: ks.SubscriptionKeySecondary}})
		assert.Equal(t, http.StatusOK, r.Status, "a unit's secondary subscription key is live too")
	}

	r = h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &caller{SubKey: admin.SubKey}, Invalid: true})
	assertProblem(t, r, 401, "invalid-token", "no Authorization header")
	r = h.send(t, call{Method: http.MethodGet, Path: pathMe, As: &caller{Token: "not-a-token", SubKey: admin.SubKey}})
	assertProblem(t, r, 401, "invalid-token", "unknown token")
	r = h.send(t, call{Method: http.MethodGet, Path: pathSalesUnit, As: &caller{Token: "not-a-token", SubKey: admin.SubKey}})
	assertProblem(t, r, 401, "invalid-token", "unknown token on the Management group")
}

// "Tokens live 3600 s"; expiry is on the server's clock: 401 invalid-token.
func TestConformanceTokenExpiresOnServerClock(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	admin := h.admin(t)
	partner := h.partner(t)

	clock.Advance(tokenLifetime - time.Second)
	assert.Equal(t, http.StatusOK, h.get(t, admin, pathMe).Status, "still valid 1 s before expiry")
	assert.Equal(t, http.StatusOK, h.get(t, partner, pathPackages).Status)

	clock.Advance(2 * time.Second)
	assertProblem(t, h.get(t, admin, pathMe), 401, "invalid-token", "expired on the server clock")
	assertProblem(t, h.get(t, partner, pathPackages), 401, "invalid-token", "expired (Management group)")

	fresh := h.admin(t)
	assert.Equal(t, http.StatusOK, h.get(t, fresh, pathMe).Status, "a new token works")
}

// "Problem type URIs start with https://portal-sdk.invalid/problems/"; detail
// and instance always present (checked on every Problem by the harness, here on
// one of each group explicitly).
func TestConformanceProblemShape(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	for _, r := range []*response{
		h.get(t, admin, testUnitPath("999999")),
		h.get(t, admin, pathSalesUnit+"/999999"),
		h.get(t, admin, pathPackages),
	} {
		p := decodeAs[problem](t, r)
		assert.True(t, strings.HasPrefix(p.Type, problemPrefix), p.Type)
		assert.Equal(t, r.Status, p.Status)
		assert.NotEmpty(t, p.Title)
		assert.NotNil(t, p.Detail)
		assert.NotNil(t, p.Instance)
	}
}
