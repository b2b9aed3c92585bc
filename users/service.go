// Package users manages the portal users of a merchant and their access to sales units.
//
// These are modelled portal operations (/portal/v1/...): Vipps publishes no
// API for portal users, so they work against the SDK's simulator or a gateway
// that serves the SDK's contract (a client with
// [github.com/vippsportal/sdk/portal.WithPortalURL]). Use the [Service] of a
// client from [github.com/vippsportal/sdk/portal.New] (its Users).
//
// Every call needs a portal user's API client: a unit's or a partner's keys
// get [vipps.ErrForbidden] (403 not-a-portal-user), management keys
// [vipps.ErrUnsupported] before any request. Every call except [Service.Me] and [Service.Get] (of
// oneself) needs an ADMINISTRATOR of the merchant: other users get
// [vipps.ErrForbidden] (403 administrator-required). A user or sales unit
// that is not the caller's merchant's is [vipps.ErrNotFound], like one that
// does not exist.
//
// A required request is a value ([InviteRequest]); listing options are a
// pointer where nil means the defaults (*[vipps.ListOptions]). Bad input is a
// *[vipps.ValidationError] naming the field, before any request. As in every
// package of the SDK, a call may also fail with [vipps.ErrUnsupported] (no
// portal URL, a Service portal.New did not build), [vipps.ErrUnauthorized],
// [vipps.ErrRateLimited], [vipps.ErrServer] or [vipps.ErrTransport].
package users

import (
	"context"
	"iter"
	"net/http"
	"unicode/utf8"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/internal/wiring"
	"github.com/vippsportal/sdk/vipps"
)

// Limits of the contract.
const (
	maxNameLen   = 100
	maxEmailLen  = 254
	maxUserIDLen = 64
)

// Service manages portal users: invite, read, list, grant, revoke, remove.
type Service struct{ c *core.Client }

// Built by portal.New through internal/wiring (see salesunit's services.go).
func init() { wiring.Register(func(c *core.Client) *Service { return &Service{c: c} }) }

func (s *Service) client() *core.Client {
	return core.ServiceClient(s, func(s *Service) *core.Client { return s.c })
}

// Me reads the portal user the client's credentials act as: GET /portal/v1/me.
// Any portal user may call it; other keys are refused as the package doc says.
func (s *Service) Me(ctx context.Context) (*Me, error) {
	return core.Call[Me](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "getMe",
		Method: http.MethodGet, Path: "/portal/v1/me"})
}

// Invite adds a person as a portal user of the caller's merchant: POST /portal/v1/users.
//
// The new user is INVITED until the person logs in to the portal. A req that
// breaks a rule of [InviteRequest] is a *[vipps.ValidationError] naming the
// field. A phone number that is already a user of the merchant is a 409
// user-exists (errors.Is(err, [vipps.ErrConflict]), Problem
// [vipps.ProblemUserExists]). The call carries an Idempotency-Key, so a retry
// after a lost answer invites the person once.
func (s *Service) Invite(ctx context.Context, req InviteRequest) (*User, error) {
	if err := checkInvite(&req); err != nil {
		return nil, err
	}
	return core.Call[User](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "inviteUser",
		Method: http.MethodPost, Path: "/portal/v1/users", Body: req, Idempotent: true})
}

// Get reads one portal user: GET /portal/v1/users/{userId}.
//
// An ADMINISTRATOR may read any user of its merchant; other users only
// themselves (any other id is [vipps.ErrForbidden], decided by role before
// any lookup). An empty userID, one over 64 characters, or one no path
// segment could carry is a *[vipps.ValidationError] naming "userID"; a user
// of another merchant, or none, is [vipps.ErrNotFound].
func (s *Service) Get(ctx context.Context, userID string) (*User, error) {
	if err := checkUserID(userID); err != nil {
		return nil, err
	}
	return core.Call[User](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "getUser",
		Method: http.MethodGet, Path: core.Path("/portal/v1/users/%s", userID)})
}

// List reads one page of the merchant's portal users, oldest first: GET /portal/v1/users.
//
// opts may be nil (first page, the server's page size). Use [Service.All] to
// walk every page. A PageSize outside 0-100 is a *[vipps.ValidationError]; a
// PageToken the server did not give is [vipps.ErrBadRequest]
// ([vipps.ProblemInvalidPageToken]).
func (s *Service) List(ctx context.Context, opts *vipps.ListOptions) (*vipps.Page[User], error) {
	return core.Page[User](ctx, s.client(), opts, &core.Request{Group: core.GroupPortal, Operation: "listUsers",
		Method: http.MethodGet, Path: "/portal/v1/users"})
}

// All walks every portal user of the merchant, oldest first, fetching pages of
// GET /portal/v1/users lazily as the loop goes on.
//
// It starts at opts.PageToken (the first page when empty) and copies opts, so
// the caller may reuse them. An error ends the walk as the last pair: one of
// [Service.List]'s, or a *[vipps.PagingError] ([vipps.ErrRunawayPaging]) when
// the server's page tokens would never end the listing.
func (s *Service) All(ctx context.Context, opts *vipps.ListOptions) iter.Seq2[User, error] {
	return core.All(ctx, opts, s.List)
}

// Grant sets a user's permissions on one sales unit, replacing what it held
// there: PUT /portal/v1/users/{userId}/sales-units/{msn}.
//
// perms must be a non-empty set of distinct permissions ([Permission]); to
// remove them all use [Service.Revoke]. Granting the same set again changes
// nothing (GrantedAt moves only when the set changes). A bad userID (see
// [Service.Get]), an msn that is not 4-10 digits or bad perms is a
// *[vipps.ValidationError]; a user or unit the caller's merchant does not own
// is [vipps.ErrNotFound].
func (s *Service) Grant(ctx context.Context, userID, msn string, perms ...Permission) (*SalesUnitAccess, error) {
	if err := checkUserID(userID); err != nil {
		return nil, err
	}
	if err := core.CheckMSN("msn", msn); err != nil {
		return nil, err
	}
	if err := checkPermissions(perms); err != nil {
		return nil, err
	}
	body := struct {
		Permissions []Permission `json:"permissions"`
	}{perms}
	return core.Call[SalesUnitAccess](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "grantAccess",
		Method: http.MethodPut, Path: core.Path("/portal/v1/users/%s/sales-units/%s", userID, msn), Body: body})
}

// Revoke removes all of a user's permissions on one sales unit:
// DELETE /portal/v1/users/{userId}/sales-units/{msn}.
//
// Revoking where the user holds nothing succeeds. A bad userID or msn is a
// *[vipps.ValidationError]; a user or unit the caller's merchant does not own
// is [vipps.ErrNotFound].
func (s *Service) Revoke(ctx context.Context, userID, msn string) error {
	if err := checkUserID(userID); err != nil {
		return err
	}
	if err := core.CheckMSN("msn", msn); err != nil {
		return err
	}
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupPortal, Operation: "revokeAccess",
		Method: http.MethodDelete, Path: core.Path("/portal/v1/users/%s/sales-units/%s", userID, msn)}, nil)
	return err
}

// Remove deletes a portal user, its grants and its API client: DELETE /portal/v1/users/{userId}.
//
// The removed user's API client stops working at once. Removing the merchant's
// last ACTIVE ADMINISTRATOR is a 409 last-administrator ([vipps.ErrConflict],
// Problem [vipps.ProblemLastAdministrator]); removing yourself is otherwise
// allowed. A bad userID is a *[vipps.ValidationError]; a user of another
// merchant, or none, is [vipps.ErrNotFound], but a retry after a lost answer
// that finds the user already gone reports success.
func (s *Service) Remove(ctx context.Context, userID string) error {
	if err := checkUserID(userID); err != nil {
		return err
	}
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupPortal, Operation: "removeUser",
		Method: http.MethodDelete, Path: core.Path("/portal/v1/users/%s", userID)}, nil)
	return err
}

func checkUserID(userID string) error {
	if userID == "" {
		return core.Invalid("userID", "must not be empty")
	}
	if n := utf8.RuneCountInString(userID); n > maxUserIDLen {
		return core.Invalid("userID", "is %d characters; at most %d are allowed", n, maxUserIDLen)
	}
	return core.CheckSegment("userID", userID)
}

func checkInvite(req *InviteRequest) error {
	if err := core.CheckPhone("InviteRequest.PhoneNumber", req.PhoneNumber); err != nil {
		return err
	}
	if err := core.CheckName("InviteRequest.Name", req.Name, maxNameLen); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(req.Email); n > maxEmailLen {
		return core.Invalid("InviteRequest.Email", "is %d characters; at most %d are allowed", n, maxEmailLen)
	}
	if !req.Role.Valid() {
		return core.Invalid("InviteRequest.Role", "must be ADMINISTRATOR, SALES_UNIT_MANAGER or ASSISTANT, got %q", string(req.Role))
	}
	return nil
}

func checkPermissions(perms []Permission) error {
	if len(perms) == 0 {
		return core.Invalid("permissions", "must name at least one permission (use Revoke to remove all)")
	}
	seen := make(map[Permission]bool, len(perms))
	for _, p := range perms {
		if !p.Valid() {
			return core.Invalid("permissions", "has unknown permission %q; use DEVELOPER or TRANSACTION_MANAGEMENT", string(p))
		}
		if seen[p] {
			return core.Invalid("permissions", "names %s twice", p)
		}
		seen[p] = true
	}
	return nil
}
