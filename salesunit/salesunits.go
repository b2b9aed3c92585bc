package salesunit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// SalesUnit is one production sales unit as the Management API describes it.
// Vipps sends msn as a JSON string or a number; both decode into MSN.
type SalesUnit struct {
	MSN                string                   `json:"msn"`
	Name               string                   `json:"name"`
	BusinessIdentifier vipps.BusinessIdentifier `json:"businessIdentifier"`
	Configuration      Configuration            `json:"configuration"`
}

// UnmarshalJSON accepts msn as a string or a number (Vipps sends both).
func (u *SalesUnit) UnmarshalJSON(b []byte) error {
	v := u.wire()
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	v.done()
	return nil
}

// salesUnitPlain is SalesUnit without its UnmarshalJSON.
type salesUnitPlain SalesUnit

// salesUnitWire decodes into a SalesUnit in place, msn leniently. The service
// decodes answers into it directly: in one pass, where UnmarshalJSON is a
// second pass over what the decoder has already scanned once.
type salesUnitWire struct {
	*salesUnitPlain
	MSN lenientMSN `json:"msn"`
}

func (u *SalesUnit) wire() *salesUnitWire {
	return &salesUnitWire{salesUnitPlain: (*salesUnitPlain)(u)}
}

// done stores the decoded msn.
func (w *salesUnitWire) done() { w.salesUnitPlain.MSN = string(w.MSN) }

// List lists every production sales unit the caller can reach:
// GET /management/v1/sales-units. The Management API does not page: the
// answer is the whole list. It has no refusal of its own beyond those of the
// package (see Errors).
func (s *SalesUnitsService) List(ctx context.Context) ([]MSNInfo, error) {
	return core.CallList[MSNInfo](ctx, s.client(), &core.Request{Group: core.GroupManagement, Operation: "getAllSalesUnits",
		Method: http.MethodGet, Path: "/management/v1/sales-units"})
}

// Get fetches one production sales unit: GET /management/v1/sales-units/{msn}.
//
// An msn that is not 4-10 digits is a *[vipps.ValidationError] naming "msn".
// An unknown, inactive or unreachable unit (a test unit included) is
// [vipps.ErrNotFound]; its text suggests [TestUnitsService.Get] for a test
// unit, and errors.As still finds the *[vipps.Error] with its status. A test
// unit's own keys asking for that unit get [vipps.ErrForbidden].
func (s *SalesUnitsService) Get(ctx context.Context, msn string) (*SalesUnit, error) {
	if err := core.CheckMSN("msn", msn); err != nil {
		return nil, err
	}
	var u SalesUnit
	w := u.wire()
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupManagement, Operation: "getMsn",
		Method: http.MethodGet, Path: core.Path("/management/v1/sales-units/%s", msn)}, w)
	if errors.Is(err, vipps.ErrNotFound) {
		// The Management API serves production units only; the bare 404 leaves
		// a caller holding a test unit's MSN guessing. The *vipps.Error stays inside.
		return nil, fmt.Errorf("%w (if %s is a test sales unit, read it with TestUnits.Get: the Management API serves production units only)", err, msn)
	}
	if err != nil {
		return nil, err
	}
	w.done()
	return &u, nil
}
