package portaltest_test

// The contract's "Principals and what they may do" table: every row, for every
// kind of principal (a unit's own keys, ADMINISTRATOR, other user as
// SALES_UNIT_MANAGER and as ASSISTANT, partner, and the partner's management
// keys over the specialized flow, which send no subscription key).

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// expect is one cell of the table.
type expect struct {
	status  int
	problem string   // for errors
	msns    []string // for Management lists: exactly these MSNs
	userID  string   // for /me and getUser
}

var principalKinds = []struct {
	name string
	as   func(t testing.TB, h *harness) caller
}{
	{"unit", func(t testing.TB, h *harness) caller { return h.unit(t, portaltest.ProductionMSN) }},
	{"admin", func(t testing.TB, h *harness) caller { return h.admin(t) }},
	{"developer", func(t testing.TB, h *harness) caller { return h.dev(t) }},
	{"assistant", func(t testing.TB, h *harness) caller { return h.assistant(t) }},
	{"partner", func(t testing.TB, h *harness) caller { return h.partner(t) }},
	{"management", func(t testing.TB, h *harness) caller { return h.management(t) }},
}

func notPortalUser() expect   { return expect{status: 403, problem: "not-a-portal-user"} }
func adminRequired() expect   { return expect{status: 403, problem: "administrator-required"} }
func keysHidden() expect      { return expect{status: 403, problem: "keys-hidden"} }
func notFound() expect        { return expect{status: 404, problem: "not-found"} }
func forbidden403() expect    { return expect{status: 403} } // the table says only "403"
func ok(status int) expect    { return expect{status: status} }
func list(m ...string) expect { return expect{status: 200, msns: m} }

// portalRow fills the unit, partner and management columns of a /portal/v1 row.
func portalRow(admin, dev, assistant expect) map[string]expect {
	return map[string]expect{"unit": notPortalUser(), "admin": admin, "developer": dev, "assistant": assistant,
		"partner": notPortalUser(), "management": notPortalUser()}
}

// partnerOnly is the row "price packages, prefill/get/list/delete product orders".
func partnerOnly(status int) map[string]expect {
	return map[string]expect{"unit": forbidden403(), "admin": forbidden403(), "developer": forbidden403(), "assistant": forbidden403(), "partner": ok(status), "management": ok(status)}
}

type tableOp struct {
	name   string
	method string
	// path builds the request path, setting up what the row needs (as the
	// admin or the partner) on the fresh simulator h.
	path   func(t testing.TB, h *harness) string
	body   any
	expect map[string]expect
}

func fixed(p string) func(testing.TB, *harness) string {
	return func(testing.TB, *harness) string { return p }
}

// prefilled creates a product order as the partner and returns its id.
func prefilled(t testing.TB, h *harness) string {
	t.Helper()
	r := h.post(t, h.partner(t), pathOrders, "", orderBody(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	id, _ := r.JSON()["prefilledOrderId"].(string)
	require.NotEmpty(t, id)
	return id
}

func principalsTable() []tableOp {
	const (
		p1, p2, tu, om = portaltest.ProductionMSN, portaltest.SecondProductionMSN, portaltest.TestMSN, portaltest.OtherMSN
	)
	return []tableOp{
		// Management: sales units, merchant, merchant's units.
		{name: portaltest.OpGetAllSalesUnits, method: "GET", path: fixed(pathSalesUnit), expect: map[string]expect{
			"unit": list(p1, p2), "admin": list(p1, p2), "developer": list(p1), "assistant": list(p2), "partner": list(p1, om), "management": list(p1, om)}},
		{name: "getSalesUnit/" + p1, method: "GET", path: fixed(pathSalesUnit + "/" + p1), expect: map[string]expect{
			"unit": ok(200), "admin": ok(200), "developer": ok(200), "assistant": notFound(), "partner": ok(200), "management": ok(200)}},
		{name: "getSalesUnit/" + p2, method: "GET", path: fixed(pathSalesUnit + "/" + p2), expect: map[string]expect{
			"unit": ok(200), "admin": ok(200), "developer": notFound(), "assistant": ok(200), "partner": notFound(), "management": notFound()}},
		{name: "getSalesUnit/other-merchant", method: "GET", path: fixed(pathSalesUnit + "/" + om), expect: map[string]expect{
			"unit": notFound(), "admin": notFound(), "developer": notFound(), "assistant": notFound(), "partner": ok(200), "management": ok(200)}},
		{name: "getSalesUnit/test-unit", method: "GET", path: fixed(pathSalesUnit + "/" + tu), expect: map[string]expect{
			"unit": notFound(), "admin": notFound(), "developer": notFound(), "assistant": notFound(), "partner": notFound(), "management": notFound()}},
		{name: "getMerchant/own", method: "GET", path: fixed(merchantPath(portaltest.DefaultMerchantID)), expect: map[string]expect{
			"unit": ok(200), "admin": ok(200), "developer": ok(200), "assistant": ok(200), "partner": ok(200), "management": ok(200)}},
		{name: "getMerchant/other", method: "GET", path: fixed(merchantPath(portaltest.OtherMerchantID)), expect: map[string]expect{
			"unit": notFound(), "admin": notFound(), "developer": notFound(), "assistant": notFound(), "partner": ok(200), "management": ok(200)}},
		{name: "getMerchant/unknown", method: "GET", path: fixed(merchantPath("111111111")), expect: map[string]expect{
			"unit": notFound(), "admin": notFound(), "developer": notFound(), "assistant": notFound(), "partner": notFound(), "management": notFound()}},
		{name: "listMerchantSalesUnits/own", method: "GET", path: fixed(merchantPath(portaltest.DefaultMerchantID) + "/sales-units"), expect: map[string]expect{
			"unit": list(p1, p2), "admin": list(p1, p2), "developer": list(p1), "assistant": list(p2), "partner": list(p1), "management": list(p1)}},
		{name: "listMerchantSalesUnits/other", method: "GET", path: fixed(merchantPath(portaltest.OtherMerchantID) + "/sales-units"), expect: map[string]expect{
			"unit": notFound(), "admin": notFound(), "developer": notFound(), "assistant": notFound(), "partner": list(om), "management": list(om)}},

		// Management: price packages, prefill/get/list/delete product orders.
		{name: portaltest.OpGetPartnerPricePackages, method: "GET", path: fixed(pathPackages), expect: partnerOnly(200)},
		{name: portaltest.OpOrderProduct, method: "POST", path: fixed(pathOrders), body: orderBody(portaltest.DefaultMerchantID), expect: partnerOnly(201)},
		{name: portaltest.OpGetProductOrders, method: "GET", path: fixed(pathOrdersV2), expect: partnerOnly(200)},
		{name: portaltest.OpGetProductOrderDetails, method: "GET", path: func(t testing.TB, h *harness) string { return orderDetailsPath(prefilled(t, h)) }, expect: partnerOnly(200)},
		{name: portaltest.OpDeleteProductOrder, method: "DELETE", path: func(t testing.TB, h *harness) string { return pathOrders + "/" + prefilled(t, h) }, expect: partnerOnly(200)},

		// /portal/v1/me.
		{name: portaltest.OpGetMe, method: "GET", path: fixed(pathMe), expect: portalRow(
			expect{status: 200, userID: portaltest.AdminUserID}, expect{status: 200, userID: portaltest.DeveloperUserID}, expect{status: 200, userID: portaltest.AssistantUserID})},

		// Test units: create, list, get, creations.
		{name: portaltest.OpCreateTestSalesUnit, method: "POST", path: fixed(pathTestUnits), body: unitRequest{Name: "Table unit"},
			expect: portalRow(ok(202), ok(202), expect{status: 403, problem: "forbidden"})},
		{name: portaltest.OpListTestSalesUnits, method: "GET", path: fixed(pathTestUnits), expect: portalRow(ok(200), ok(200), ok(200))},
		{name: portaltest.OpGetTestSalesUnit, method: "GET", path: fixed(testUnitPath(tu)), expect: portalRow(ok(200), ok(200), ok(200))},
		{name: portaltest.OpListTestSalesUnitCreations, method: "GET", path: fixed(pathCreations), expect: portalRow(ok(200), ok(200), ok(200))},
		{name: portaltest.OpGetTestSalesUnitCreation, method: "GET", path: func(t testing.TB, h *harness) string {
			return creationPath(h.createUnit(t, h.admin(t), unitRequest{Name: "Someone else's"}).CreationID)
		}, expect: portalRow(ok(200), ok(200), ok(200))},

		// Keys: get, regenerate.
		{name: "getKeys/" + p1, method: "GET", path: fixed(keysPath(p1)), expect: portalRow(ok(200), ok(200), keysHidden())},
		{name: "getKeys/" + p2, method: "GET", path: fixed(keysPath(p2)), expect: portalRow(ok(200), keysHidden(), keysHidden())},
		{name: "getKeys/" + tu, method: "GET", path: fixed(keysPath(tu)), expect: portalRow(ok(200), ok(200), keysHidden())},
		{name: "getKeys/other-merchant", method: "GET", path: fixed(keysPath(om)), expect: portalRow(notFound(), notFound(), notFound())},
		{name: "getKeys/new-test-unit-by-admin", method: "GET", path: func(t testing.TB, h *harness) string {
			return keysPath(h.newUnit(t, h.admin(t), "Admin's unit"))
		}, expect: portalRow(ok(200), keysHidden(), keysHidden())},
		{name: "regenerateKey/" + p1, method: "POST", path: fixed(regenPath(p1)), body: map[string]string{"key": "clientSecret"},
			expect: portalRow(ok(200), ok(200), keysHidden())},
		{name: "regenerateKey/" + p2, method: "POST", path: fixed(regenPath(p2)), body: map[string]string{"key": "subscriptionKeyPrimary"},
			expect: portalRow(ok(200), keysHidden(), keysHidden())},
		{name: "regenerateKey/" + tu, method: "POST", path: fixed(regenPath(tu)), body: map[string]string{"key": "clientId"},
			expect: portalRow(ok(200), ok(200), keysHidden())},

		// Users: list, invite, grant, revoke, remove.
		{name: portaltest.OpListUsers, method: "GET", path: fixed(pathUsers), expect: portalRow(ok(200), adminRequired(), adminRequired())},
		{name: portaltest.OpInviteUser, method: "POST", path: fixed(pathUsers), body: map[string]string{"phoneNumber": "+4798765432", "name": "Table User", "role": "ASSISTANT"},
			expect: portalRow(ok(201), adminRequired(), adminRequired())},
		{name: portaltest.OpGrantAccess, method: "PUT", path: fixed(grantPath(portaltest.AssistantUserID, p1)), body: map[string][]string{"permissions": {"TRANSACTION_MANAGEMENT"}},
			expect: portalRow(ok(200), adminRequired(), adminRequired())},
		{name: portaltest.OpRevokeAccess, method: "DELETE", path: fixed(grantPath(portaltest.AssistantUserID, p2)),
			expect: portalRow(ok(204), adminRequired(), adminRequired())},
		{name: portaltest.OpRemoveUser, method: "DELETE", path: fixed(userPath(portaltest.AssistantUserID)),
			expect: portalRow(ok(204), adminRequired(), adminRequired())},

		// Users: get.
		{name: "getUser/admin", method: "GET", path: fixed(userPath(portaltest.AdminUserID)),
			expect: portalRow(expect{status: 200, userID: portaltest.AdminUserID}, adminRequired(), adminRequired())},
		{name: "getUser/dev", method: "GET", path: fixed(userPath(portaltest.DeveloperUserID)),
			expect: portalRow(expect{status: 200, userID: portaltest.DeveloperUserID}, expect{status: 200, userID: portaltest.DeveloperUserID}, adminRequired())},
		{name: "getUser/assistant", method: "GET", path: fixed(userPath(portaltest.AssistantUserID)),
			expect: portalRow(expect{status: 200, userID: portaltest.AssistantUserID}, adminRequired(), expect{status: 200, userID: portaltest.AssistantUserID})},
		{name: "getUser/other-merchant", method: "GET", path: fixed(userPath(portaltest.OtherAdminUserID)),
			expect: portalRow(notFound(), adminRequired(), adminRequired())},
	}
}

func TestConformancePrincipalsTable(t *testing.T) {
	for _, op := range principalsTable() {
		t.Run(op.name, func(t *testing.T) {
			for _, kind := range principalKinds {
				want, ok := op.expect[kind.name]
				require.True(t, ok, "table cell %s x %s missing", op.name, kind.name)
				t.Run(kind.name, func(t *testing.T) {
					t.Parallel()
					h := newHarness(t, portaltest.WithManualProvisioning())
					path := op.path(t, h)
					as := kind.as(t, h)
					state := h.s.State()
					r := h.do(t, as, op.method, path, op.body, nil)
					if want.problem != "" {
						assertProblem(t, r, want.status, want.problem, "%s %s as %s", op.method, path, kind.name)
					} else {
						assert.Equal(t, want.status, r.Status, "%s %s as %s: %s", op.method, path, kind.name, snippet(r.Raw))
					}
					if r.Status >= 400 {
						assert.Equal(t, state, h.s.State(), "a refused request changes nothing")
					}
					if want.msns != nil && r.Status == 200 {
						assert.ElementsMatch(t, want.msns, msns(decodeAs[[]msnInfo](t, r)), "units reached by %s", kind.name)
					}
					if want.userID != "" && r.Status == 200 {
						assert.Equal(t, want.userID, r.JSON()["userId"])
					}
				})
			}
		})
	}
}

// "tokens from a test unit's own keys get 403 forbidden on it"; a test unit is a
// 404 in the Management API for everyone else; its keys are no portal user.
func TestConformanceTestUnitKeysPrincipal(t *testing.T) {
	h := newHarness(t)
	tu := h.unit(t, portaltest.TestMSN)
	admin := h.admin(t)
	assertProblem(t, h.get(t, tu, pathSalesUnit+"/"+portaltest.TestMSN), 403, "forbidden")
	assertProblem(t, h.get(t, admin, pathSalesUnit+"/"+portaltest.TestMSN), 404, "not-found")
	assertProblem(t, h.get(t, tu, pathMe), 403, "not-a-portal-user")
	assertProblem(t, h.get(t, tu, pathTestUnits), 403, "not-a-portal-user")
	all := h.get(t, tu, pathSalesUnit)
	if assert.Equal(t, http.StatusOK, all.Status) {
		assert.NotContains(t, msns(decodeAs[[]msnInfo](t, all)), portaltest.TestMSN, "the Management API serves production units only")
	}
}

// "The token alone names the principal, resolved on every request, so a change
// of rights applies at once." "Any permission makes a unit visible to its
// holder in the Management API."
func TestConformanceRightsApplyAtOnce(t *testing.T) {
	h := newHarness(t)
	admin, assistant := h.admin(t), h.assistant(t)
	assertProblem(t, h.get(t, assistant, pathSalesUnit+"/"+portaltest.ProductionMSN), 404, "not-found")
	assertProblem(t, h.get(t, assistant, keysPath(portaltest.ProductionMSN)), 403, "keys-hidden")

	g := h.do(t, admin, http.MethodPut, grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), map[string][]string{"permissions": {"TRANSACTION_MANAGEMENT"}}, nil)
	require.Equal(t, http.StatusOK, g.Status, "%s", g.Raw)
	assert.Equal(t, http.StatusOK, h.get(t, assistant, pathSalesUnit+"/"+portaltest.ProductionMSN).Status, "visible with any permission, same token")
	assertProblem(t, h.get(t, assistant, keysPath(portaltest.ProductionMSN)), 403, "keys-hidden", "TRANSACTION_MANAGEMENT does not show keys")
	assertProblem(t, h.post(t, assistant, pathTestUnits, "", unitRequest{Name: "Nope"}), 403, "forbidden", "no DEVELOPER yet")

	g = h.do(t, admin, http.MethodPut, grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), map[string][]string{"permissions": {"DEVELOPER"}}, nil)
	require.Equal(t, http.StatusOK, g.Status)
	assert.Equal(t, http.StatusOK, h.get(t, assistant, keysPath(portaltest.ProductionMSN)).Status, "DEVELOPER shows keys at once")
	assert.Equal(t, http.StatusAccepted, h.post(t, assistant, pathTestUnits, "", unitRequest{Name: "Now yes"}).Status,
		"an ASSISTANT with DEVELOPER on some unit may create")

	r := h.do(t, admin, http.MethodDelete, grantPath(portaltest.AssistantUserID, portaltest.ProductionMSN), nil, nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	assertProblem(t, h.get(t, assistant, pathSalesUnit+"/"+portaltest.ProductionMSN), 404, "not-found", "revoked at once")
}

// "A grant to an ADMINISTRATOR is stored and adds nothing."
func TestConformanceGrantToAdministrator(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	g := h.do(t, admin, http.MethodPut, grantPath(portaltest.AdminUserID, portaltest.SecondProductionMSN), map[string][]string{"permissions": {"TRANSACTION_MANAGEMENT"}}, nil)
	require.Equal(t, http.StatusOK, g.Status, "%s", g.Raw)
	a := decodeAs[access](t, g)
	assert.Equal(t, portaltest.SecondProductionMSN, a.MSN)
	assert.Equal(t, []string{"TRANSACTION_MANAGEMENT"}, a.Permissions)
	u := decodeAs[user](t, h.get(t, admin, userPath(portaltest.AdminUserID)))
	var found bool
	for _, su := range u.SalesUnits {
		if su.MSN == portaltest.SecondProductionMSN {
			found = true
			assert.Equal(t, []string{"TRANSACTION_MANAGEMENT"}, su.Permissions, "stored")
		}
	}
	assert.True(t, found, "the grant is stored on the administrator")
	assert.Equal(t, http.StatusOK, h.get(t, admin, keysPath(portaltest.SecondProductionMSN)).Status, "and adds nothing: keys were visible anyway")
}

// "create needs DEVELOPER on some unit of the merchant" (a test unit counts);
// an ADMINISTRATOR needs none.
func TestConformanceCreateNeedsDeveloper(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, dev := h.admin(t), h.dev(t)
	revoke := func(userID, msn string) {
		t.Helper()
		r := h.do(t, admin, http.MethodDelete, grantPath(userID, msn), nil, nil)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Raw)
	}
	revoke(portaltest.DeveloperUserID, portaltest.ProductionMSN)
	r := h.post(t, dev, pathTestUnits, "", unitRequest{Name: "Via test unit"})
	assert.Equal(t, http.StatusAccepted, r.Status, "DEVELOPER on a test unit of the merchant suffices: %s", r.Raw)
	msn := h.complete(t, dev, decodeAs[creation](t, r).CreationID)

	revoke(portaltest.DeveloperUserID, portaltest.TestMSN)
	revoke(portaltest.DeveloperUserID, msn)
	assertProblem(t, h.post(t, dev, pathTestUnits, "", unitRequest{Name: "None left"}), 403, "forbidden")

	revoke(portaltest.AdminUserID, portaltest.ProductionMSN)
	assert.Equal(t, http.StatusAccepted, h.post(t, admin, pathTestUnits, "", unitRequest{Name: "Admin"}).Status,
		"an ADMINISTRATOR creates without any DEVELOPER grant")
}
