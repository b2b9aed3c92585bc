package portaltest_test

// The contract's "Product orders" section and the Management API's reach.

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

func orderStatus(t testing.TB, h *harness, as caller, id string) orderDetails {
	t.Helper()
	r := h.get(t, as, orderDetailsPath(id))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	return decodeAs[orderDetails](t, r)
}

// "A prefilled order starts RECEIVED and can move to MERCHANT_VIEWED,
// ORDER_SUBMITTED, then COMPLETED (with salesUnit) or REJECTED"; "Deleting one
// that was submitted is a 400 order-submitted."
func TestConformanceProductOrderLifecycle(t *testing.T) {
	h := newHarness(t)
	partner := h.partner(t)

	r := h.post(t, partner, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	assert.Equal(t, ctJSON, r.Header.Get("Content-Type"))
	m := r.JSON()
	id, _ := m["prefilledOrderId"].(string)
	assert.Regexp(t, uuidRE, id)
	assert.NotEmpty(t, m["prefillUrl"])
	assert.Equal(t, 1, h.s.Effects(portaltest.OpOrderProduct))

	d := orderStatus(t, h, partner, id)
	assert.Equal(t, "RECEIVED", d.Status)
	assert.Nil(t, d.SalesUnit, "no salesUnit before COMPLETED")
	lr := h.get(t, partner, pathOrdersV2)
	require.Equal(t, http.StatusOK, lr.Status)
	var listed bool
	for _, o := range decodeAs[[]orderDetails](t, lr) {
		listed = listed || o.ProductOrderID == id
	}
	assert.True(t, listed, "the order is listed")

	require.NoError(t, h.s.SetOrderStatus(id, "MERCHANT_VIEWED"))
	assert.Equal(t, "MERCHANT_VIEWED", orderStatus(t, h, partner, id).Status)
	require.NoError(t, h.s.SetOrderStatus(id, "ORDER_SUBMITTED"))
	assert.Equal(t, "ORDER_SUBMITTED", orderStatus(t, h, partner, id).Status)
	assert.Nil(t, orderStatus(t, h, partner, id).SalesUnit)

	state := h.s.State()
	assertProblem(t, h.do(t, partner, http.MethodDelete, pathOrders+"/"+id, nil, nil), 400, "order-submitted")
	assert.Equal(t, state, h.s.State())

	before := msns(decodeAs[[]msnInfo](t, h.get(t, partner, pathSalesUnit)))
	require.NoError(t, h.s.SetOrderStatus(id, "COMPLETED"))
	done := orderStatus(t, h, partner, id)
	assert.Equal(t, "COMPLETED", done.Status)
	require.NotNil(t, done.SalesUnit, "COMPLETED carries salesUnit")
	assert.Regexp(t, sixDigit, done.SalesUnit.MSN)
	after := msns(decodeAs[[]msnInfo](t, h.get(t, partner, pathSalesUnit)))
	assert.ElementsMatch(t, append(before, done.SalesUnit.MSN), after, "the new unit is connected to the partner")
	su := h.get(t, partner, pathSalesUnit+"/"+done.SalesUnit.MSN)
	assert.Equal(t, http.StatusOK, su.Status, "%s", su.Raw)
	assertProblem(t, h.do(t, partner, http.MethodDelete, pathOrders+"/"+id, nil, nil), 400, "order-submitted", "a completed order was submitted")

	// REJECTED: no salesUnit.
	r2 := h.post(t, partner, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusCreated, r2.Status)
	id2, _ := r2.JSON()["prefilledOrderId"].(string)
	require.NoError(t, h.s.SetOrderStatus(id2, "ORDER_SUBMITTED"))
	require.NoError(t, h.s.SetOrderStatus(id2, "REJECTED"))
	rej := orderStatus(t, h, partner, id2)
	assert.Equal(t, "REJECTED", rej.Status)
	assert.Nil(t, rej.SalesUnit)
}

// Deleting an unsubmitted order: 200, then it is gone.
func TestConformanceProductOrderDelete(t *testing.T) {
	h := newHarness(t)
	partner := h.partner(t)
	kept := h.post(t, partner, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusCreated, kept.Status)
	keptID, _ := kept.JSON()["prefilledOrderId"].(string)
	for _, status := range []string{"RECEIVED", "MERCHANT_VIEWED"} {
		r := h.post(t, partner, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
		require.Equal(t, http.StatusCreated, r.Status)
		id, _ := r.JSON()["prefilledOrderId"].(string)
		if status != "RECEIVED" {
			require.NoError(t, h.s.SetOrderStatus(id, status))
		}
		del := h.do(t, partner, http.MethodDelete, pathOrders+"/"+id, nil, nil)
		assert.Equal(t, http.StatusOK, del.Status, "delete a %s order: %s", status, del.Raw)
		assertProblem(t, h.get(t, partner, orderDetailsPath(id)), 404, "not-found")
		var listed []string
		for _, o := range decodeAs[[]orderDetails](t, h.get(t, partner, pathOrdersV2)) {
			listed = append(listed, o.ProductOrderID)
		}
		assert.Equal(t, []string{keptID}, listed, "the deleted order is not listed; the other one is")
	}
}

// "an unsubmitted one EXPIRES after 14 days".
func TestConformanceProductOrderExpires(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	partner := h.partner(t)
	ids := map[string]string{}
	for _, status := range []string{"RECEIVED", "MERCHANT_VIEWED", "ORDER_SUBMITTED"} {
		r := h.post(t, partner, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
		require.Equal(t, http.StatusCreated, r.Status)
		id, _ := r.JSON()["prefilledOrderId"].(string)
		if status != "RECEIVED" {
			require.NoError(t, h.s.SetOrderStatus(id, status))
		}
		ids[status] = id
	}
	clock.Advance(orderExpiryTime - time.Second)
	partner = h.partner(t)
	for status, id := range ids {
		assert.Equal(t, status, orderStatus(t, h, partner, id).Status, "not expired 1 s before 14 days")
	}
	clock.Advance(2 * time.Second)
	assert.Equal(t, "EXPIRED", orderStatus(t, h, partner, ids["RECEIVED"]).Status)
	assert.Equal(t, "EXPIRED", orderStatus(t, h, partner, ids["MERCHANT_VIEWED"]).Status, "viewed but unsubmitted expires too")
	assert.Equal(t, "ORDER_SUBMITTED", orderStatus(t, h, partner, ids["ORDER_SUBMITTED"]).Status, "a submitted order does not expire")
}

// WithOrderStep: RECEIVED, MERCHANT_VIEWED, ORDER_SUBMITTED, COMPLETED on the server clock.
func TestConformanceProductOrderSteps(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now), portaltest.WithOrderStep(5*time.Second))
	partner := h.partner(t)
	r := h.post(t, partner, pathOrders, "", orderBody(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusCreated, r.Status)
	id, _ := r.JSON()["prefilledOrderId"].(string)
	for _, want := range []string{"RECEIVED", "MERCHANT_VIEWED", "ORDER_SUBMITTED", "COMPLETED"} {
		assert.Equal(t, want, orderStatus(t, h, partner, id).Status)
		clock.Advance(5 * time.Second)
	}
	assert.NotNil(t, orderStatus(t, h, partner, id).SalesUnit)
}

// "A pricePackageId that is not the partner's is a 400. A prefill for a merchant
// the system does not know is accepted."
func TestConformanceProductOrderValidation(t *testing.T) {
	h := newHarness(t)
	partner := h.partner(t)
	state := h.s.State()
	foreign := orderBody(portaltest.DefaultMerchantID)
	foreign["pricePackageId"] = "0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e"
	assertProblem(t, h.post(t, partner, pathOrders, "", foreign), 400, "invalid-request", "a foreign pricePackageId")
	for _, body := range []string{
		`{"productType":"PAYMENT_INTEGRATION"}`,
		`{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"productType":"TOASTER"}`,
		`{"businessIdentifier":{"scheme":"short","id":"987654325"},"productType":"CHECKOUT"}`,
		`{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"productType":"CHECKOUT","annualTurnover":-1}`,
	} {
		r := h.send(t, call{Method: http.MethodPost, Path: pathOrders, As: &partner, IdemKey: newKey(), Body: body, Invalid: true})
		assertProblem(t, r, 400, "invalid-request", body)
	}
	assert.Equal(t, state, h.s.State())
	assert.Equal(t, 0, h.s.Effects(portaltest.OpOrderProduct))

	unknown := h.post(t, partner, pathOrders, "", orderBody("999999999"))
	assert.Equal(t, http.StatusCreated, unknown.Status, "an unknown merchant is accepted: %s", unknown.Raw)
	noPackage := orderBody(portaltest.DefaultMerchantID)
	delete(noPackage, "pricePackageId")
	assert.Equal(t, http.StatusCreated, h.post(t, partner, pathOrders, "", noPackage).Status, "pricePackageId is optional")

	pk := h.get(t, partner, pathPackages)
	require.Equal(t, http.StatusOK, pk.Status)
	var ids []string
	for _, p := range decodeAs[[]map[string]any](t, pk) {
		id, _ := p["pricePackageId"].(string)
		ids = append(ids, id)
	}
	assert.Equal(t, []string{portaltest.PricePackageID}, ids, "the partner's price packages")
}

// Management details of seeded production units and merchants.
func TestConformanceManagementDetails(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	r := h.get(t, admin, pathSalesUnit+"/"+portaltest.ProductionMSN)
	require.Equal(t, http.StatusOK, r.Status)
	m := r.JSON()
	assert.Equal(t, portaltest.ProductionMSN, m["msn"])
	assert.Equal(t, "ACME Web", m["name"])
	assert.Equal(t, map[string]any{"scheme": portaltest.DefaultMerchantScheme, "id": portaltest.DefaultMerchantID}, m["businessIdentifier"])
	cfg, _ := m["configuration"].(map[string]any)
	assert.Equal(t, "ReserveCapture", cfg["captureType"])
	assert.Equal(t, true, cfg["recurringAllowed"])

	mr := h.get(t, admin, merchantPath(portaltest.DefaultMerchantID))
	require.Equal(t, http.StatusOK, mr.Status)
	mm := mr.JSON()
	assert.Equal(t, "ACME Fantastic Fitness", mm["name"])
	assert.Equal(t, "NO", mm["countryCode"])
	assert.Equal(t, "ACTIVE", mm["status"])

	partner := h.partner(t)
	om := h.get(t, partner, merchantPath(portaltest.OtherMerchantID))
	require.Equal(t, http.StatusOK, om.Status)
	assert.Equal(t, "Other Merchant AS", om.JSON()["name"])
	os := h.get(t, partner, pathSalesUnit+"/"+portaltest.OtherMSN)
	require.Equal(t, http.StatusOK, os.Status)
	assert.Equal(t, "Other Shop", os.JSON()["name"])
}
