package portaltest_test

// Refused requests change nothing: for a table of bad requests, the
// simulator's whole state is equal before and after each.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

func TestConformanceRefusedRequestsChangeNothing(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, dev, assistant, partner := h.admin(t), h.dev(t), h.assistant(t), h.partner(t)
	unit := h.unit(t, portaltest.ProductionMSN)
	badSub := caller{Token: admin.Token, SubKey: "ffffffffffffffffffffffffffffffff"}
	badTok := caller{Token: "garbage", SubKey: admin.SubKey}

	// Fixtures: a submitted order, a completed unit whose keys are pending.
	or := h.post(t, partner, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusCreated, or.Status)
	orderID, _ := or.JSON()["prefilledOrderId"].(string)
	require.NoError(t, h.s.SetOrderStatus(orderID, "ORDER_SUBMITTED"))
	pendingMSN := h.keysPendingUnit(t, admin, "Keys pending")
	usedKey := newKey()
	require.Equal(t, http.StatusAccepted, h.post(t, admin, pathTestUnits, usedKey, unitRequest{Name: "Keyed"}).Status)

	unitBody := unitRequest{Name: "Refused"}
	regen := map[string]string{"key": "clientSecret"}
	invite := map[string]string{"phoneNumber": "+4797000001", "name": "Refused", "role": "ASSISTANT"}
	grant := map[string][]string{"permissions": {"DEVELOPER"}}
	cases := []struct {
		name   string
		c      call
		status int
	}{
		{"create: bad subscription key", call{Method: "POST", Path: pathTestUnits, As: &badSub, Body: unitBody, IdemKey: newKey()}, 401},
		{"create: bad token", call{Method: "POST", Path: pathTestUnits, As: &badTok, Body: unitBody, IdemKey: newKey()}, 401},
		{"create: no key", call{Method: "POST", Path: pathTestUnits, As: &admin, Body: unitBody, Invalid: true}, 400},
		{"create: bad name", call{Method: "POST", Path: pathTestUnits, As: &admin, Body: `{"name":"bad "}`, IdemKey: newKey(), Invalid: true}, 400},
		{"create: not JSON", call{Method: "POST", Path: pathTestUnits, As: &admin, Body: `name=x`, IdemKey: newKey(), Invalid: true}, 400},
		{"create: too large", call{Method: "POST", Path: pathTestUnits, As: &admin, Body: `{"name":"x"` + strings.Repeat(" ", maxBody) + `}`, IdemKey: newKey()}, 413},
		{"create: partner", call{Method: "POST", Path: pathTestUnits, As: &partner, Body: unitBody, IdemKey: newKey()}, 403},
		{"create: unit keys", call{Method: "POST", Path: pathTestUnits, As: &unit, Body: unitBody, IdemKey: newKey()}, 403},
		{"create: assistant", call{Method: "POST", Path: pathTestUnits, As: &assistant, Body: unitBody, IdemKey: newKey()}, 403},
		{"create: key reused", call{Method: "POST", Path: pathTestUnits, As: &admin, Body: unitRequest{Name: "Other"}, IdemKey: usedKey}, 409},
		{"patch test unit", call{Method: "PATCH", Path: testUnitPath(portaltest.TestMSN), As: &admin}, 405},
		{"regenerate: keys hidden", call{Method: "POST", Path: regenPath(portaltest.SecondProductionMSN), As: &dev, Body: regen, IdemKey: newKey()}, 403},
		{"regenerate: other merchant", call{Method: "POST", Path: regenPath(portaltest.OtherMSN), As: &admin, Body: regen, IdemKey: newKey()}, 404},
		{"regenerate: keys not ready", call{Method: "POST", Path: regenPath(pendingMSN), As: &admin, Body: regen, IdemKey: newKey()}, 409},
		{"regenerate: bad key name", call{Method: "POST", Path: regenPath(portaltest.ProductionMSN), As: &admin, Body: `{"key":"all"}`, IdemKey: newKey(), Invalid: true}, 400},
		{"invite: assistant", call{Method: "POST", Path: pathUsers, As: &assistant, Body: invite, IdemKey: newKey()}, 403},
		{"invite: bad phone", call{Method: "POST", Path: pathUsers, As: &admin, Body: `{"phoneNumber":"123","name":"x","role":"ASSISTANT"}`, IdemKey: newKey(), Invalid: true}, 400},
		{"grant: developer", call{Method: "PUT", Path: grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), As: &dev, Body: grant}, 403},
		{"grant: other merchant's unit", call{Method: "PUT", Path: grantPath(portaltest.AssistantUserID, portaltest.OtherMSN), As: &admin, Body: grant}, 404},
		{"grant: empty set", call{Method: "PUT", Path: grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), As: &admin, Body: `{"permissions":[]}`, Invalid: true}, 400},
		{"revoke: assistant", call{Method: "DELETE", Path: grantPath(portaltest.DeveloperUserID, portaltest.ProductionMSN), As: &assistant}, 403},
		{"remove: developer", call{Method: "DELETE", Path: userPath(portaltest.AssistantUserID), As: &dev}, 403},
		{"remove: last administrator", call{Method: "DELETE", Path: userPath(portaltest.AdminUserID), As: &admin}, 409},
		{"remove: other merchant's user", call{Method: "DELETE", Path: userPath(portaltest.OtherAdminUserID), As: &admin}, 404},
		{"prefill: admin", call{Method: "POST", Path: pathOrders, As: &admin, Body: orderBody(portaltest.DefaultMerchantID), IdemKey: newKey()}, 403},
		{"prefill: foreign package", call{Method: "POST", Path: pathOrders, As: &partner, IdemKey: newKey(), Body: map[string]any{
			"businessIdentifier": map[string]string{"scheme": portaltest.DefaultMerchantScheme, "id": portaltest.DefaultMerchantID},
			"productType":        "CHECKOUT", "pricePackageId": "0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e"}}, 400},
		{"delete submitted order", call{Method: "DELETE", Path: pathOrders + "/" + orderID, As: &partner}, 400},
		{"delete order: admin", call{Method: "DELETE", Path: pathOrders + "/" + orderID, As: &admin}, 403},
		{"token: wrong secret", call{Method: "POST", Path: "/accesstoken/get", Header: http.Header{
			"Client_id": {admin.Creds.ClientID}, "Client_secret": {"wrong"}, "Ocp-Apim-Subscription-Key": {admin.SubKey}}}, 401},
		{"unknown path", call{Method: "POST", Path: "/portal/v1/things", As: &admin, Body: `{}`, IdemKey: newKey(), Invalid: true}, 404},
		{"method not allowed", call{Method: "DELETE", Path: pathTestUnits, As: &admin, Invalid: true}, 405},
	}
	start := h.s.State()
	effects := map[string]int{}
	ops := []string{portaltest.OpCreateTestSalesUnit, portaltest.OpRegenerateKey, portaltest.OpInviteUser, portaltest.OpGrantAccess, portaltest.OpRevokeAccess, portaltest.OpRemoveUser, portaltest.OpOrderProduct, portaltest.OpDeleteProductOrder}
	for _, op := range ops {
		effects[op] = h.s.Effects(op)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.s.State()
			r := h.send(t, tc.c)
			assert.Equal(t, tc.status, r.Status, "%s", snippet(r.Raw))
			assert.Equal(t, before, h.s.State(), "a refused request changes nothing")
		})
	}
	assert.Equal(t, start, h.s.State())
	for _, op := range ops {
		assert.Equal(t, effects[op], h.s.Effects(op), "no work counted for %s", op)
	}
}
