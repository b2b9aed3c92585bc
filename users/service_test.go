package users_test

// The Users service against the simulator: the contract's rules, its error
// answers mapped to sentinels and Problems, and lost answers.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

// The shared helpers live in internal/sdktest.
var sim = sdktest.NewSim

// as returns a client acting with the given credentials of s.
func as(t *testing.T, s *portaltest.Server, c vipps.Credentials) *portal.Client {
	t.Helper()
	return sdktest.SimClient(t, s, c)
}

// requireProblem asserts err is a *vipps.Error with the status sentinel and
// problem name, and that it was a Problem (they always carry a detail).
func requireProblem(t *testing.T, err error, sentinel error, status int, problem string) *vipps.Error {
	t.Helper()
	pe := sdktest.RequireAPIError(t, err, status, problem, sentinel)
	assert.NotEmpty(t, pe.Detail, "the contract's Problems always carry a detail")
	return pe
}

func TestMe(t *testing.T) {
	s := sim(t)
	me, err := s.AdminClient().Users.Me(t.Context())
	require.NoError(t, err)
	assert.Equal(t, &users.Me{UserID: portaltest.AdminUserID, Name: "Ada Admin", PhoneNumber: "+4791234567", Role: users.RoleAdministrator,
		Merchant: users.Merchant{BusinessIdentifier: vipps.BusinessIdentifier{Scheme: portaltest.DefaultMerchantScheme, ID: portaltest.DefaultMerchantID},
			Name: "ACME Fantastic Fitness"}}, me)

	me, err = as(t, s, s.UserCredentials(portaltest.DeveloperUserID)).Users.Me(t.Context())
	require.NoError(t, err)
	assert.Equal(t, portaltest.DeveloperUserID, me.UserID)
	assert.Equal(t, users.RoleSalesUnitManager, me.Role)

	reqs := s.RequestsOf("getMe")
	require.Len(t, reqs, 2)
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "/portal/v1/me", reqs[0].Path)
	assert.Equal(t, 200, reqs[0].Status)
	assert.NotEmpty(t, reqs[0].Header.Get("Authorization"))
	assert.NotEmpty(t, reqs[0].Header.Get("Ocp-Apim-Subscription-Key"))
}

// TestNotAPortalUser: unit keys and partner keys are no portal user, for every operation.
func TestNotAPortalUser(t *testing.T) {
	s := sim(t)
	for name, creds := range map[string]vipps.Credentials{
		"unit":    s.UnitCredentials(portaltest.ProductionMSN),
		"partner": s.PartnerCredentials(portaltest.PartnerID),
	} {
		t.Run(name, func(t *testing.T) {
			c := as(t, s, creds)
			ctx := t.Context()
			_, err := c.Users.Me(ctx)
			requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemNotAPortalUser)
			_, err = c.Users.List(ctx, nil)
			requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemNotAPortalUser)
			_, err = c.Users.Get(ctx, portaltest.AdminUserID)
			requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemNotAPortalUser)
			_, err = c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4799000001", Name: "X", Role: users.RoleAssistant})
			requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemNotAPortalUser)
			_, err = c.Users.Grant(ctx, portaltest.AssistantUserID, portaltest.ProductionMSN, users.PermissionDeveloper)
			requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemNotAPortalUser)
			err = c.Users.Revoke(ctx, portaltest.AssistantUserID, portaltest.ProductionMSN)
			requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemNotAPortalUser)
			err = c.Users.Remove(ctx, portaltest.AssistantUserID)
			requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemNotAPortalUser)
		})
	}
	assert.Zero(t, s.Effects("inviteUser"))
}

// TestAdministratorRequired: a SALES_UNIT_MANAGER may read itself and nothing else.
func TestAdministratorRequired(t *testing.T) {
	s := sim(t)
	dev := as(t, s, s.UserCredentials(portaltest.DeveloperUserID))
	ctx := t.Context()
	before := s.State().Users

	_, err := dev.Users.List(ctx, nil)
	pe := requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemAdministratorRequired)
	assert.Equal(t, "GET", pe.Method)
	assert.Equal(t, "/portal/v1/users", pe.Path)
	pairs := 0
	for _, err := range dev.Users.All(ctx, nil) {
		requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemAdministratorRequired)
		pairs++
	}
	assert.Equal(t, 1, pairs, "All yields the refusal as its one pair")
	_, err = dev.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4799000001", Name: "X", Role: users.RoleAssistant})
	requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemAdministratorRequired)
	_, err = dev.Users.Grant(ctx, portaltest.DeveloperUserID, portaltest.SecondProductionMSN, users.PermissionDeveloper)
	requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemAdministratorRequired)
	err = dev.Users.Revoke(ctx, portaltest.AssistantUserID, portaltest.SecondProductionMSN)
	requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemAdministratorRequired)
	err = dev.Users.Remove(ctx, portaltest.AssistantUserID)
	requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemAdministratorRequired)
	_, err = dev.Users.Get(ctx, portaltest.AdminUserID)
	requireProblem(t, err, vipps.ErrForbidden, 403, vipps.ProblemAdministratorRequired)
	assert.Equal(t, before, s.State().Users, "refused calls change no user")

	self, err := dev.Users.Get(ctx, portaltest.DeveloperUserID)
	require.NoError(t, err)
	assert.Equal(t, "Dev Eloper", self.Name)
	assert.Equal(t, users.StatusActive, self.Status)
	dAccess, ok := self.Access(portaltest.TestMSN)
	require.True(t, ok)
	assert.Equal(t, []users.Permission{users.PermissionDeveloper}, dAccess.Permissions)
}

func TestInviteGetListAll(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	ctx := t.Context()

	u, err := admin.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4798765432", Name: "Nora Ny", Email: "nora@example.com", Role: users.RoleSalesUnitManager})
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, u.UserID, "invited users get a UUID")
	assert.Equal(t, users.StatusInvited, u.Status)
	assert.Equal(t, users.RoleSalesUnitManager, u.Role)
	assert.Equal(t, "+4798765432", u.PhoneNumber)
	assert.Equal(t, "Nora Ny", u.Name)
	assert.Equal(t, "nora@example.com", u.Email)
	assert.Empty(t, u.SalesUnits)
	assert.False(t, u.CreatedAt.IsZero())
	assert.Equal(t, 1, s.Effects("inviteUser"))

	inv := s.RequestsOf("inviteUser")
	require.Len(t, inv, 1)
	assert.Equal(t, "POST", inv[0].Method)
	assert.Equal(t, "/portal/v1/users", inv[0].Path)
	assert.Equal(t, 201, inv[0].Status)
	assert.Regexp(t, `^[a-zA-Z0-9-]{1,50}$`, inv[0].IdempotencyKey)
	assert.Equal(t, "application/json", inv[0].Header.Get("Content-Type"))

	got, err := admin.Users.Get(ctx, u.UserID)
	require.NoError(t, err)
	assert.Equal(t, u, got)

	// One page at a time, oldest first, the new user last.
	var paged []string
	opts := &vipps.ListOptions{PageSize: 2}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging must end")
		p, err := admin.Users.List(ctx, opts)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(p.Items), 2)
		for _, it := range p.Items {
			paged = append(paged, it.UserID)
		}
		if p.NextPageToken == "" {
			break
		}
		opts.PageToken = p.NextPageToken
	}
	// Seeded users share the load time, so ties go by id.
	assert.Equal(t, []string{portaltest.AdminUserID, portaltest.AssistantUserID, portaltest.DeveloperUserID, u.UserID}, paged,
		"the merchant's users, oldest first, no other merchant's")
	lists := s.RequestsOf("listUsers")
	require.Len(t, lists, 2, "four users in pages of two")
	for _, r := range lists {
		assert.Contains(t, r.RawQuery, "pageSize=2")
	}

	// All walks the same, lazily, and leaves the caller's options alone.
	allOpts := &vipps.ListOptions{PageSize: 1}
	var walked []string
	for it, err := range admin.Users.All(ctx, allOpts) {
		require.NoError(t, err)
		walked = append(walked, it.UserID)
	}
	assert.Equal(t, paged, walked)
	assert.Equal(t, vipps.ListOptions{PageSize: 1}, *allOpts)

	// Stopping early fetches no more pages.
	s.ResetRequests()
	for range admin.Users.All(ctx, &vipps.ListOptions{PageSize: 1}) {
		break
	}
	assert.Len(t, s.RequestsOf("listUsers"), 1)
}

func TestInviteUserExists(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	before := s.State().Users
	_, err := admin.Users.Invite(t.Context(), users.InviteRequest{PhoneNumber: "+4792345678", Name: "Dev Again", Role: users.RoleAssistant})
	pe := requireProblem(t, err, vipps.ErrConflict, 409, vipps.ProblemUserExists)
	assert.Equal(t, "POST", pe.Method)
	assert.Equal(t, "/portal/v1/users", pe.Path)
	assert.Zero(t, s.Effects("inviteUser"))
	assert.Equal(t, before, s.State().Users)

	// Another merchant's user's number is free here.
	_, err = admin.Users.Invite(t.Context(), users.InviteRequest{PhoneNumber: "+4794567890", Name: "Otto Here Too", Role: users.RoleAssistant})
	require.NoError(t, err)
}

func TestGetNotFound(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	_, err := admin.Users.Get(t.Context(), "nobody")
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)
	// Another merchant's user is the same 404 as a nonexistent one.
	_, err = admin.Users.Get(t.Context(), portaltest.OtherAdminUserID)
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)
	err = admin.Users.Remove(t.Context(), "nobody")
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)
	_, err = admin.Users.Grant(t.Context(), "nobody", portaltest.ProductionMSN, users.PermissionDeveloper)
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)
}

func TestGrantRevoke(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	ctx := t.Context()

	a, err := admin.Users.Grant(ctx, portaltest.AssistantUserID, portaltest.TestMSN, users.PermissionTransactionManagement, users.PermissionDeveloper)
	require.NoError(t, err)
	assert.Equal(t, portaltest.TestMSN, a.MSN)
	assert.ElementsMatch(t, []users.Permission{users.PermissionDeveloper, users.PermissionTransactionManagement}, a.Permissions)
	assert.False(t, a.GrantedAt.IsZero())

	put := s.RequestsOf("grantAccess")
	require.Len(t, put, 1)
	assert.Equal(t, "PUT", put[0].Method)
	assert.Equal(t, "/portal/v1/users/assistant/sales-units/223344", put[0].Path)
	assert.Equal(t, 200, put[0].Status)

	u, err := admin.Users.Get(ctx, portaltest.AssistantUserID)
	require.NoError(t, err)
	got, ok := u.Access(portaltest.TestMSN)
	require.True(t, ok)
	assert.Equal(t, a.GrantedAt, got.GrantedAt)
	assert.True(t, got.Has(users.PermissionDeveloper))

	// The same set again is no change: grantedAt stays.
	again, err := admin.Users.Grant(ctx, portaltest.AssistantUserID, portaltest.TestMSN, users.PermissionDeveloper, users.PermissionTransactionManagement)
	require.NoError(t, err)
	assert.Equal(t, a.GrantedAt, again.GrantedAt)

	// A set replaces the old one.
	one, err := admin.Users.Grant(ctx, portaltest.AssistantUserID, portaltest.TestMSN, users.PermissionDeveloper)
	require.NoError(t, err)
	assert.Equal(t, []users.Permission{users.PermissionDeveloper}, one.Permissions)

	// A unit of another merchant is a 404.
	_, err = admin.Users.Grant(ctx, portaltest.AssistantUserID, portaltest.OtherMSN, users.PermissionDeveloper)
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)

	require.NoError(t, admin.Users.Revoke(ctx, portaltest.AssistantUserID, portaltest.TestMSN))
	del := s.RequestsOf("revokeAccess")
	require.Len(t, del, 1)
	assert.Equal(t, "DELETE", del[0].Method)
	assert.Equal(t, "/portal/v1/users/assistant/sales-units/223344", del[0].Path)
	assert.Equal(t, 204, del[0].Status)
	u, err = admin.Users.Get(ctx, portaltest.AssistantUserID)
	require.NoError(t, err)
	_, ok = u.Access(portaltest.TestMSN)
	assert.False(t, ok, "revoked")
	_, ok = u.Access(portaltest.SecondProductionMSN)
	assert.True(t, ok, "other grants stay")

	// Nothing to revoke is still a success.
	require.NoError(t, admin.Users.Revoke(ctx, portaltest.AssistantUserID, portaltest.TestMSN))
	err = admin.Users.Revoke(ctx, portaltest.AssistantUserID, portaltest.OtherMSN)
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)
}

func TestRemove(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	ctx := t.Context()
	u, err := admin.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4798765432", Name: "Short Stay", Role: users.RoleAssistant})
	require.NoError(t, err)

	require.NoError(t, admin.Users.Remove(ctx, u.UserID))
	del := s.RequestsOf("removeUser")
	require.Len(t, del, 1)
	assert.Equal(t, "DELETE", del[0].Method)
	assert.Equal(t, "/portal/v1/users/"+u.UserID, del[0].Path)
	assert.Equal(t, 204, del[0].Status)

	_, err = admin.Users.Get(ctx, u.UserID)
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)
	// A second remove that got its answer is an honest 404: only a retry after a lost answer counts as done.
	err = admin.Users.Remove(ctx, u.UserID)
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)

	// The removed user's phone number may be invited again.
	_, err = admin.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4798765432", Name: "Back Again", Role: users.RoleAssistant})
	require.NoError(t, err)
}

// TestRemoveRevokesAPIClient: a removed user's credentials stop working.
func TestRemoveRevokesAPIClient(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	devCreds := s.UserCredentials(portaltest.DeveloperUserID)
	dev := as(t, s, devCreds)
	_, err := dev.Users.Me(t.Context())
	require.NoError(t, err)

	require.NoError(t, admin.Users.Remove(t.Context(), portaltest.DeveloperUserID))
	// Its subscription key is refused by the gateway, which is not retried.
	_, err = dev.Users.Me(t.Context())
	pe := sdktest.RequireAPIError(t, err, 401, vipps.ProblemGateway, vipps.ErrUnauthorized)
	assert.Equal(t, 1, pe.Attempts)
}

// TestInviteCallerIdempotencyKey: a caller repeating a whole Invite with its
// own key (after a crash, say) invites once; the same key with another body is refused.
func TestInviteCallerIdempotencyKey(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	ctx := portal.WithIdempotencyKey(t.Context(), "invite-nora-1")
	req := users.InviteRequest{PhoneNumber: "+4798765432", Name: "Nora Ny", Role: users.RoleAssistant}

	first, err := admin.Users.Invite(ctx, req)
	require.NoError(t, err)
	again, err := admin.Users.Invite(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, first, again, "the stored answer is replayed")
	assert.Equal(t, 1, s.Effects("inviteUser"))
	inv := s.RequestsOf("inviteUser")
	require.Len(t, inv, 2)
	assert.Equal(t, "invite-nora-1", inv[1].IdempotencyKey)
	assert.True(t, inv[1].Replayed)

	_, err = admin.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4798765432", Name: "Nora Other", Role: users.RoleAssistant})
	requireProblem(t, err, vipps.ErrConflict, 409, vipps.ProblemIdempotencyKeyReused)
	assert.Equal(t, 1, s.Effects("inviteUser"))

	// A malformed caller key is refused before sending.
	_, err = admin.Users.Invite(portal.WithIdempotencyKey(t.Context(), "no spaces"), req)
	require.ErrorIs(t, err, vipps.ErrInvalidInput)
	assert.Len(t, s.RequestsOf("inviteUser"), 3)
}

func TestRemoveLastAdministrator(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	ctx := t.Context()
	err := admin.Users.Remove(ctx, portaltest.AdminUserID)
	pe := requireProblem(t, err, vipps.ErrConflict, 409, vipps.ProblemLastAdministrator)
	assert.Equal(t, "DELETE", pe.Method)
	assert.Equal(t, "/portal/v1/users/admin", pe.Path)
	_, err = admin.Users.Me(ctx)
	require.NoError(t, err, "the administrator is still there")

	// With a second ACTIVE administrator, removing yourself is allowed.
	second, err := admin.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4798765432", Name: "Second Admin", Role: users.RoleAdministrator})
	require.NoError(t, err)
	err = admin.Users.Remove(ctx, portaltest.AdminUserID)
	requireProblem(t, err, vipps.ErrConflict, 409, vipps.ProblemLastAdministrator) // an INVITED admin does not count
	require.NoError(t, s.ActivateUser(second.UserID))
	require.NoError(t, admin.Users.Remove(ctx, portaltest.AdminUserID))
}

// TestInviteLostAnswer: the server invites, then drops the connection; the
// retry carries the same Idempotency-Key, so the answer is replayed and the
// person is invited once.
func TestInviteLostAnswer(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	s.InjectFault(portaltest.Fault{Operation: "inviteUser", DropAfterWork: true})

	u, err := admin.Users.Invite(t.Context(), users.InviteRequest{PhoneNumber: "+4798765432", Name: "Once Only", Role: users.RoleAssistant})
	require.NoError(t, err)
	assert.Equal(t, "Once Only", u.Name)
	assert.Equal(t, 1, s.FaultsInjected())
	assert.Equal(t, 1, s.Effects("inviteUser"), "exactly one effect")

	inv := s.RequestsOf("inviteUser")
	require.Len(t, inv, 2)
	assert.Equal(t, 0, inv[0].Status, "the first answer was lost")
	assert.Equal(t, 201, inv[1].Status)
	assert.True(t, inv[1].Replayed)
	assert.Equal(t, inv[0].IdempotencyKey, inv[1].IdempotencyKey)

	n := 0
	for it, err := range admin.Users.All(t.Context(), nil) {
		require.NoError(t, err)
		if it.PhoneNumber == "+4798765432" {
			n++
			assert.Equal(t, u.UserID, it.UserID)
		}
	}
	assert.Equal(t, 1, n)
}

// TestRemoveLostAnswer: the server removes, then drops the connection; the
// retry finds nothing (404), which after no answer means the work was done.
func TestRemoveLostAnswer(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	s.InjectFault(portaltest.Fault{Operation: "removeUser", DropAfterWork: true})

	require.NoError(t, admin.Users.Remove(t.Context(), portaltest.AssistantUserID))
	assert.Equal(t, 1, s.Effects("removeUser"))
	del := s.RequestsOf("removeUser")
	require.Len(t, del, 2)
	assert.Equal(t, 0, del[0].Status)
	assert.Equal(t, 404, del[1].Status)

	_, err := admin.Users.Get(t.Context(), portaltest.AssistantUserID)
	requireProblem(t, err, vipps.ErrNotFound, 404, vipps.ProblemNotFound)
}

// TestValidationAgainstSimulator: refused input sends nothing at all.
func TestValidationAgainstSimulator(t *testing.T) {
	s := sim(t)
	admin := s.AdminClient()
	_, err := admin.Users.Invite(t.Context(), users.InviteRequest{PhoneNumber: "004791234567", Name: "X", Role: users.RoleAssistant})
	require.ErrorIs(t, err, vipps.ErrInvalidInput)
	_, err = admin.Users.Grant(t.Context(), portaltest.AssistantUserID, portaltest.TestMSN)
	require.ErrorIs(t, err, vipps.ErrInvalidInput)
	assert.Empty(t, s.Requests(), "not even a token request")
}
