package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	unitLine = regexp.MustCompile(`(?m)^   test unit:    (\d{6}) "Quickstart shop", ready after (\d+) polls?$`)
	keysLine = regexp.MustCompile(`(?m)^   keys rotated: clientSecret \(old secret refused, new one verified\)$`)
	userLine = regexp.MustCompile(`(?m)^   user invited: Quinn Quickstart \((\+479\d{7})\), DEVELOPER on (\d{6})$`)
)

// TestRun walks the whole quickstart against the simulator (no delays) and
// checks both what it printed and what it did.
func TestRun(t *testing.T) {
	s := portaltest.NewServer()
	defer s.Close()
	c, err := simClient(s)
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, run(t.Context(), c, &out))
	text := out.String()
	t.Log("\n" + text)

	assert.Contains(t, text, "1. Who am I\n   Ada Admin (ADMINISTRATOR), +4791234567, at ACME Fantastic Fitness (business:NO:ORG 987654325)")
	assert.Contains(t, text, "old set: 401 invalid_client (as it should be)")
	assert.Contains(t, text, "10. Summary\n")

	m := unitLine.FindStringSubmatch(text)
	require.NotNil(t, m, "summary names the unit")
	msn := m[1]
	assert.Equal(t, "1", m[2], "with no provisioning delay the first poll finds it ready")
	assert.Regexp(t, keysLine, text)
	um := userLine.FindStringSubmatch(text)
	require.NotNil(t, um, "summary names the user")
	assert.Equal(t, msn, um[2])
	assert.Regexp(t, `(?m)^   `+msn+` +"Quickstart shop" +options: skipLandingPage, recurring, directCapture   <- new$`, text)
	assert.Regexp(t, `(?m)^   `+portaltest.TestMSN+` +"ACME Test"`, text, "the seeded test unit is listed too")

	// What it did: one unit with all three options, one secret regenerated, one user with DEVELOPER on it.
	assert.Equal(t, 1, s.Effects("createTestSalesUnit"))
	assert.Equal(t, 1, s.Effects("regenerateKey"))
	assert.Equal(t, 1, s.Effects("inviteUser"))
	assert.Equal(t, 1, s.Effects("grantAccess"))
	st := s.State()
	var found bool
	for _, u := range st.SalesUnits {
		if u.MSN == msn {
			found = true
			assert.Equal(t, "test", u.Environment)
			assert.True(t, u.SkipLandingPage && u.Recurring && u.DirectCapture, "all three options")
		}
	}
	assert.True(t, found, "the unit exists")
	found = false
	for _, u := range st.Users {
		if u.PhoneNumber == um[1] {
			found = true
			assert.Equal(t, "INVITED", u.Status)
			require.Len(t, u.Grants, 1)
			assert.Equal(t, msn, u.Grants[0].MSN)
			assert.Equal(t, []string{"DEVELOPER"}, u.Grants[0].Permissions)
		}
	}
	assert.True(t, found, "the user exists")

	// No secret reaches the output: not the unit's keys, not the client's own.
	ks, ok := s.UnitKeys(msn)
	require.True(t, ok)
	admin := s.UserCredentials(portaltest.AdminUserID)
	for _, secret := range []string{ks.ClientSecret, ks.SubscriptionKeyPrimary, ks.SubscriptionKeySecondary, admin.ClientSecret, admin.SubscriptionKey} {
		require.NotEmpty(t, secret)
		assert.NotContains(t, text, secret)
	}
	assert.Contains(t, text, "clientId:                 "+ks.ClientID, "the client id is no secret")
	assert.Equal(t, 3, strings.Count(text, keys.Secret("x").String()), "the three secrets of step 5 print redacted, and nothing else does")
}

// TestRunFails: a failure stops the walk with an error naming the step.
func TestRunFails(t *testing.T) {
	s := portaltest.NewServer()
	defer s.Close()
	c, err := s.Client(s.PartnerCredentials(portaltest.PartnerID))
	require.NoError(t, err)

	var out bytes.Buffer
	err = run(t.Context(), c, &out)
	require.ErrorIs(t, err, portal.ErrForbidden)
	assert.Contains(t, err.Error(), "who am I")
	assert.Contains(t, err.Error(), portal.ProblemNotAPortalUser)
	assert.Zero(t, s.Effects("createTestSalesUnit"), "nothing after the failing step ran")
}

// TestNewClientFromEnv: with VIPPS_* settings the quickstart uses them (here
// aimed at a simulator it did not start) instead of starting its own.
func TestNewClientFromEnv(t *testing.T) {
	s := portaltest.NewServer()
	defer s.Close()
	admin := s.UserCredentials(portaltest.AdminUserID)
	t.Setenv(portal.EnvClientID, admin.ClientID)
	t.Setenv(portal.EnvClientSecret, admin.ClientSecret)
	t.Setenv(portal.EnvSubscriptionKey, admin.SubscriptionKey)
	t.Setenv(portal.EnvMSN, "")
	t.Setenv(portal.EnvEnvironment, "")
	t.Setenv(portal.EnvBaseURL, s.URL)
	t.Setenv(portal.EnvPortalURL, s.URL)

	c, closeSim, err := newClient()
	require.NoError(t, err)
	defer closeSim()
	me, err := c.Users.Me(t.Context())
	require.NoError(t, err)
	assert.Equal(t, portaltest.AdminUserID, me.UserID)
	reqs := s.RequestsOf("getMe")
	assert.NotEmpty(t, reqs, "the call reached the configured server")
	for _, r := range reqs {
		assert.Equal(t, "quickstart", r.Header.Get("Vipps-System-Name"))
	}
}
