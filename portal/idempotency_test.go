package portal_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// When every attempt's answer is lost after the server did the work, the call
// fails with ErrTransport, and its error carries the Idempotency-Key: repeating
// the call with that key gets the stored result, and the work stays done once.
func TestUnknownOutcomeIsResolvedWithTheErrorsIdempotencyKey(t *testing.T) {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient(portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 3, MinBackoff: 1, MaxBackoff: 1}))
	sim.InjectFault(portaltest.Fault{Operation: "createTestSalesUnit", Times: -1, DropAfterWork: true})

	req := salesunit.TestUnitRequest{Name: "Lost answers", Options: salesunit.TestUnitOptions{DirectCapture: true}}
	_, err := c.TestUnits.Create(t.Context(), req)
	require.ErrorIs(t, err, vipps.ErrTransport)
	var apiErr *vipps.Error
	require.True(t, errors.As(err, &apiErr))
	require.NotEmpty(t, apiErr.IdempotencyKey)
	assert.GreaterOrEqual(t, apiErr.Attempts, 3)
	assert.Equal(t, 1, sim.Effects("createTestSalesUnit"), "every attempt after the first was a replay")
	attempts := sim.RequestsOf("createTestSalesUnit")
	// net/http may resend a request whose reused connection dropped (it
	// carries an Idempotency-Key), so the server can see more than the SDK sent.
	require.GreaterOrEqual(t, len(attempts), apiErr.Attempts, "every attempt is logged")
	for _, r := range attempts {
		assert.Equal(t, apiErr.IdempotencyKey, r.IdempotencyKey, "one key on every attempt")
	}

	sim.ClearFaults()
	creation, err := c.TestUnits.Create(portal.WithIdempotencyKey(t.Context(), apiErr.IdempotencyKey), req)
	require.NoError(t, err)
	assert.Equal(t, salesunit.CreationPending, creation.Status)
	assert.Equal(t, 1, sim.Effects("createTestSalesUnit"), "the repeat replayed the stored answer")
	page, err := c.TestUnits.Creations(t.Context(), nil)
	require.NoError(t, err)
	n := 0
	for _, cr := range page.Items {
		if cr.Request.Name == req.Name {
			n++
			assert.Equal(t, creation.CreationID, cr.CreationID)
		}
	}
	assert.Equal(t, 1, n, "one creation record")
}
