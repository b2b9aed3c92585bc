package portaltest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// The exported ids are exactly the contract's operationIds, and the server
// names each request by one of them.
func TestOperationsAreTheContracts(t *testing.T) {
	c := mustContract(t)
	var want []string
	for _, item := range c.doc.Paths.Map() {
		for _, op := range item.Operations() {
			want = append(want, op.OperationID)
		}
	}
	assert.ElementsMatch(t, want, portaltest.Operations())

	ops := portaltest.Operations()
	ops[0] = "changed"
	assert.Equal(t, portaltest.OpFetchAuthorizationTokenUsingPost, portaltest.Operations()[0], "a copy: the caller cannot change the list")
}

// "an unknown id is an error, never a fault that cannot fire": a typo, or
// the id contract 1.1 renamed (prefillProductOrder is orderProduct).
func TestUnknownOperationIsRefused(t *testing.T) {
	h := newHarness(t)
	for _, op := range []string{"prefillProductOrder", "getme", "createTestUnit"} {
		err := h.s.InjectFault(portaltest.Fault{Operation: op, Status: 503})
		require.Error(t, err, op)
		assert.Contains(t, err.Error(), `"`+op+`"`, "the error names the id")
		assert.Contains(t, err.Error(), portaltest.OpOrderProduct, "and lists the valid ones")
		assert.Contains(t, err.Error(), portaltest.OpDeleteWebhook)

		assert.PanicsWithValue(t, "portaltest: "+err.Error()[len("portaltest: Fault.Operation: "):], func() { h.s.Effects(op) },
			"a count of an unknown id is refused with the same list")
		assert.Panics(t, func() { h.s.RequestsOf(op) })
	}
	// No fault was added: the next request is answered normally.
	assert.Zero(t, h.s.FaultsInjected())
	assert.Equal(t, 200, h.get(t, h.admin(t), pathMe).Status)
	assert.Zero(t, h.s.FaultsInjected())

	// Every contract id, and "" (every operation), is accepted.
	for _, op := range append(portaltest.Operations(), "") {
		require.NoError(t, h.s.InjectFault(portaltest.Fault{Operation: op, Delay: 1}), op)
		assert.NotPanics(t, func() { h.s.RequestsOf(op) }, op)
	}
	h.s.ClearFaults()
	assert.Empty(t, h.s.RequestsOf(""), "every request so far matched an operation")
}
