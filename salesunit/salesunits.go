package salesunit

import (
	"context"
	"net/http"

	"github.com/vippsportal/sdk/internal/core"
)

// SalesUnit is one production sales unit as the Management API describes it.
type SalesUnit struct {
	MSN                string             `json:"msn"`
	Name               string             `json:"name"`
	BusinessIdentifier BusinessIdentifier `json:"businessIdentifier"`
	Configuration      Configuration      `json:"configuration"`
}

// List lists every production sales unit the caller can reach: GET /management/v1/sales-units.
// The Management API does not page: the answer is the whole list.
func (s *SalesUnitsService) List(ctx context.Context) ([]MsnInfo, error) {
	var units []MsnInfo
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupManagement, Operation: "getAllSalesUnits",
		Method: http.MethodGet, Path: "/management/v1/sales-units"}, &units)
	if err != nil {
		return nil, err
	}
	return units, nil
}

// Get fetches one production sales unit: GET /management/v1/sales-units/{msn}.
// An unknown, inactive or unreachable unit (a test unit included) is portal.ErrNotFound.
func (s *SalesUnitsService) Get(ctx context.Context, msn string) (*SalesUnit, error) {
	if err := core.CheckMSN("msn", msn); err != nil {
		return nil, err
	}
	var u SalesUnit
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupManagement, Operation: "getMsn",
		Method: http.MethodGet, Path: core.Path("/management/v1/sales-units/%s", msn)}, &u)
	if err != nil {
		return nil, err
	}
	return &u, nil
}
