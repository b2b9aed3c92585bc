package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// The example with VIPPS_* variables set, aimed at a simulator of the test's
// own, as the unit's own keys.

// TestTriggerOnAStandaloneSimulator: with VIPPS_* aimed at a simulator that
// takes notifications at portaltest.NotifyPath, -trigger sends them there.
func TestTriggerOnAStandaloneSimulator(t *testing.T) {
	s, code, stdout, stderr := exampletest.FromEnv(t, run, exampleenv.Unit, []string{"-trigger", "-msn", portaltest.ProductionMSN},
		portaltest.WithNotifyEndpoint(), portaltest.WithLocalWebhooks())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "The simulator at "+s.URL+" sends epayments.payment.authorized.v1")
	assert.Len(t, receivedLine.FindAllString(stdout, -1), 2)
	assert.Len(t, s.RequestsOf(portaltest.OpRegisterWebhook), 2)
	assert.Empty(t, s.State().Webhooks)
}

// TestTriggerNeedsASimulator: where nothing takes notifications on demand
// (Vipps, here a simulator without the endpoint), -trigger fails saying so,
// and the registration is deleted.
func TestTriggerNeedsASimulator(t *testing.T) {
	s, code, _, stderr := exampletest.FromEnv(t, run, exampleenv.Unit, []string{"-trigger", "-msn", portaltest.ProductionMSN},
		portaltest.WithLocalWebhooks())
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "answered 404")
	assert.Contains(t, stderr, "-trigger needs a simulator")
	assert.Equal(t, 1, s.Effects(portaltest.OpRegisterWebhook))
	assert.Empty(t, s.State().Webhooks)
}

// TestRefusedWithoutAURL: against Vipps (VIPPS_* set, no -trigger) a public
// URL is needed; without -url nothing is registered.
func TestRefusedWithoutAURL(t *testing.T) {
	s, code, _, stderr := exampletest.FromEnv(t, run, exampleenv.Unit, nil)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "webhooks: -url is required against Vipps")
	assert.Empty(t, s.RequestsOf(portaltest.OpRegisterWebhook))
}
