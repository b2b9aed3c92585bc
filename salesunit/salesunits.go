package salesunit

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/vippsportal/sdk/internal/core"
)

// SalesUnit is one production sales unit as the Management API describes it.
// Vipps sends msn as a JSON string or a number; both decode into MSN.
type SalesUnit struct {
	MSN                string             `json:"msn"`
	Name               string             `json:"name"`
	BusinessIdentifier BusinessIdentifier `json:"businessIdentifier"`
	Configuration      Configuration      `json:"configuration"`
}

// UnmarshalJSON accepts msn as a string or a number (Vipps sends both).
func (u *SalesUnit) UnmarshalJSON(b []byte) error {
	type plain SalesUnit
	v := struct {
		*plain
		MSN lenientMSN `json:"msn"`
	}{plain: (*plain)(u)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	u.MSN = string(v.MSN)
	return nil
}

// List lists every production sales unit the caller can reach: GET /management/v1/sales-units.
// The Management API does not page: the answer is the whole list.
func (s *SalesUnitsService) List(ctx context.Context) ([]MSNInfo, error) {
	var units []MSNInfo
	_, err := s.c.Do(ctx, &core.Request{Group: core.GroupManagement, Operation: "getAllSalesUnits",
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
	_, err := s.c.Do(ctx, &core.Request{Group: core.GroupManagement, Operation: "getMsn",
		Method: http.MethodGet, Path: core.Path("/management/v1/sales-units/%s", msn)}, &u)
	if err != nil {
		return nil, err
	}
	return &u, nil
}
