package portaltest_test

// The contract's "Which error answers first": requests that fail two checks at
// once, asserting the earlier check answers.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

func TestConformanceErrorPrecedence(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, dev, assistant, partner := h.admin(t), h.dev(t), h.assistant(t), h.partner(t)
	unit := h.unit(t, portaltest.ProductionMSN)
	longHeader := http.Header{"Vipps-System-Name": {strings.Repeat("n", 31)}}
	badKey := "ffffffffffffffffffffffffffffffff"

	// A removed user's token, for token-revoked.
	inv := h.post(t, admin, pathUsers, "", map[string]string{"phoneNumber": "+4791111111", "name": "Leaver", "role": "ADMINISTRATOR"})
	require.Equal(t, http.StatusCreated, inv.Status, "%s", inv.Raw)
	leaverID := decodeAs[user](t, inv).UserID
	leaver := h.as(t, h.s.UserCredentials(leaverID))
	require.Equal(t, http.StatusNoContent, h.do(t, admin, http.MethodDelete, userPath(leaverID), nil, nil).Status)
	revoked := caller{Token: leaver.Token, SubKey: admin.SubKey}

	// A completed test unit whose keys are not issued yet, created by the admin.
	pendingMSN := h.keysPendingUnit(t, admin, "Keys pending")

	cases := []struct {
		name    string
		c       call
		status  int
		problem string // "" = GatewayError
	}{
		{"gateway before token", call{Method: "GET", Path: pathMe, As: &caller{Token: "garbage", SubKey: badKey}}, 401, ""},
		{"gateway before headers", call{Method: "GET", Path: pathMe, As: &caller{Token: admin.Token, SubKey: badKey}, Header: longHeader, Invalid: true}, 401, ""},
		{"gateway before principal", call{Method: "GET", Path: pathMe, As: &caller{Token: partner.Token, SubKey: badKey}}, 401, ""},
		{"token before headers", call{Method: "GET", Path: pathMe, As: &caller{Token: "garbage", SubKey: admin.SubKey}, Header: longHeader, Invalid: true}, 401, "invalid-token"},
		{"revoked token before headers", call{Method: "GET", Path: pathMe, As: &revoked, Header: longHeader, Invalid: true}, 401, "token-revoked"},
		{"revoked token before path", call{Method: "GET", Path: testUnitPath("12"), As: &revoked, Invalid: true}, 401, "token-revoked"},
		{"token before body", call{Method: "POST", Path: pathTestUnits, As: &caller{Token: "garbage", SubKey: admin.SubKey}, Body: "{", IdemKey: newKey(), Invalid: true}, 401, "invalid-token"},
		{"token before Idempotency-Key", call{Method: "POST", Path: pathTestUnits, As: &caller{Token: "garbage", SubKey: admin.SubKey}, Body: unitRequest{Name: "x"}, Invalid: true}, 401, "invalid-token"},
		{"headers before principal kind", call{Method: "GET", Path: pathMe, As: &unit, Header: longHeader, Invalid: true}, 400, "invalid-request"},
		{"Merchant-Serial-Number before principal kind", call{Method: "GET", Path: pathMe, As: &partner, Header: http.Header{"Merchant-Serial-Number": {"12"}}, Invalid: true}, 400, "invalid-request"},
		{"path before principal kind", call{Method: "GET", Path: testUnitPath("12"), As: &partner, Invalid: true}, 400, "invalid-request"},
		{"path before resource", call{Method: "GET", Path: keysPath("12345678901"), As: &admin, Invalid: true}, 400, "invalid-request"},
		{"query before role", call{Method: "GET", Path: pathUsers + "?pageSize=0", As: &dev, Invalid: true}, 400, "invalid-request"},
		{"query before principal kind", call{Method: "GET", Path: pathTestUnits + "?pageSize=101", As: &partner, Invalid: true}, 400, "invalid-request"},
		{"page token before role", call{Method: "GET", Path: pathUsers + "?pageToken=garbage", As: &assistant}, 400, "invalid-page-token"},
		{"body before principal kind", call{Method: "POST", Path: pathTestUnits, As: &partner, Body: `{"name":""}`, IdemKey: newKey(), Invalid: true}, 400, "invalid-request"},
		{"non-JSON body before role", call{Method: "POST", Path: pathUsers, As: &assistant, Body: "not json", IdemKey: newKey(), Invalid: true}, 400, "invalid-request"},
		{"body before permission", call{Method: "POST", Path: regenPath(portaltest.SecondProductionMSN), As: &dev, Body: `{"key":"password"}`, IdemKey: newKey(), Invalid: true}, 400, "invalid-request"},
		{"Idempotency-Key before principal kind", call{Method: "POST", Path: pathTestUnits, As: &unit, Body: unitRequest{Name: "x"}, Invalid: true}, 400, "invalid-request"},
		{"Idempotency-Key before role", call{Method: "POST", Path: pathTestUnits, As: &assistant, Body: unitRequest{Name: "x"}, IdemKey: "bad key", Invalid: true}, 400, "invalid-request"},
		{"413 before principal kind", call{Method: "POST", Path: pathTestUnits, As: &partner, Body: `{"name":"x"` + strings.Repeat(" ", maxBody) + `}`, IdemKey: newKey()}, 413, "body-too-large"},
		{"role before resource", call{Method: "DELETE", Path: userPath("ghost"), As: &dev}, 403, "administrator-required"},
		{"role before resource (grant)", call{Method: "PUT", Path: grantPath(portaltest.AssistantUserID, portaltest.OtherMSN), As: &assistant, Body: map[string][]string{"permissions": {"DEVELOPER"}}}, 403, "administrator-required"},
		{"principal kind before resource", call{Method: "GET", Path: keysPath("999999"), As: &partner}, 403, "not-a-portal-user"},
		{"resource before permission (nonexistent)", call{Method: "GET", Path: keysPath("999999"), As: &assistant}, 404, "not-found"},
		{"resource before permission (other merchant)", call{Method: "GET", Path: keysPath(portaltest.OtherMSN), As: &assistant}, 404, "not-found"},
		{"resource before permission (regenerate)", call{Method: "POST", Path: regenPath(portaltest.OtherMSN), As: &dev, Body: map[string]string{"key": "clientId"}, IdemKey: newKey()}, 404, "not-found"},
		{"principal kind before operation", call{Method: "PATCH", Path: testUnitPath(portaltest.TestMSN), As: &partner}, 403, "not-a-portal-user"},
		{"resource before operation", call{Method: "PATCH", Path: testUnitPath("999999"), As: &admin}, 404, "not-found"},
		{"operation before state", call{Method: "PATCH", Path: testUnitPath(pendingMSN), As: &admin}, 405, "test-sales-unit-immutable"},
		{"permission before state (get)", call{Method: "GET", Path: keysPath(pendingMSN), As: &dev}, 403, "keys-hidden"},
		{"permission before state (regenerate)", call{Method: "POST", Path: regenPath(pendingMSN), As: &assistant, Body: map[string]string{"key": "clientId"}, IdemKey: newKey()}, 403, "keys-hidden"},
		{"state", call{Method: "GET", Path: keysPath(pendingMSN), As: &admin}, 409, "keys-not-ready"},
		{"resource before state (remove)", call{Method: "DELETE", Path: userPath("ghost"), As: &admin}, 404, "not-found"},
		{"headers before state", call{Method: "DELETE", Path: userPath(portaltest.AdminUserID), As: &admin, Header: longHeader, Invalid: true}, 400, "invalid-request"},
		{"resource before state (order)", call{Method: "DELETE", Path: pathOrders + "/6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b", As: &partner}, 404, "not-found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.s.State()
			r := h.send(t, tc.c)
			if tc.problem == "" {
				assertGatewayError(t, r)
			} else {
				assertProblem(t, r, tc.status, tc.problem)
			}
			assert.Equal(t, before, h.s.State(), "an error answer changes nothing")
		})
	}
}

// "404, the same for a nonexistent and another merchant's resource": nothing in
// the answer tells them apart (beyond the instance, which names the request).
func TestConformanceNotFoundIndistinguishable(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	pairs := [][2]string{
		{keysPath("999999"), keysPath(portaltest.OtherMSN)},
		{pathSalesUnit + "/999999", pathSalesUnit + "/" + portaltest.OtherMSN},
		{userPath("ghost"), userPath(portaltest.OtherAdminUserID)},
		{merchantPath("111111111"), merchantPath(portaltest.OtherMerchantID)},
	}
	for _, p := range pairs {
		a, b := h.get(t, admin, p[0]), h.get(t, admin, p[1])
		assertProblem(t, a, 404, "not-found", p[0])
		assertProblem(t, b, 404, "not-found", p[1])
		pa, pb := decodeAs[problem](t, a), decodeAs[problem](t, b)
		assert.Equal(t, pa.Title, pb.Title, "%s vs %s", p[0], p[1])
		assert.Equal(t, a.Header.Get("Content-Type"), b.Header.Get("Content-Type"))
		if pa.Detail != nil && pb.Detail != nil {
			da := strings.ReplaceAll(*pa.Detail, strings.TrimPrefix(p[0], "/"), "")
			db := strings.ReplaceAll(*pb.Detail, strings.TrimPrefix(p[1], "/"), "")
			for _, id := range []string{"999999", portaltest.OtherMSN, "ghost", portaltest.OtherAdminUserID, "111111111", portaltest.OtherMerchantID} {
				da, db = strings.ReplaceAll(da, id, "ID"), strings.ReplaceAll(db, id, "ID")
			}
			assert.Equal(t, da, db, "detail must not reveal that the other merchant's resource exists")
		}
	}
}
