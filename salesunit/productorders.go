package salesunit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// ProductType is the product a merchant orders.
type ProductType string

// Product types of the contract.
const (
	ProductPaymentIntegration ProductType = "PAYMENT_INTEGRATION"
	ProductCashier            ProductType = "CASHIER"
	ProductCheckout           ProductType = "CHECKOUT"
	ProductLogin              ProductType = "LOGIN"
	ProductDonations          ProductType = "DONATIONS"
)

func (p ProductType) known() bool {
	switch p {
	case ProductPaymentIntegration, ProductCashier, ProductCheckout, ProductLogin, ProductDonations:
		return true
	}
	return false
}

// ProductUseCase says where the product will be used.
type ProductUseCase string

// Use cases of the contract.
const (
	UseCaseWebsite         ProductUseCase = "Website"
	UseCaseWebsiteWithTest ProductUseCase = "WebsiteWithTest"
	UseCaseApp             ProductUseCase = "App"
	UseCaseUnknown         ProductUseCase = "Unknown"
)

// ProductOrderStatus is where a product order is in its life: RECEIVED, then
// MERCHANT_VIEWED, ORDER_SUBMITTED, and finally COMPLETED or REJECTED; an
// unsubmitted order becomes EXPIRED after 14 days.
type ProductOrderStatus string

// Product order statuses of the contract.
const (
	OrderReceived       ProductOrderStatus = "RECEIVED"
	OrderMerchantViewed ProductOrderStatus = "MERCHANT_VIEWED"
	OrderSubmitted      ProductOrderStatus = "ORDER_SUBMITTED"
	OrderExpired        ProductOrderStatus = "EXPIRED"
	OrderCompleted      ProductOrderStatus = "COMPLETED"
	OrderRejected       ProductOrderStatus = "REJECTED"
)

// Closed reports whether the order can no longer complete (REJECTED or EXPIRED).
func (s ProductOrderStatus) Closed() bool { return s == OrderRejected || s == OrderExpired }

// ProductOrderType says how an order was made.
type ProductOrderType string

// Order types of the contract.
const (
	OrderTypePrefill  ProductOrderType = "PREFILL"
	OrderTypeTemplate ProductOrderType = "TEMPLATE"
	OrderTypeManual   ProductOrderType = "MANUAL"
)

// BankAccount is a settlement bank account, such as {Scheme: "BBAN:NO", ID: "12345678903"}.
type BankAccount struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

// App names the merchant's app.
type App struct {
	AppName string `json:"appName"`
}

// Website describes the merchant's website. URL and TermsURL are required;
// they and TestWebsiteURL, when given, must be absolute https URLs (Vipps
// refuses others). The test website's username and password are optional.
// TestWebsitePassword is a secret: it prints redacted and json.Marshal of a
// request never writes it; [ProductOrdersService.Prefill] sends it.
type Website struct {
	URL                 string       `json:"url"`                      // required, https
	TermsURL            string       `json:"termsUrl"`                 // required, https: the merchant's terms and conditions
	TestWebsiteURL      string       `json:"testWebsiteUrl,omitempty"` // https, where Vipps can test the integration
	TestWebsiteUsername string       `json:"testWebsiteUsername,omitempty"`
	TestWebsitePassword vipps.Secret `json:"testWebsitePassword,omitempty"`
}

// ProductOrderRequest prefills a product order for a merchant to review and
// submit ([ProductOrdersService.Prefill]). BusinessIdentifier and ProductType
// are required; the rest is optional (zero values are not sent), and what is
// given must follow the rule beside its field. A field that breaks its rule
// is refused before any request, named as ProductOrderRequest.Field.
type ProductOrderRequest struct {
	BusinessIdentifier       vipps.BusinessIdentifier `json:"businessIdentifier"`                 // required: Scheme 10-30 characters, ID 4-50 digits or '-'
	ProductType              ProductType              `json:"productType"`                        // required: one of the Product* constants
	SalesUnitName            string                   `json:"salesUnitName,omitempty"`            // at most 40 letters, digits, spaces and \()-_+.`
	SalesUnitLogo            []byte                   `json:"salesUnitLogo,omitempty"`            // a PNG, sent as base64
	SettlementBankAccount    *BankAccount             `json:"settlementBankAccount,omitempty"`    // Scheme 5-20 characters, ID 9-34 digits
	PricePackageID           string                   `json:"pricePackageId,omitempty"`           // a UUID: one of PricePackages
	ProductUseCase           ProductUseCase           `json:"productUseCase,omitempty"`           // one of the UseCase* constants
	AnnualTurnover           *int64                   `json:"annualTurnover,omitempty"`           // 0-999999999
	AnnualTurnoverPercentage string                   `json:"annualTurnoverPercentage,omitempty"` // "10", "20" ... "100"
	IntendedPurpose          string                   `json:"intendedPurpose,omitempty"`
	App                      *App                     `json:"app,omitempty"`     // AppName required when given
	Website                  *Website                 `json:"website,omitempty"` // see Website
	HasRecurring             *bool                    `json:"hasRecurring,omitempty"`
	MerchantCategoryCode     string                   `json:"merchantCategoryCode,omitempty"` // 4 digits
}

func (r *ProductOrderRequest) check() error {
	const f = "ProductOrderRequest"
	if err := core.CheckBusinessIdentifier(f+".BusinessIdentifier", r.BusinessIdentifier); err != nil {
		return err
	}
	if err := core.CheckRequired(f+".ProductType", string(r.ProductType)); err != nil {
		return err
	}
	if !r.ProductType.known() {
		return core.Invalid(f+".ProductType", "must be PAYMENT_INTEGRATION, CASHIER, CHECKOUT, LOGIN or DONATIONS, got %q", r.ProductType)
	}
	if n := utf8.RuneCountInString(r.SalesUnitName); n > 40 {
		return core.Invalid(f+".SalesUnitName", "is %d characters; at most 40 are allowed", n)
	}
	if err := checkSalesUnitName(f+".SalesUnitName", r.SalesUnitName); err != nil {
		return err
	}
	if a := r.SettlementBankAccount; a != nil {
		if n := utf8.RuneCountInString(a.Scheme); n < 5 || n > 20 {
			return core.Invalid(f+".SettlementBankAccount.Scheme", "must be 5-20 characters (such as BBAN:NO), got %q", a.Scheme)
		}
		if !matchAll(a.ID, 9, 34, isDigit) {
			return core.Invalid(f+".SettlementBankAccount.ID", "must be 9-34 digits")
		}
	}
	if r.PricePackageID != "" {
		if err := core.CheckUUID(f+".PricePackageID", r.PricePackageID); err != nil {
			return err
		}
	}
	switch r.ProductUseCase {
	case "", UseCaseWebsite, UseCaseWebsiteWithTest, UseCaseApp, UseCaseUnknown:
	default:
		return core.Invalid(f+".ProductUseCase", "must be Website, WebsiteWithTest, App or Unknown, got %q", r.ProductUseCase)
	}
	if t := r.AnnualTurnover; t != nil && (*t < 0 || *t > 999999999) {
		return core.Invalid(f+".AnnualTurnover", "must be 0-999999999, got %d", *t)
	}
	if p := r.AnnualTurnoverPercentage; p != "" && !(p == "100" || len(p) == 2 && p[0] >= '1' && p[0] <= '9' && p[1] == '0') {
		return core.Invalid(f+".AnnualTurnoverPercentage", "must be one of 10, 20 ... 100, got %q", p)
	}
	if r.App != nil {
		if err := core.CheckRequired(f+".App.AppName", r.App.AppName); err != nil {
			return err
		}
	}
	if w := r.Website; w != nil {
		if err := core.CheckRequired(f+".Website.URL", w.URL); err != nil {
			return err
		}
		if err := core.CheckRequired(f+".Website.TermsURL", w.TermsURL); err != nil {
			return err
		}
		for _, u := range []struct{ field, v string }{{".Website.URL", w.URL}, {".Website.TermsURL", w.TermsURL}, {".Website.TestWebsiteURL", w.TestWebsiteURL}} {
			if err := checkHTTPS(f+u.field, u.v); err != nil {
				return err
			}
		}
	}
	if c := r.MerchantCategoryCode; c != "" && !matchAll(c, 4, 4, isDigit) {
		return core.Invalid(f+".MerchantCategoryCode", "must be 4 digits, got %q", c)
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkSalesUnitName refuses what Vipps' schema refuses in a sales unit name:
// anything but letters, marks, digits, spaces and \()-_+.` (so "Bob's Bikes &
// Co" is refused here rather than by Vipps).
func checkSalesUnitName(field, name string) error {
	for i, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.Is(unicode.M, r), unicode.IsDigit(r), r == ' ', strings.ContainsRune("\\()-_+.`", r):
		default:
			return core.Invalid(field, "must hold only letters, digits, spaces and \\()-_+.` (Vipps' rule), got %q at byte %d", r, i)
		}
	}
	return nil
}

// checkHTTPS refuses a website address that is not an absolute https URL
// (Vipps refuses them); "" is left to the required checks. The value is not
// echoed: a test website's address may carry credentials.
func checkHTTPS(field, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return core.Invalid(field, "is not a URL; give an absolute https URL such as https://example.com/terms")
	case !strings.EqualFold(u.Scheme, "https"):
		return core.Invalid(field, "must be an https URL, got scheme %q", u.Scheme)
	case u.Host == "":
		return core.Invalid(field, "must be an absolute https URL with a host")
	}
	return nil
}

// productOrderBody is what Prefill sends: the request with the website's
// password revealed (the public type never encodes it).
type productOrderBody struct {
	*ProductOrderRequest
	Website *websiteBody `json:"website,omitempty"`
}

type websiteBody struct {
	URL                 string `json:"url"`
	TermsURL            string `json:"termsUrl"`
	TestWebsiteURL      string `json:"testWebsiteUrl,omitempty"`
	TestWebsiteUsername string `json:"testWebsiteUsername,omitempty"`
	TestWebsitePassword string `json:"testWebsitePassword,omitempty"`
}

// PrefilledOrder is the answer to [ProductOrdersService.Prefill]: the order's
// id (Vipps' prefilledOrderId, the id [ProductOrdersService.Get],
// [ProductOrdersService.Delete] and [ProductOrdersService.WaitUntilCompleted]
// take) and the URL where the merchant reviews and submits it.
type PrefilledOrder struct {
	ProductOrderID string `json:"prefilledOrderId"`
	PrefillURL     string `json:"prefillUrl"`
}

// ProductOrder is a product order and its progress. SalesUnit is set once the
// order is COMPLETED.
type ProductOrder struct {
	ProductOrderType   ProductOrderType         `json:"productOrderType,omitempty"`
	ProductOrderID     string                   `json:"productOrderId,omitempty"`
	ProductType        ProductType              `json:"productType,omitempty"`
	Status             ProductOrderStatus       `json:"status"`
	BusinessIdentifier vipps.BusinessIdentifier `json:"businessIdentifier"`
	ProductOrderURL    string                   `json:"productOrderUrl,omitempty"`
	SalesUnit          *MSNInfo                 `json:"salesUnit,omitempty"`
}

// PricePackage is one of a partner's price packages
// ([ProductOrdersService.PricePackages]).
type PricePackage struct {
	PricePackageID      string      `json:"pricePackageId"`
	Name                string      `json:"name"`
	Description         string      `json:"description"`
	VisibleInSignupForm *bool       `json:"visibleInSignupForm,omitempty"`
	ProductType         ProductType `json:"productType,omitempty"`
	Market              string      `json:"market,omitempty"` // DK, NO or FI
	Commission          *string     `json:"commission,omitempty"`
}

// ErrOrderClosed matches an *[OrderClosedError]: errors.Is(err, salesunit.ErrOrderClosed).
var ErrOrderClosed = errors.New("vipps: product order closed without completing")

// OrderClosedError is [ProductOrdersService.WaitUntilCompleted]'s answer for
// an order that can no longer complete: the merchant's order was REJECTED, or
// it EXPIRED unsubmitted.
type OrderClosedError struct {
	Order *ProductOrder // the order as last read
}

// Error reads "vipps: product order ID is STATUS and will not complete".
func (e *OrderClosedError) Error() string {
	return fmt.Sprintf("vipps: product order %s is %s and will not complete", e.Order.ProductOrderID, e.Order.Status)
}

// Is matches [ErrOrderClosed].
func (e *OrderClosedError) Is(target error) bool { return target == ErrOrderClosed }

// Prefill prefills a product order for a merchant to review and submit:
// POST /management/v1/product-orders. Partners only.
//
// A request that breaks a rule of [ProductOrderRequest] is a
// *[vipps.ValidationError] naming the field. A PricePackageID that is not one
// of the partner's is [vipps.ErrBadRequest]; a caller that is not a partner
// gets [vipps.ErrForbidden]. A merchant Vipps does not know yet is accepted. A
// lost answer is retried with the same Idempotency-Key, so the order is made
// once; when the outcome stays unknown, the error's *[vipps.Error] holds the
// key to repeat the call with
// ([github.com/vippsportal/sdk/portal.WithIdempotencyKey]).
func (s *ProductOrdersService) Prefill(ctx context.Context, req ProductOrderRequest) (*PrefilledOrder, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	body := productOrderBody{ProductOrderRequest: &req}
	if w := req.Website; w != nil {
		body.Website = &websiteBody{URL: w.URL, TermsURL: w.TermsURL, TestWebsiteURL: w.TestWebsiteURL,
			TestWebsiteUsername: w.TestWebsiteUsername, TestWebsitePassword: w.TestWebsitePassword.Reveal()}
	}
	return core.Call[PrefilledOrder](ctx, s.client(), &core.Request{Group: core.GroupManagement, Operation: "orderProduct",
		Method: http.MethodPost, Path: "/management/v1/product-orders", Body: body, Idempotent: true})
}

// Get fetches one product order:
// GET /management/v2/product-orders/{productOrderId}/details.
//
// A productOrderID that is not a UUID is a *[vipps.ValidationError]. An
// unknown order, or another partner's, is [vipps.ErrNotFound] (Vipps marks
// this operation as coming, so it may answer 404 for every order: see
// [ProductOrdersService.WaitUntilCompleted]); a caller that is not a partner
// gets [vipps.ErrForbidden].
func (s *ProductOrdersService) Get(ctx context.Context, productOrderID string) (*ProductOrder, error) {
	if err := core.CheckUUID("productOrderID", productOrderID); err != nil {
		return nil, err
	}
	return core.Call[ProductOrder](ctx, s.client(), &core.Request{Group: core.GroupManagement, Operation: "getProductOrderDetails",
		Method: http.MethodGet, Path: core.Path("/management/v2/product-orders/%s/details", productOrderID)})
}

// List lists the caller's product orders: GET /management/v2/product-orders.
// The answer is the whole list. A caller that is not a partner gets
// [vipps.ErrForbidden].
func (s *ProductOrdersService) List(ctx context.Context) ([]ProductOrder, error) {
	return core.CallList[ProductOrder](ctx, s.client(), &core.Request{Group: core.GroupManagement, Operation: "getProductOrders",
		Method: http.MethodGet, Path: "/management/v2/product-orders"})
}

// Delete deletes a prefilled order the merchant has not submitted yet:
// DELETE /management/v1/product-orders/{productOrderId}.
//
// A productOrderID that is not a UUID is a *[vipps.ValidationError]. A
// submitted order answers 400 order-submitted ([vipps.ErrBadRequest],
// Problem [vipps.ProblemOrderSubmitted]; Vipps' delete answers no 409); an
// unknown order, or another partner's, is [vipps.ErrNotFound]; a caller that
// is not a partner gets [vipps.ErrForbidden]. A retry after a lost answer
// that finds the order gone reports success.
func (s *ProductOrdersService) Delete(ctx context.Context, productOrderID string) error {
	if err := core.CheckUUID("productOrderID", productOrderID); err != nil {
		return err
	}
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupManagement, Operation: "deleteProductOrder",
		Method: http.MethodDelete, Path: core.Path("/management/v1/product-orders/%s", productOrderID)}, nil)
	return err
}

// PricePackages lists the calling partner's price packages:
// GET /management/v1/partners/price-packages. A caller that is not a partner
// gets [vipps.ErrForbidden].
func (s *ProductOrdersService) PricePackages(ctx context.Context) ([]PricePackage, error) {
	return core.CallList[PricePackage](ctx, s.client(), &core.Request{Group: core.GroupManagement, Operation: "getPartnerPricePackages",
		Method: http.MethodGet, Path: "/management/v1/partners/price-packages"})
}

// WaitUntilCompleted polls the order (GET /management/v2/product-orders/{productOrderId}/details)
// until the merchant's order is COMPLETED, and returns it with its SalesUnit.
// Vipps marks the details operation as coming: if it answers 404, the waiter
// finds the order in the list (GET /management/v2/product-orders) instead, and
// keeps doing so; an order in neither is the 404.
//
// A productOrderID that is not a UUID, or a negative duration in opts, is a
// *[vipps.ValidationError] before any request. A REJECTED or EXPIRED order
// stops the wait at once with an *[OrderClosedError] (errors.Is
// [ErrOrderClosed]). Errors that may pass (those [vipps.Error.Temporary]
// reports: no answer, 408, 429, 500, 502-504) keep it going; others stop it
// at once: [vipps.ErrNotFound] for an order neither operation knows,
// [vipps.ErrForbidden], [vipps.ErrUnauthorized]. When ctx ends, its error is
// returned.
// Past opts.Timeout it returns a *[vipps.WaitTimeoutError]
// ([vipps.ErrWaitTimeout]) naming the order and its last status; OnPoll
// events carry the *[ProductOrder] ([PollEvent].Order).
func (s *ProductOrdersService) WaitUntilCompleted(ctx context.Context, productOrderID string, opts *WaitOptions) (*ProductOrder, error) {
	if err := core.CheckUUID("productOrderID", productOrderID); err != nil {
		return nil, err
	}
	po, err := pollOptions(opts, "product order", productOrderID, func(e *PollEvent, o *ProductOrder) { e.Order = o })
	if err != nil {
		return nil, err
	}
	var notFound error // the details operation's 404: the order is read from the list
	o, err := core.Poll(ctx, po, func(ctx context.Context) (core.Seen[*ProductOrder], error) {
		var o *ProductOrder
		var err error
		if notFound == nil {
			if o, err = s.Get(ctx, productOrderID); errors.Is(err, vipps.ErrNotFound) {
				notFound = err
			}
		}
		if notFound != nil {
			o, err = s.findInList(ctx, productOrderID, notFound)
		}
		switch {
		case err != nil:
			return core.Seen[*ProductOrder]{}, err
		case o.Status.Closed():
			return core.Seen[*ProductOrder]{Value: o, Status: string(o.Status)}, &OrderClosedError{Order: o}
		}
		return core.Seen[*ProductOrder]{Value: o, Status: string(o.Status), Done: o.Status == OrderCompleted}, nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// findInList finds an order in the v2 list; an order not there is notFound,
// the details operation's 404.
func (s *ProductOrdersService) findInList(ctx context.Context, productOrderID string, notFound error) (*ProductOrder, error) {
	orders, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	for i := range orders {
		if strings.EqualFold(orders[i].ProductOrderID, productOrderID) {
			return &orders[i], nil
		}
	}
	return nil, notFound
}
