package salesunit_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

const orderID = "5b1f6c43-8f0e-4a8e-9a57-0d6f2b3c4d5e"

func TestProductOrdersPrefill(t *testing.T) {
	m := newMockAPI(t)
	calls := m.expect(http.MethodPost, "/management/v1/product-orders", want{idempotent: true, body: `{
		"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"productType":"CHECKOUT",
		"salesUnitName":"ACME Web","pricePackageId":"8a11afb7-c223-48ed-8ca6-4722b97261aa","annualTurnover":1000000,
		"website":{"url":"https://acme.example","termsUrl":"https://acme.example/terms","testWebsitePassword":"hunter2-pw"}}`},
		http.StatusCreated, portalJSON, `{"prefilledOrderId":"`+orderID+`","prefillUrl":"https://portal.vipps.no/register/prefill/`+orderID+`"}`)
	turnover := int64(1000000)
	req := &salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductCheckout,
		SalesUnitName: "ACME Web", PricePackageID: portaltest.PricePackageID, AnnualTurnover: &turnover,
		Website: &salesunit.Website{URL: "https://acme.example", TermsURL: "https://acme.example/terms", TestWebsitePassword: vipps.Secret("hunter2-pw")}}
	o, err := m.client.ProductOrders.Prefill(t.Context(), *req)
	require.NoError(t, err)
	assert.Equal(t, orderID, o.ProductOrderID)
	assert.Contains(t, o.PrefillURL, orderID)
	assert.Equal(t, 1, calls())

	// The request type itself never prints or encodes the password.
	b, err := json.Marshal(req)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "hunter2-pw")
	assert.NotContains(t, fmt.Sprintf("%+v %#v", *req.Website, *req.Website), "hunter2-pw")
}

// Names Vipps accepts pass: letters with marks, digits, spaces and \()-_+.`.
func TestProductOrdersPrefillAcceptsVippsNames(t *testing.T) {
	m := newMockAPI(t)
	name := "Bakeri Øst (Ålesund) - kafé_1 + `x`. \\"
	calls := m.expect(http.MethodPost, "/management/v1/product-orders", want{idempotent: true,
		body: `{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"productType":"CHECKOUT","salesUnitName":` + strconvQuote(name) + `}`},
		http.StatusCreated, portalJSON, `{"prefilledOrderId":"`+orderID+`","prefillUrl":"https://portal.vipps.no/register/prefill/`+orderID+`"}`)
	_, err := m.client.ProductOrders.Prefill(t.Context(), salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductCheckout, SalesUnitName: name})
	require.NoError(t, err)
	assert.Equal(t, 1, calls())
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestProductOrdersPrefillErrors(t *testing.T) {
	m := newMockAPI(t)
	m.mock.RegisterResponder(http.MethodPost, base+"/management/v1/product-orders", problemResponder(http.StatusBadRequest, "invalid-request"))
	_, err := m.client.ProductOrders.Prefill(t.Context(), salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductLogin})
	requireAPIError(t, err, http.StatusBadRequest, vipps.ProblemInvalidRequest, vipps.ErrBadRequest)

	m.mock.RegisterResponder(http.MethodPost, base+"/management/v1/product-orders", problemResponder(http.StatusForbidden, "forbidden"))
	_, err = m.client.ProductOrders.Prefill(t.Context(), salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductLogin})
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemForbidden, vipps.ErrForbidden)
}

func TestProductOrdersValidation(t *testing.T) {
	m := newMockAPI(t)
	ctx := t.Context()
	ok := func(mut func(r *salesunit.ProductOrderRequest)) salesunit.ProductOrderRequest {
		r := salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductCheckout}
		mut(&r)
		return r
	}
	n := int64(-1)
	cases := map[string]salesunit.ProductOrderRequest{
		"ProductOrderRequest.BusinessIdentifier":        ok(func(r *salesunit.ProductOrderRequest) { r.BusinessIdentifier = vipps.BusinessIdentifier{} }),
		"ProductOrderRequest.BusinessIdentifier.ID":     ok(func(r *salesunit.ProductOrderRequest) { r.BusinessIdentifier.ID = "" }),
		"ProductOrderRequest.BusinessIdentifier.Scheme": ok(func(r *salesunit.ProductOrderRequest) { r.BusinessIdentifier.Scheme = "" }),
		"ProductOrderRequest.ProductType":               ok(func(r *salesunit.ProductOrderRequest) { r.ProductType = "" }),
		"ProductOrderRequest.SalesUnitName":             ok(func(r *salesunit.ProductOrderRequest) { r.SalesUnitName = string(make([]byte, 41)) }),
		"ProductOrderRequest.PricePackageID":            ok(func(r *salesunit.ProductOrderRequest) { r.PricePackageID = "pkg-1" }),
		"ProductOrderRequest.ProductUseCase":            ok(func(r *salesunit.ProductOrderRequest) { r.ProductUseCase = "Shop" }),
		"ProductOrderRequest.AnnualTurnover":            ok(func(r *salesunit.ProductOrderRequest) { r.AnnualTurnover = &n }),
		"ProductOrderRequest.AnnualTurnoverPercentage":  ok(func(r *salesunit.ProductOrderRequest) { r.AnnualTurnoverPercentage = "15" }),
		"ProductOrderRequest.MerchantCategoryCode":      ok(func(r *salesunit.ProductOrderRequest) { r.MerchantCategoryCode = "12a4" }),
		"ProductOrderRequest.App.AppName":               ok(func(r *salesunit.ProductOrderRequest) { r.App = &salesunit.App{} }),
		"ProductOrderRequest.Website.TermsURL":          ok(func(r *salesunit.ProductOrderRequest) { r.Website = &salesunit.Website{URL: "https://x"} }),
		"ProductOrderRequest.SettlementBankAccount.ID": ok(func(r *salesunit.ProductOrderRequest) {
			r.SettlementBankAccount = &salesunit.BankAccount{Scheme: "BBAN:NO", ID: "123"}
		}),
	}
	for field, req := range cases {
		_, err := m.client.ProductOrders.Prefill(ctx, req)
		requireInvalid(t, err, field)
	}
	_, err := m.client.ProductOrders.Prefill(ctx, ok(func(r *salesunit.ProductOrderRequest) { r.ProductType = "PIZZA" }))
	requireInvalid(t, err, "ProductOrderRequest.ProductType")

	// Vipps' own rules: a sales unit name of letters, marks, digits, spaces and
	// \()-_+.` only, and https website addresses.
	for _, name := range []string{"Bob's Bikes & Co", "ACME/Web", "Tab\there", "Smile 😀"} {
		_, err := m.client.ProductOrders.Prefill(ctx, ok(func(r *salesunit.ProductOrderRequest) { r.SalesUnitName = name }))
		requireInvalid(t, err, "ProductOrderRequest.SalesUnitName")
	}
	site := func(url, terms, test string) func(r *salesunit.ProductOrderRequest) {
		return func(r *salesunit.ProductOrderRequest) {
			r.Website = &salesunit.Website{URL: url, TermsURL: terms, TestWebsiteURL: test}
		}
	}
	for field, mut := range map[string]func(r *salesunit.ProductOrderRequest){
		"ProductOrderRequest.Website.URL":            site("http://acme.example", "https://acme.example/terms", ""),
		"ProductOrderRequest.Website.TermsURL":       site("https://acme.example", "acme.example/terms", ""),
		"ProductOrderRequest.Website.TestWebsiteURL": site("https://acme.example", "https://acme.example/terms", "ftp://test.acme.example"),
	} {
		_, err := m.client.ProductOrders.Prefill(ctx, ok(mut))
		requireInvalid(t, err, field)
		assert.NotContains(t, err.Error(), "acme.example", "the address is not echoed")
	}

	for _, id := range []string{"", "not-a-uuid", "5b1f6c43-8f0e-4a8e-9a57-0d6f2b3c4d5", "5b1f6c43/8f0e-4a8e-9a57-0d6f2b3c4d5e"} {
		_, err := m.client.ProductOrders.Get(ctx, id)
		requireInvalid(t, err, "productOrderID")
		requireInvalid(t, m.client.ProductOrders.Delete(ctx, id), "productOrderID")
		_, err = m.client.ProductOrders.WaitUntilCompleted(ctx, id, nil)
		requireInvalid(t, err, "productOrderID")
	}
	assert.Zero(t, m.mock.GetTotalCallCount())
}

func TestProductOrdersGetListPricePackages(t *testing.T) {
	m := newMockAPI(t)
	detail := `{"productOrderType":"PREFILL","productOrderId":"` + orderID + `","productType":"CHECKOUT","status":"COMPLETED",
		"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"productOrderUrl":null,"salesUnit":{"msn":"345678","name":"ACME Shop"}}`
	m.expect(http.MethodGet, "/management/v2/product-orders/"+orderID+"/details", want{}, http.StatusOK, mgmtJSON, detail)
	m.expect(http.MethodGet, "/management/v2/product-orders", want{}, http.StatusOK, mgmtJSON, "["+detail+"]")
	m.expect(http.MethodGet, "/management/v1/partners/price-packages", want{}, http.StatusOK, mgmtJSON,
		`[{"pricePackageId":"8a11afb7-c223-48ed-8ca6-4722b97261aa","name":"POS standard","description":"2.99%","productType":"PAYMENT_INTEGRATION","market":"NO","commission":null}]`)
	ctx := t.Context()

	o, err := m.client.ProductOrders.Get(ctx, orderID)
	require.NoError(t, err)
	assert.Equal(t, salesunit.OrderCompleted, o.Status)
	assert.Equal(t, salesunit.OrderTypePrefill, o.ProductOrderType)
	assert.Equal(t, &salesunit.MSNInfo{MSN: "345678", Name: "ACME Shop"}, o.SalesUnit)

	list, err := m.client.ProductOrders.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, *o, list[0])

	pkgs, err := m.client.ProductOrders.PricePackages(ctx)
	require.NoError(t, err)
	require.Len(t, pkgs, 1)
	assert.Equal(t, salesunit.PricePackage{PricePackageID: portaltest.PricePackageID, Name: "POS standard", Description: "2.99%",
		ProductType: salesunit.ProductPaymentIntegration, Market: "NO"}, pkgs[0])
}

func TestProductOrdersDelete(t *testing.T) {
	m := newMockAPI(t)
	calls := m.expect(http.MethodDelete, "/management/v1/product-orders/"+orderID, want{}, http.StatusOK, "", "")
	require.NoError(t, m.client.ProductOrders.Delete(t.Context(), orderID))
	assert.Equal(t, 1, calls())

	m.mock.RegisterResponder(http.MethodDelete, base+"/management/v1/product-orders/"+orderID, problemResponder(http.StatusBadRequest, "order-submitted"))
	err := m.client.ProductOrders.Delete(t.Context(), orderID)
	requireAPIError(t, err, http.StatusBadRequest, vipps.ProblemOrderSubmitted, vipps.ErrBadRequest)
}

// The whole life of a prefilled order against the simulator: a partner
// prefills, reads, lists, deletes, and sees a submitted order refuse deletion.
func TestProductOrdersAgainstSimulator(t *testing.T) {
	s := newSim(t)
	ctx := t.Context()
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID))

	pkgs, err := partner.ProductOrders.PricePackages(ctx)
	require.NoError(t, err)
	require.Len(t, pkgs, 1)
	assert.Equal(t, portaltest.PricePackageID, pkgs[0].PricePackageID)

	req := &salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductCheckout,
		SalesUnitName: "ACME Shop", PricePackageID: portaltest.PricePackageID}
	o, err := partner.ProductOrders.Prefill(ctx, *req)
	require.NoError(t, err)
	require.NotEmpty(t, o.ProductOrderID)
	assert.NotEmpty(t, o.PrefillURL)
	r := s.RequestsOf("orderProduct")
	require.Len(t, r, 1)
	assert.Equal(t, http.StatusCreated, r[0].Status)
	assert.NotEmpty(t, r[0].IdempotencyKey)
	assert.Equal(t, "/management/v1/product-orders", r[0].Path)

	got, err := partner.ProductOrders.Get(ctx, o.ProductOrderID)
	require.NoError(t, err)
	assert.Equal(t, salesunit.OrderReceived, got.Status)
	assert.Equal(t, acme, got.BusinessIdentifier)
	assert.Nil(t, got.SalesUnit)

	list, err := partner.ProductOrders.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, o.ProductOrderID, list[0].ProductOrderID)

	// Users and unit keys may not touch product orders.
	admin := s.AdminClient(fastRetry)
	_, err = admin.ProductOrders.Get(ctx, o.ProductOrderID)
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemForbidden, vipps.ErrForbidden)

	// A price package that is not the partner's is a 400.
	bad := *req
	bad.PricePackageID = "00000000-0000-4000-8000-000000000000"
	_, err = partner.ProductOrders.Prefill(ctx, bad)
	requireAPIError(t, err, http.StatusBadRequest, vipps.ProblemInvalidRequest, vipps.ErrBadRequest)

	// Submitted orders cannot be deleted; unsubmitted ones can, once.
	require.NoError(t, s.SetOrderStatus(o.ProductOrderID, string(salesunit.OrderSubmitted)))
	err = partner.ProductOrders.Delete(ctx, o.ProductOrderID)
	requireAPIError(t, err, http.StatusBadRequest, vipps.ProblemOrderSubmitted, vipps.ErrBadRequest)

	o2, err := partner.ProductOrders.Prefill(ctx, *req)
	require.NoError(t, err)
	require.NoError(t, partner.ProductOrders.Delete(ctx, o2.ProductOrderID))
	_, err = partner.ProductOrders.Get(ctx, o2.ProductOrderID)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	err = partner.ProductOrders.Delete(ctx, o2.ProductOrderID)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
}

// A prefill whose answer is lost after the work is done is retried with the
// same Idempotency-Key: the simulator replays, one order exists, and the
// caller holds it.
func TestProductOrdersPrefillLostResponse(t *testing.T) {
	s := newSim(t)
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID))
	s.InjectFault(portaltest.Fault{Operation: "orderProduct", DropAfterWork: true})

	o, err := partner.ProductOrders.Prefill(t.Context(), salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductLogin})
	require.NoError(t, err)
	assert.Equal(t, 1, s.FaultsInjected())
	assert.Equal(t, 1, s.Effects("orderProduct"), "exactly one order was made")

	assertReplayedRetry(t, s, "orderProduct", http.StatusCreated)
	orders := s.State().ProductOrders
	require.Len(t, orders, 1)
	assert.Equal(t, orders[0].ProductOrderID, o.ProductOrderID, "the caller holds the one order")
}
