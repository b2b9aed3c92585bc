package users_test

// Every request the Users service sends, and every answer the simulator gives
// it, checked against the wire contract (portal/openapi.yaml) with kin-openapi.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/contracttest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

func TestRequestsFollowTheContract(t *testing.T) {
	s := sim(t)
	check := contracttest.New(t)
	admin := s.UserCredentials(portaltest.AdminUserID)
	admin.MSN = portaltest.ProductionMSN
	c, err := s.Client(admin, portal.WithSystem("contract-test", "1.0.0", "users", "0.1"),
		portal.WithHTTPClient(check.HTTPClient()))
	require.NoError(t, err)
	ctx := t.Context()

	_, err = c.Users.Me(ctx)
	require.NoError(t, err)
	u, err := c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4798765432", Name: "Nora Ny", Email: "nora@example.com", Role: users.RoleAssistant})
	require.NoError(t, err)
	_, err = c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4798765433", Name: "Nils Ny", Role: users.RoleAdministrator})
	require.NoError(t, err)
	_, err = c.Users.Get(ctx, u.UserID)
	require.NoError(t, err)
	walked := 0
	for _, err := range c.Users.All(ctx, &vipps.ListOptions{PageSize: 2}) {
		require.NoError(t, err)
		walked++
	}
	assert.Equal(t, 5, walked, "the three seeded users and the two invited")
	_, err = c.Users.Grant(ctx, u.UserID, portaltest.TestMSN, users.PermissionDeveloper, users.PermissionTransactionManagement)
	require.NoError(t, err)
	require.NoError(t, c.Users.Revoke(ctx, u.UserID, portaltest.TestMSN))
	require.NoError(t, c.Users.Remove(ctx, u.UserID))
	// Error answers are checked as well.
	_, err = c.Users.Get(ctx, u.UserID)
	require.ErrorIs(t, err, vipps.ErrNotFound)
	_, err = c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4791234567", Name: "Ada Again", Role: users.RoleAssistant})
	require.ErrorIs(t, err, vipps.ErrConflict)

	for _, op := range []string{"fetchAuthorizationTokenUsingPost", "getMe", "inviteUser", "getUser", "listUsers", "grantAccess", "revokeAccess", "removeUser"} {
		assert.Positive(t, check.Seen(op), "operation %s was exercised", op)
	}
	assert.Equal(t, 3, check.Seen("listUsers"), "5 users in pages of 2")
}
