package portaltest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// orderExpiry: an unsubmitted order expires after 14 days.
const orderExpiry = 14 * 24 * time.Hour

var orderStatuses = []string{"RECEIVED", "MERCHANT_VIEWED", "ORDER_SUBMITTED", "EXPIRED", "COMPLETED", "REJECTED"}

type bankAccountJSON struct {
	Scheme string `json:"scheme" req:"1"`
	ID     string `json:"id" req:"1"`
}

type appJSON struct {
	AppName string `json:"appName" req:"1"`
}

type websiteJSON struct {
	URL                 string  `json:"url" req:"1"`
	TermsURL            string  `json:"termsUrl" req:"1"`
	TestWebsiteURL      *string `json:"testWebsiteUrl" null:"1"`
	TestWebsiteUsername *string `json:"testWebsiteUsername" null:"1"`
	TestWebsitePassword *string `json:"testWebsitePassword" null:"1"`
}

type productOrderRequestJSON struct {
	BusinessIdentifier       businessIdentifierJSON `json:"businessIdentifier" req:"1"`
	SalesUnitName            *string                `json:"salesUnitName" null:"1"`
	SalesUnitLogo            *string                `json:"salesUnitLogo" null:"1"`
	SettlementBankAccount    *bankAccountJSON       `json:"settlementBankAccount" null:"1"`
	PricePackageID           *string                `json:"pricePackageId" null:"1"`
	ProductType              string                 `json:"productType" req:"1"`
	ProductUseCase           *string                `json:"productUseCase" null:"1"`
	AnnualTurnover           *int64                 `json:"annualTurnover" null:"1"`
	AnnualTurnoverPercentage *string                `json:"annualTurnoverPercentage" null:"1"`
	IntendedPurpose          *string                `json:"intendedPurpose" null:"1"`
	App                      *appJSON               `json:"app" null:"1"`
	Website                  *websiteJSON           `json:"website" null:"1"`
	HasRecurring             *bool                  `json:"hasRecurring" null:"1"`
	MerchantCategoryCode     *string                `json:"merchantCategoryCode" null:"1"`
}

func (r *productOrderRequestJSON) check() *fieldError {
	if e := firstErr(r.BusinessIdentifier.check("businessIdentifier"), checkEnum("productType", r.ProductType, products...)); e != nil {
		return e
	}
	if r.SalesUnitName != nil {
		if e := checkLen("salesUnitName", *r.SalesUnitName, 1, 40); e != nil {
			return e
		}
	}
	if r.SalesUnitLogo != nil {
		if _, err := base64.StdEncoding.DecodeString(*r.SalesUnitLogo); err != nil {
			return ferr("salesUnitLogo", "must be base64")
		}
	}
	if b := r.SettlementBankAccount; b != nil {
		if e := firstErr(checkLen("settlementBankAccount.scheme", b.Scheme, 5, 20), checkPattern("settlementBankAccount.id", b.ID, reBankAccount)); e != nil {
			return e
		}
	}
	if r.PricePackageID != nil && !reUUID.MatchString(*r.PricePackageID) {
		return ferr("pricePackageId", "must be a UUID")
	}
	if r.ProductUseCase != nil {
		if e := checkEnum("productUseCase", *r.ProductUseCase, "Website", "WebsiteWithTest", "App", "Unknown"); e != nil {
			return e
		}
	}
	if r.AnnualTurnover != nil && (*r.AnnualTurnover < 0 || *r.AnnualTurnover > 999999999) {
		return ferr("annualTurnover", "must be from 0 to 999999999")
	}
	if r.AnnualTurnoverPercentage != nil {
		if e := checkPattern("annualTurnoverPercentage", *r.AnnualTurnoverPercentage, rePercentage); e != nil {
			return e
		}
	}
	if r.MerchantCategoryCode != nil {
		if e := checkPattern("merchantCategoryCode", *r.MerchantCategoryCode, reMCC); e != nil {
			return e
		}
	}
	return nil
}

type productOrderResponseJSON struct {
	PrefilledOrderID string `json:"prefilledOrderId"`
	PrefillURL       string `json:"prefillUrl"`
}

type productOrderDetailsJSON struct {
	ProductOrderType   string                 `json:"productOrderType"`
	ProductOrderID     string                 `json:"productOrderId"`
	ProductType        string                 `json:"productType"`
	Status             string                 `json:"status"`
	BusinessIdentifier businessIdentifierJSON `json:"businessIdentifier"`
	ProductOrderURL    string                 `json:"productOrderUrl,omitempty"`
	SalesUnit          *msnInfoJSON           `json:"salesUnit,omitempty"`
}

func (s *Server) orderJSON(o *order) productOrderDetailsJSON {
	d := productOrderDetailsJSON{ProductOrderType: "PREFILL", ProductOrderID: o.id, ProductType: o.productType,
		Status: o.status, BusinessIdentifier: o.biz.json(), ProductOrderURL: o.url}
	if o.status == "COMPLETED" && o.msn != "" {
		d.SalesUnit = &msnInfoJSON{o.msn, s.st.units[o.msn].name}
	}
	return d
}

func (s *Server) orderProduct(rq *request) *response {
	var body productOrderRequestJSON
	if e := rq.decodeBody(&body); e != nil {
		return rq.fail(e)
	}
	if fe := body.check(); fe != nil {
		return rq.fail(badRequest(fe.Path, "request body: "+fe.Error()))
	}
	if e := firstAPI(rq.idempotencyKey(), s.partnerOnly(rq)); e != nil {
		return rq.fail(e)
	}
	p := s.st.partners[rq.who.id]
	if body.PricePackageID != nil {
		found := false
		for _, pk := range p.packages {
			found = found || strings.EqualFold(pk.PricePackageID, *body.PricePackageID)
		}
		if !found {
			return rq.fail(badRequest("pricePackageId", "pricePackageId is not one of the partner's price packages"))
		}
	}
	return s.idempotent(rq, func() *response {
		id := s.rng.uuid()
		for s.st.orders[id] != nil {
			id = s.rng.uuid()
		}
		o := &order{id: id, partner: p.id, biz: bizID{body.BusinessIdentifier.Scheme, body.BusinessIdentifier.ID},
			productType: body.ProductType, status: "RECEIVED", createdAt: rq.now, changedAt: rq.now,
			url: "http://" + rq.r.Host + "/prefilled-orders/" + id}
		if body.SalesUnitName != nil {
			o.unitName = *body.SalesUnitName
		}
		s.st.orders[id] = o
		return jsonResponse(http.StatusCreated, ctPortal, productOrderResponseJSON{id, o.url})
	})
}

// partnerOrder finds one of the caller's orders, once the path's order id,
// the body limit and the principal check have passed.
func (s *Server) partnerOrder(rq *request) (*order, *apiError) {
	if e := firstAPI(rq.pathUUID("productOrderId"), rq.bodyLimit(), s.partnerOnly(rq)); e != nil {
		return nil, e
	}
	o := s.st.orders[strings.ToLower(rq.params["productOrderId"])]
	if o == nil || o.partner != rq.who.id {
		return nil, notFound("product order")
	}
	return o, nil
}

func (s *Server) deleteProductOrder(rq *request) *response {
	o, e := s.partnerOrder(rq)
	if e != nil {
		return rq.fail(e)
	}
	switch o.status {
	case "ORDER_SUBMITTED", "COMPLETED", "REJECTED":
		return rq.fail(newProblem(http.StatusBadRequest, pOrderSubmitted, "the merchant has already submitted the order"))
	}
	delete(s.st.orders, o.id)
	return emptyResponse(http.StatusOK)
}

func (s *Server) listProductOrders(rq *request) *response {
	if e := firstAPI(rq.bodyLimit(), s.partnerOnly(rq)); e != nil {
		return rq.fail(e)
	}
	os := filter(s.st.orders, func(o *order) bool { return o.partner == rq.who.id })
	sortBy(os, func(o *order) sortKey { return sortKey{o.createdAt, o.id} })
	out := []productOrderDetailsJSON{}
	for _, o := range os {
		out = append(out, s.orderJSON(o))
	}
	return mgmtOK(out)
}

func (s *Server) getProductOrder(rq *request) *response {
	o, e := s.partnerOrder(rq)
	if e != nil {
		return rq.fail(e)
	}
	return mgmtOK(s.orderJSON(o))
}

// advanceOrders applies order steps and expiry due by now, in time order.
func (s *Server) advanceOrders(now time.Time) {
	step := s.cfg.orderStep
	for _, o := range s.st.orders {
		for {
			var next time.Time
			nextStatus := ""
			if step > 0 {
				switch o.status {
				case "RECEIVED":
					nextStatus = "MERCHANT_VIEWED"
				case "MERCHANT_VIEWED":
					nextStatus = "ORDER_SUBMITTED"
				case "ORDER_SUBMITTED":
					nextStatus = "COMPLETED"
				}
				next = o.changedAt.Add(step)
			}
			if o.status == "RECEIVED" || o.status == "MERCHANT_VIEWED" {
				if exp := o.createdAt.Add(orderExpiry); nextStatus == "" || !exp.After(next) {
					next, nextStatus = exp, "EXPIRED"
				}
			}
			if nextStatus == "" || now.Before(next) {
				break
			}
			s.setOrderStatus(o, nextStatus, next)
		}
	}
}

// setOrderStatus moves an order; COMPLETED creates its production unit,
// connected to the partner.
func (s *Server) setOrderStatus(o *order, status string, at time.Time) {
	o.status, o.changedAt = status, at
	if status != "COMPLETED" || o.msn != "" {
		return
	}
	m := s.st.merchants[o.biz]
	if m == nil {
		country := "NO"
		if parts := strings.Split(o.biz.scheme, ":"); len(parts) >= 2 && reCountry.MatchString(parts[1]) {
			country = parts[1]
		}
		m = &merchant{biz: o.biz, name: fmt.Sprintf("Merchant %s", o.biz.id), country: country, status: "ACTIVE", createdAt: at, updatedAt: at}
		s.st.merchants[o.biz] = m
	}
	name := o.unitName
	if name == "" {
		name = m.name
	}
	msn := s.st.newMSN(s.rng)
	s.st.units[msn] = &unit{msn: msn, name: name, env: "production", merchant: o.biz, createdAt: at, completedAt: at,
		config: SeedConfiguration{PaymentAllowed: bp(true), CaptureType: "ReserveCapture"}, keys: s.st.genKeySet(s.rng, at), keysReady: true}
	s.st.partners[o.partner].connected[msn] = true
	o.msn = msn
}

func sortBy[T any](items []T, key func(T) sortKey) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && key(items[j]).less(key(items[j-1])); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}
