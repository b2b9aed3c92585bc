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
)

func TestMain(m *testing.M) { exampletest.Main(m) }

var readyLine = regexp.MustCompile(`(?m)^CI shop (\d): READY as MSN (\d{6}) with \{SkipLandingPage:true Recurring:true DirectCapture:true\}$`)

// TestRun orders two units with all three options and a partner text on the
// embedded simulator: exit 0, each unit reported READY, and the simulator
// holds two units with exactly those options.
func TestRun(t *testing.T) {
	exampletest.Clear(t)
	sim := exampletest.NoDelays()
	code, text, stderr := exampletest.Run(t, run, sim, "-n", "2", "-name", "CI shop", "-partner", "Acme Partner",
		"-skip-landing-page", "-recurring", "-direct-capture")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	require.Equal(t, 1, sim.Started)
	s := sim.Server

	ready := readyLine.FindAllStringSubmatch(text, -1)
	require.Len(t, ready, 2, "both units reported ready")
	assert.ElementsMatch(t, []string{"1", "2"}, []string{ready[0][1], ready[1][1]})
	assert.Equal(t, 2, s.Effects("createTestSalesUnit"))
	for _, m := range ready {
		found := false
		for _, u := range s.State().SalesUnits {
			if u.MSN == m[2] {
				found = true
				assert.Equal(t, "CI shop "+m[1], u.Name)
				assert.Equal(t, "test", u.Environment)
				assert.True(t, u.SkipLandingPage, "skip landing page")
				assert.True(t, u.Recurring, "recurring")
				assert.True(t, u.DirectCapture, "direct capture")
				assert.Equal(t, "Acme Partner", u.Partner)
			}
		}
		assert.True(t, found, "unit %s exists", m[2])
	}
	for _, r := range s.RequestsOf("createTestSalesUnit") {
		assert.Equal(t, "test-units", r.Header.Get("Vipps-System-Name"))
	}
}

// TestRunDefaults: without option flags the units have none of the three.
func TestRunDefaults(t *testing.T) {
	exampletest.Clear(t)
	sim := exampletest.NoDelays()
	code, stdout, stderr := exampletest.Run(t, run, sim)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 3, strings.Count(stdout, "with {SkipLandingPage:false Recurring:false DirectCapture:false}\n"))
	n := 0
	for _, u := range sim.Server.State().SalesUnits {
		if strings.HasPrefix(u.Name, "Dev shop ") {
			n++
			assert.False(t, u.SkipLandingPage || u.Recurring || u.DirectCapture, u.Name)
		}
	}
	assert.Equal(t, 3, n)
}

// TestCreationFails: a unit whose provisioning fails makes the program exit 1
// naming that unit and the failure, while the other unit still completes.
func TestCreationFails(t *testing.T) {
	exampletest.Clear(t)
	sim := exampletest.NoDelays()
	sim.OnStart = func(s *portaltest.Server) { s.FailNextCreation("no capacity in the test environment") }
	code, stdout, stderr := exampletest.Run(t, run, sim, "-n", "2", "-name", "Doomed")
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^test-units: Doomed \d: .*no capacity in the test environment\n$`, stderr)
	assert.Equal(t, 1, strings.Count(stdout, ": READY as MSN "), "the other unit completed")
	assert.Equal(t, 2, sim.Server.Effects("createTestSalesUnit"))
}

// TestHelp: -h and -help print the usage under the program's own name, with
// every option flag, and exit 0 without running anything.
func TestHelp(t *testing.T) {
	exampletest.Help(t, run, "test-units", "-n int", "-name string", "-partner string",
		"-skip-landing-page", "-recurring", "-direct-capture", "-timeout duration")
}

// TestBadFlags: a flag that does not parse, a stray argument and -n 0 exit 2
// before anything is started.
func TestBadFlags(t *testing.T) {
	exampletest.BadFlags(t, run, map[string]string{
		"-n many":        `test-units: invalid value "many" for flag -n`,
		"-recurring yes": `test-units: unexpected argument "yes"`,
		"-n 0":           "test-units: -n must be at least 1, got 0\n",
	})
}

// TestRefusesHalfConfigured: a client id and secret without a subscription
// key are refused, naming VIPPS_SUBSCRIPTION_KEY, instead of running on the
// simulator.
func TestRefusesHalfConfigured(t *testing.T) {
	exampletest.Refuses(t, run, "test-units",
		map[string]string{portal.EnvClientID: "my-client", portal.EnvClientSecret: "my-secret"},
		"VIPPS_SUBSCRIPTION_KEY not set")
}

// TestRunFromEnv: with a complete environment it orders on the server the
// variables name (a simulator the test started) and starts none of its own.
func TestRunFromEnv(t *testing.T) {
	s, code, stdout, stderr := exampletest.FromEnv(t, run, exampleenv.Admin, []string{"-n", "1", "-recurring"})
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 1, s.Effects("createTestSalesUnit"))
	assert.Contains(t, stdout, "Dev shop 1: READY as MSN ")
}
