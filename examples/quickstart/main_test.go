package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

var (
	readyLine = regexp.MustCompile(`(?m)^   test unit (\d{6}) "Quickstart shop" is ready: \{SkipLandingPage:true Recurring:true DirectCapture:true\}$`)
	userLine  = regexp.MustCompile(`(?m)^   invited Quinn Quickstart \((\+479\d{7})\) as SALES_UNIT_MANAGER: user (\S+), INVITED$`)
)

// TestRun runs the program as `go run ./examples/quickstart` does with no
// VIPPS_* variable set: on the embedded simulator. It checks the exit code,
// what it printed and what it did.
func TestRun(t *testing.T) {
	exampletest.Clear(t)
	sim := exampletest.NoDelays()
	code, text, stderr := exampletest.Run(t, run, sim)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	require.Equal(t, 1, sim.Started)
	s := sim.Server

	assert.Contains(t, text, "using the embedded simulator at "+s.URL)
	assert.Contains(t, text, "1. Who am I\n   Ada Admin (ADMINISTRATOR) at ACME Fantastic Fitness (business:NO:ORG 987654325)")
	assert.Contains(t, text, "   poll 1: unit ", "with no provisioning delay the first poll finds the unit")
	assert.NotContains(t, text, "poll 2:")
	m := readyLine.FindStringSubmatch(text)
	require.NotNil(t, m, "the ready unit is named with its three options")
	msn := m[1]
	assert.Regexp(t, `(?m)^   `+msn+` "Quickstart shop"$`, text, "the new unit is listed")
	assert.Regexp(t, `(?m)^   `+portaltest.TestMSN+` "ACME Test"$`, text, "the seeded test unit is listed too")
	assert.Contains(t, text, "   regenerate clientSecret\n")
	assert.Contains(t, text, "   old set: 401 invalid_client\n")
	assert.Contains(t, text, "   new set: sales unit "+msn+" (test): subscriptionKeyPrimary works, subscriptionKeySecondary works\n")
	um := userLine.FindStringSubmatch(text)
	require.NotNil(t, um, "the invited user is named")
	assert.Contains(t, text, "   granted [DEVELOPER] on "+msn+"\n")

	// What it did: one unit with all three options, one secret regenerated, one user with DEVELOPER on it.
	assert.Equal(t, 1, s.Effects("createTestSalesUnit"))
	assert.Equal(t, 1, s.Effects("regenerateKey"))
	assert.Equal(t, 1, s.Effects("inviteUser"))
	assert.Equal(t, 1, s.Effects("grantAccess"))
	for _, r := range s.RequestsOf("getMe") {
		assert.Equal(t, "quickstart", r.Header.Get("Vipps-System-Name"))
	}
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
		if u.UserID == um[2] {
			found = true
			assert.Equal(t, um[1], u.PhoneNumber)
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
	for _, secret := range []string{ks.ClientSecret, ks.SubscriptionKeyPrimary, ks.SubscriptionKeySecondary, admin.ClientSecret.Reveal(), admin.SubscriptionKey.Reveal()} {
		require.NotEmpty(t, secret)
		assert.NotContains(t, text, secret)
	}
	assert.Contains(t, text, "clientId "+ks.ClientID, "the client id is no secret")
	assert.Equal(t, 2, strings.Count(text, vipps.Secret("x").String()), "the two secrets of the keys step print redacted, and nothing else does")
}

// TestHelp: -h and -help print the usage under the program's own name and
// exit 0 without running anything.
func TestHelp(t *testing.T) { exampletest.Help(t, run, "quickstart") }

// TestBadArgument: a stray argument is refused with exit code 2.
func TestBadArgument(t *testing.T) {
	exampletest.BadFlags(t, run, map[string]string{"now": `quickstart: unexpected argument "now"`})
}

// TestRefusesHalfConfigured: URLs without credentials are refused, naming the
// missing variables, instead of running on the simulator.
func TestRefusesHalfConfigured(t *testing.T) {
	exampletest.Refuses(t, run, "quickstart",
		map[string]string{portal.EnvBaseURL: "http://127.0.0.1:8080", portal.EnvPortalURL: "http://127.0.0.1:8080"},
		"VIPPS_CLIENT_ID, VIPPS_CLIENT_SECRET, VIPPS_SUBSCRIPTION_KEY not set")
}

// TestRunFromEnv: with VIPPS_* variables the program uses them (here aimed at
// a simulator it did not start, with a partner's keys, which are no portal
// user): it fails at the first step, exits 1 and names the step.
func TestRunFromEnv(t *testing.T) {
	s, code, stdout, stderr := exampletest.FromEnv(t, run, exampleenv.Partner, nil)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "quickstart: who am I: ")
	assert.Contains(t, stderr, vipps.ProblemNotAPortalUser)
	assert.NotContains(t, stdout, "simulator")
	assert.Len(t, s.RequestsOf("getMe"), 1, "the call reached the configured server")
	assert.Zero(t, s.Effects("createTestSalesUnit"), "nothing after the failing step ran")
}
