package portaltest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// Every answer carries X-Request-Id (the harness checks that on each one),
// the request log records it, a replay gets its own, and a dropped answer
// still has one in the log.
func TestRequestIDIsLoggedWithEachAnswer(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	key := newKey()
	answers := []*response{
		h.get(t, admin, pathMe),
		h.send(t, call{Method: http.MethodGet, Path: "/nothing-here", Invalid: true}),
		h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Once"}),
		h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Once"}),
	}
	require.NoError(t, h.s.InjectFault(portaltest.Fault{Operation: portaltest.OpGetMe, Status: http.StatusServiceUnavailable}))
	answers = append(answers, h.get(t, admin, pathMe))
	assert.Equal(t, "true", answers[3].Header.Get("Idempotent-Replayed"))
	assert.Equal(t, http.StatusServiceUnavailable, answers[4].Status)

	logged := map[string]portaltest.LoggedRequest{}
	for _, lr := range h.s.Requests() {
		require.NotEmpty(t, lr.RequestID, "%s %s", lr.Method, lr.Path)
		logged[lr.RequestID] = lr
	}
	for i, a := range answers {
		lr, ok := logged[a.Header.Get("X-Request-Id")]
		if assert.True(t, ok, "answer %d's request id is in the log", i) {
			assert.Equal(t, a.Status, lr.Status, "answer %d", i)
		}
	}

	require.NoError(t, h.s.InjectFault(portaltest.Fault{Operation: portaltest.OpCreateTestSalesUnit, DropAfterWork: true}))
	// net/http may resend it once on a fresh connection (it carries an
	// Idempotency-Key): the dropped attempt is in the log either way.
	_, _ = h.exchange(call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: newKey(), Body: unitRequest{Name: "Dropped"}})
	var dropped []portaltest.LoggedRequest
	for _, lr := range h.s.RequestsOf(portaltest.OpCreateTestSalesUnit) {
		if lr.Status == 0 {
			dropped = append(dropped, lr)
		}
	}
	require.Len(t, dropped, 1)
	assert.NotEmpty(t, dropped[0].RequestID, "a dropped answer still has its id in the log")
	assert.NotContains(t, logged, dropped[0].RequestID)
}

// The SDK reads the id into vipps.Response.RequestID.
func TestRequestIDReachesTheSDK(t *testing.T) {
	s := portaltest.NewServer()
	defer s.Close()
	var meta vipps.Response
	_, err := s.AdminClient().Users.Me(portal.WithResponse(t.Context(), &meta))
	require.NoError(t, err)
	me := s.RequestsOf(portaltest.OpGetMe)
	require.Len(t, me, 1)
	assert.Equal(t, me[0].RequestID, meta.RequestID)
}
