package salesunit

import (
	"context"
	"net/http"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// MerchantStatus is a merchant's status.
type MerchantStatus string

// Merchant statuses of the contract.
const (
	MerchantActive      MerchantStatus = "ACTIVE"
	MerchantDeactivated MerchantStatus = "DEACTIVATED"
)

// Address is a postal address; empty fields were not given.
type Address struct {
	Lines       []string `json:"lines"`
	PostCode    string   `json:"postCode,omitempty"`
	City        string   `json:"city,omitempty"`
	CountryCode string   `json:"countryCode,omitempty"`
}

// Merchant is a company as the Management API describes it. A date that does
// not parse leaves its Timestamp's Time zero and keeps the text in Raw, so one
// malformed date does not fail the call.
type Merchant struct {
	BusinessIdentifier  vipps.BusinessIdentifier `json:"businessIdentifier"`
	Name                string                   `json:"name"`
	Status              MerchantStatus           `json:"status"`
	CreatedAt           Timestamp                `json:"createdAt"`
	UpdatedAt           Timestamp                `json:"updatedAt"`
	CountryCode         string                   `json:"countryCode"`
	BusinessAddress     *Address                 `json:"businessAddress,omitempty"`
	BusinessPostAddress *Address                 `json:"businessPostAddress,omitempty"`
}

// Get fetches a merchant: GET /management/v1/merchants/{scheme}/{id}.
//
// A malformed bid is a *[vipps.ValidationError] naming
// BusinessIdentifier.Scheme (10-30 characters) or BusinessIdentifier.ID (4-50
// digits or '-'). A merchant the caller cannot reach is [vipps.ErrNotFound],
// like an unknown one.
func (s *MerchantsService) Get(ctx context.Context, bid vipps.BusinessIdentifier) (*Merchant, error) {
	if err := core.CheckBusinessIdentifier("BusinessIdentifier", bid); err != nil {
		return nil, err
	}
	return core.Call[Merchant](ctx, s.client(), &core.Request{Group: core.GroupManagement, Operation: "getMerchantByBusinessIdentifier",
		Method: http.MethodGet, Path: core.Path("/management/v1/merchants/%s/%s", bid.Scheme, bid.ID)})
}

// SalesUnits lists a merchant's production sales units (for a partner, those
// connected to it): GET /management/v1/merchants/{scheme}/{id}/sales-units.
// The answer is the whole list. A malformed bid is refused as by
// [MerchantsService.Get]; a merchant the caller cannot reach is
// [vipps.ErrNotFound].
func (s *MerchantsService) SalesUnits(ctx context.Context, bid vipps.BusinessIdentifier) ([]MSNInfo, error) {
	if err := core.CheckBusinessIdentifier("BusinessIdentifier", bid); err != nil {
		return nil, err
	}
	return core.CallList[MSNInfo](ctx, s.client(), &core.Request{Group: core.GroupManagement, Operation: "getSalesUnitsByBusinessIdentifier",
		Method: http.MethodGet, Path: core.Path("/management/v1/merchants/%s/%s/sales-units", bid.Scheme, bid.ID)})
}
