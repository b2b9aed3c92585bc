package salesunit

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// TestUnitOptions are the three options of the portal's "new test sales unit"
// form. They become the unit's Configuration: DirectCapture gives CaptureType
// DirectCapture (else ReserveCapture), SkipLandingPage gives
// SkipLandingPageAllowed, Recurring gives RecurringAllowed.
type TestUnitOptions struct {
	SkipLandingPage bool `json:"skipLandingPage"`
	Recurring       bool `json:"recurring"`
	DirectCapture   bool `json:"directCapture"`
}

// TestUnitRequest orders a test sales unit ([TestUnitsService.Create]). Name
// is required and shown in the app: 1-50 characters, no leading or trailing
// space, no control character. Partner is optional free text (at most 50
// characters), echoed back and otherwise unused. Options may be left zero.
type TestUnitRequest struct {
	Name    string          `json:"name"`
	Partner string          `json:"partner,omitempty"`
	Options TestUnitOptions `json:"options"`
}

func (r *TestUnitRequest) check() error {
	if err := core.CheckName("TestUnitRequest.Name", r.Name, 50); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(r.Partner); n > 50 {
		return core.Invalid("TestUnitRequest.Partner", "is %d characters; at most 50 are allowed", n)
	}
	return nil
}

// CreationStatus is where the provisioning of a test unit is.
type CreationStatus string

// Creation statuses of the contract.
const (
	CreationPending   CreationStatus = "PENDING"
	CreationCompleted CreationStatus = "COMPLETED"
	CreationFailed    CreationStatus = "FAILED"
)

// Problem is a problem+json record kept inside another record: the Failure of
// a FAILED creation (type .../provisioning-failed,
// [vipps.ProblemProvisioningFailed]).
type Problem struct {
	Type         string              `json:"type"`
	Title        string              `json:"title"`
	Status       int                 `json:"status"`
	Detail       string              `json:"detail"`
	Instance     string              `json:"instance"`
	ExtraDetails []vipps.ExtraDetail `json:"extraDetails,omitempty"`
}

// Name is the problem's name: the last path segment of Type, such as "provisioning-failed".
func (p *Problem) Name() string { return core.ProblemName(p.Type) }

// Creation is the record of one test unit order. MSN and CompletedAt are set
// if and only if Status is COMPLETED; Failure if and only if it is FAILED.
// Request echoes the order with its options filled in.
type Creation struct {
	CreationID  string          `json:"creationId"`
	Status      CreationStatus  `json:"status"`
	Request     TestUnitRequest `json:"request"`
	MSN         string          `json:"msn,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
	CompletedAt time.Time       `json:"completedAt,omitzero"`
	Failure     *Problem        `json:"failure,omitempty"`
}

// TestUnit is a test sales unit. It cannot be changed once it exists (the
// contract refuses PATCH with 405 test-sales-unit-immutable): order a new one
// for other options. KeysReady turns true once its API keys are issued, a
// little after the unit completes.
type TestUnit struct {
	MSN                string                   `json:"msn"`
	Name               string                   `json:"name"`
	BusinessIdentifier vipps.BusinessIdentifier `json:"businessIdentifier"`
	Partner            string                   `json:"partner,omitempty"`
	Options            TestUnitOptions          `json:"options"`
	Configuration      Configuration            `json:"configuration"`
	CreatedAt          time.Time                `json:"createdAt"`   // when it was ordered
	CompletedAt        time.Time                `json:"completedAt"` // when it was provisioned: the listing order
	KeysReady          bool                     `json:"keysReady"`
}

// CreationListOptions choose a page of creation records and filter them
// ([TestUnitsService.Creations], [TestUnitsService.AllCreations]); nil is
// the first page of all, at the server's page size.
type CreationListOptions struct {
	vipps.ListOptions
	Status CreationStatus // PENDING, COMPLETED or FAILED; "" for all
}

func (o *CreationListOptions) query() (url.Values, error) {
	if o == nil {
		return nil, nil
	}
	switch o.Status {
	case "", CreationPending, CreationCompleted, CreationFailed:
	default:
		return nil, core.Invalid("CreationListOptions.Status", "must be PENDING, COMPLETED, FAILED or empty (all), got %q", o.Status)
	}
	q, err := core.ListQuery(&o.ListOptions)
	if err != nil {
		return nil, err
	}
	if o.Status != "" {
		q.Set("status", string(o.Status))
	}
	return q, nil
}

// ErrCreationFailed matches a *[CreationFailedError]: errors.Is(err, salesunit.ErrCreationFailed).
var ErrCreationFailed = errors.New("vipps: test sales unit creation failed")

// CreationFailedError is [TestUnitsService.WaitUntilReady]'s answer for a
// creation that ended FAILED; Creation.Failure says why. Order a new unit to
// try again.
type CreationFailedError struct {
	Creation *Creation
}

// Error reads "vipps: test sales unit creation ID failed: " and the
// failure's detail.
func (e *CreationFailedError) Error() string {
	s := "vipps: test sales unit creation " + e.Creation.CreationID + " failed"
	if f := e.Creation.Failure; f != nil {
		switch {
		case f.Detail != "":
			s += ": " + f.Detail
		case f.Title != "":
			s += ": " + f.Title
		}
	}
	return s
}

// Is matches [ErrCreationFailed].
func (e *CreationFailedError) Is(target error) bool { return target == ErrCreationFailed }

// Create orders a new test sales unit: POST /portal/v1/test-sales-units.
// The answer (202) is its creation record, normally PENDING: pass its
// CreationID to [TestUnitsService.WaitUntilReady]. A lost answer is retried
// with the same Idempotency-Key, so one unit is made; if the call fails
// anyway, [TestUnitsService.Creations] finds the record.
//
// A req that breaks a rule of [TestUnitRequest] is a *[vipps.ValidationError]
// naming the field. It needs a portal user that is an ADMINISTRATOR or holds
// DEVELOPER on one of the merchant's units: other users get
// [vipps.ErrForbidden] (403 forbidden); keys that are not a portal user's
// are refused as [TestUnitsService] says.
func (s *TestUnitsService) Create(ctx context.Context, req TestUnitRequest) (*Creation, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	return core.Call[Creation](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "createTestSalesUnit",
		Method: http.MethodPost, Path: "/portal/v1/test-sales-units", Body: req, Idempotent: true})
}

// Get fetches one test sales unit: GET /portal/v1/test-sales-units/{msn}.
// An msn that is not 4-10 digits is a *[vipps.ValidationError]; a unit that
// is not a completed test unit of the caller's merchant (a production unit
// included) is [vipps.ErrNotFound].
func (s *TestUnitsService) Get(ctx context.Context, msn string) (*TestUnit, error) {
	if err := core.CheckMSN("msn", msn); err != nil {
		return nil, err
	}
	return core.Call[TestUnit](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "getTestSalesUnit",
		Method: http.MethodGet, Path: core.Path("/portal/v1/test-sales-units/%s", msn)})
}

// List fetches one page of the merchant's completed test units, in order of
// completion: GET /portal/v1/test-sales-units. Units still being provisioned
// are not listed. A nil opts is the first page at the default size; a
// PageSize outside 0-100 is a *[vipps.ValidationError], a PageToken the
// server did not give is [vipps.ErrBadRequest]
// ([vipps.ProblemInvalidPageToken]).
func (s *TestUnitsService) List(ctx context.Context, opts *vipps.ListOptions) (*vipps.Page[TestUnit], error) {
	return core.Page[TestUnit](ctx, s.client(), opts, &core.Request{Group: core.GroupPortal, Operation: "listTestSalesUnits",
		Method: http.MethodGet, Path: "/portal/v1/test-sales-units"})
}

// All walks every page of GET /portal/v1/test-sales-units lazily, from
// opts.PageToken on (opts is copied; nil is allowed). An error ends the walk
// as the last pair: one of [TestUnitsService.List]'s, or a
// *[vipps.PagingError] ([vipps.ErrRunawayPaging]) when the server's page
// tokens would never end the listing.
func (s *TestUnitsService) All(ctx context.Context, opts *vipps.ListOptions) iter.Seq2[TestUnit, error] {
	return core.All(ctx, opts, s.List)
}

// Creation fetches one creation record:
// GET /portal/v1/test-sales-units/creations/{creationId}. A creationID that
// is not a UUID is a *[vipps.ValidationError]; a creation of another merchant,
// or none, is [vipps.ErrNotFound].
func (s *TestUnitsService) Creation(ctx context.Context, creationID string) (*Creation, error) {
	if err := core.CheckUUID("creationID", creationID); err != nil {
		return nil, err
	}
	cr, _, err := s.creation(ctx, creationID)
	return cr, err
}

// creation fetches a creation record and the server's estimate (Retry-After,
// sent while it is PENDING) of how long until it is done; 0 when none.
func (s *TestUnitsService) creation(ctx context.Context, creationID string) (*Creation, time.Duration, error) {
	var cr Creation
	resp, err := s.client().Do(ctx, &core.Request{Group: core.GroupPortal, Operation: "getTestSalesUnitCreation",
		Method: http.MethodGet, Path: core.Path("/portal/v1/test-sales-units/creations/%s", creationID)}, &cr)
	if err != nil {
		return nil, 0, err
	}
	var estimate time.Duration
	if cr.Status == CreationPending {
		estimate = core.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return &cr, estimate, nil
}

// Creations fetches one page of the merchant's creation records, oldest first,
// filtered by opts.Status: GET /portal/v1/test-sales-units/creations. Use it to
// find a creation whose id was lost. A nil opts is the first page of all. An
// unknown Status or a PageSize outside 0-100 is a *[vipps.ValidationError]; a
// PageToken the server did not give (or gave for another filter) is
// [vipps.ErrBadRequest].
func (s *TestUnitsService) Creations(ctx context.Context, opts *CreationListOptions) (*vipps.Page[Creation], error) {
	q, err := opts.query()
	if err != nil {
		return nil, err
	}
	return core.Call[vipps.Page[Creation]](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "listTestSalesUnitCreations",
		Method: http.MethodGet, Path: "/portal/v1/test-sales-units/creations", Query: q})
}

// AllCreations walks every page of GET /portal/v1/test-sales-units/creations
// lazily, filtered by opts.Status (opts is copied; nil is all). An error ends
// the walk as the last pair: one of [TestUnitsService.Creations]'s, or a
// *[vipps.PagingError] when the server's page tokens would never end it.
func (s *TestUnitsService) AllCreations(ctx context.Context, opts *CreationListOptions) iter.Seq2[Creation, error] {
	var o CreationListOptions
	if opts != nil {
		o = *opts
	}
	return core.All(ctx, &o.ListOptions, func(ctx context.Context, lo *vipps.ListOptions) (*vipps.Page[Creation], error) {
		page := o
		page.ListOptions = *lo
		return s.Creations(ctx, &page)
	})
}

// readyState is what one poll of WaitUntilReady saw: the creation until it
// completed, then the unit.
type readyState struct {
	creation *Creation
	unit     *TestUnit
}

// WaitUntilReady waits for an ordered test unit and returns it. It polls the
// creation (GET /portal/v1/test-sales-units/creations/{creationId}) until it is
// COMPLETED, then fetches the unit (GET /portal/v1/test-sales-units/{msn}); with
// opts.WaitForKeys it goes on polling the unit until KeysReady. While the
// creation is PENDING it polls when the server's Retry-After estimate says it
// will be done (see WaitOptions).
//
// A creationID that is not a UUID, or a negative duration in opts, is a
// *[vipps.ValidationError] before any request. A FAILED creation stops the
// wait at once with a *[CreationFailedError] (errors.Is [ErrCreationFailed]).
// Errors that may pass (those [vipps.Error.Temporary] reports: no answer,
// 408, 429, 500, 502-504, keys-not-ready) keep it going, honouring the
// server's Retry-After; others ([vipps.ErrNotFound], [vipps.ErrForbidden],
// [vipps.ErrUnauthorized] ...) stop it at once. Past opts.Timeout (10 minutes
// by default) it returns a *[vipps.WaitTimeoutError] ([vipps.ErrWaitTimeout])
// naming the creation (or the unit, when only its keys were missing) and its
// last state; OnPoll events carry the typed records ([PollEvent].Creation,
// .Unit). When ctx ends, its error is returned.
//
// In tests against the simulator, a wait needs no delays at all when the
// unit is ready before it starts: with
// [github.com/vippsportal/sdk/portal/portaltest.WithManualProvisioning], call
// [github.com/vippsportal/sdk/portal/portaltest.Server.CompleteCreation]
// (and IssueKeys) first, and the first poll returns it.
func (s *TestUnitsService) WaitUntilReady(ctx context.Context, creationID string, opts *WaitOptions) (*TestUnit, error) {
	if err := core.CheckUUID("creationID", creationID); err != nil {
		return nil, err
	}
	po, err := pollOptions(opts, "creation", creationID, func(e *PollEvent, v readyState) {
		e.Creation, e.Unit = v.creation, v.unit
	})
	if err != nil {
		return nil, err
	}
	waitForKeys := opts != nil && opts.WaitForKeys
	var msn string // known once the creation has completed
	v, err := core.Poll(ctx, po, func(ctx context.Context) (core.Seen[readyState], error) {
		if msn == "" {
			cr, estimate, err := s.creation(ctx, creationID)
			if err != nil {
				return core.Seen[readyState]{}, err
			}
			seen := core.Seen[readyState]{Value: readyState{creation: cr}, Status: string(cr.Status), Estimate: estimate}
			switch cr.Status {
			case CreationFailed:
				return seen, &CreationFailedError{Creation: cr}
			case CreationCompleted:
				if cr.MSN == "" {
					return seen, fmt.Errorf("vipps: creation %s is COMPLETED without an msn", creationID)
				}
				msn = cr.MSN
			default:
				return seen, nil
			}
		}
		u, err := s.Get(ctx, msn)
		if err != nil {
			return core.Seen[readyState]{}, err
		}
		seen := core.Seen[readyState]{Kind: "test unit", ID: msn, Value: readyState{unit: u}, Status: "ready", Done: !waitForKeys || u.KeysReady}
		if !seen.Done {
			seen.Status = "without keys"
		}
		return seen, nil
	})
	if err != nil {
		return nil, err
	}
	return v.unit, nil
}
