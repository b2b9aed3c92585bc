package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// Runs that fail or are interrupted delete what they registered too.

// TestInterruptedDuringTheSwitch: Ctrl-C while both registrations are live
// stops the rotation, and the clean-up deletes both.
func TestInterruptedDuringTheSwitch(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	code, _, stderr, s, _ := onSim(t, ctx, func(_ *portaltest.Server, line string) {
		if strings.HasPrefix(line, "  new registration ") {
			cancel()
		}
	})
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "webhooks: rotating the secret: ")
	assert.Contains(t, stderr, context.Canceled.Error())
	assert.Empty(t, ours(s), "both registrations of the run were deleted")
	assert.Len(t, programs(s, portaltest.OpDeleteWebhook), 2)
	assert.Len(t, s.State().Webhooks, 1, "the bystander's is left")
}

// TestNoNotification: a notification that never arrives (the simulator
// cannot reach the receiver) fails the run after -timeout, and the clean-up
// still runs.
func TestNoNotification(t *testing.T) {
	exampletest.Clear(t)
	rec := &exampletest.Recorder{Extra: []portaltest.Option{portaltest.WithWebhookTransport(unreachable{})}}
	code, _, stderr := exampletest.Run(t, run, rec, "-timeout", "100ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "webhooks: waiting for a notification: context deadline exceeded")
	assert.Empty(t, rec.Server.State().Webhooks)
	assert.Equal(t, 1, rec.Server.Effects(portaltest.OpDeleteWebhook))
}

// unreachable is a network where no receiver answers.
type unreachable struct{}

func (unreachable) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}
