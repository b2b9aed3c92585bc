package salesunit

import (
	"context"
	"errors"
	"fmt"
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
// An unknown, inactive or unreachable unit (a test unit included) is
// portal.ErrNotFound; its text suggests TestUnits.Get for a test unit, and
// errors.As still finds the *portal.Error with its status.
func (s *SalesUnitsService) Get(ctx context.Context, msn string) (*SalesUnit, error) {
	if err := core.CheckMSN("msn", msn); err != nil {
		return nil, err
	}
	var u SalesUnit
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupManagement, Operation: "getMsn",
		Method: http.MethodGet, Path: core.Path("/management/v1/sales-units/%s", msn)}, &u)
	if errors.Is(err, core.ErrNotFound) {
		// The Management API serves production units only; the bare 404 leaves
		// a caller holding a test unit's MSN guessing. The *portal.Error stays inside.
		return nil, fmt.Errorf("%w (if %s is a test sales unit, read it with TestUnits.Get: the Management API serves production units only)", err, msn)
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}
