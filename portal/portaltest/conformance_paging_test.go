package portaltest_test

// The contract's "Paging" section.

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// "pageSize is 1-100 (default 20; outside is a 400)".
func TestConformancePageSizeBounds(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	for i := 0; i < 22; i++ {
		h.newUnit(t, admin, fmt.Sprintf("Unit %02d", i))
	}
	for _, base := range []string{pathTestUnits, pathCreations, pathUsers} {
		for _, bad := range []string{"0", "101", "-1", "abc", "1.5", ""} {
			r := h.send(t, call{Method: http.MethodGet, Path: base + "?pageSize=" + bad, As: &admin, Invalid: true})
			assertProblem(t, r, 400, "invalid-request", "%s pageSize=%q", base, bad)
		}
		for _, good := range []string{"1", "100"} {
			r := h.get(t, admin, base+"?pageSize="+good)
			assert.Equal(t, http.StatusOK, r.Status, "%s pageSize=%s: %s", base, good, r.Raw)
		}
	}
	// Default 20.
	p := decodeAs[page[testUnit]](t, h.get(t, admin, pathTestUnits))
	assert.Len(t, p.Items, 20, "default page size")
	assert.NotNil(t, p.NextPageToken, "23 units: more than one page")
	p1 := decodeAs[page[testUnit]](t, h.get(t, admin, pathTestUnits+"?pageSize=1"))
	assert.Len(t, p1.Items, 1)
	all := decodeAs[page[testUnit]](t, h.get(t, admin, pathTestUnits+"?pageSize=100"))
	assert.Len(t, all.Items, 23)
	assert.Nil(t, all.NextPageToken, "nextPageToken is omitted on the last page")
	assert.NotContains(t, h.get(t, admin, pathTestUnits+"?pageSize=100").JSON(), "nextPageToken")
}

// Ordering: test units by completedAt, ties by msn; creation records by
// creation time, ties by id.
func TestConformancePagingOrder(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithManualProvisioning(), portaltest.WithClock(clock.Now))
	admin := h.admin(t)
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, h.createUnit(t, admin, unitRequest{Name: fmt.Sprintf("Order %d", i)}).CreationID)
		if i%2 == 1 {
			clock.Advance(time.Second) // pairs share a creation time: ties by id
		}
	}
	// Complete in reverse order of creation, two at a time at the same instant.
	for i := len(ids) - 1; i >= 0; i-- {
		_, err := h.s.CompleteCreation(ids[i])
		require.NoError(t, err)
		if i%2 == 0 {
			clock.Advance(time.Second)
		}
	}
	var units []testUnit
	tok := ""
	for {
		p := pathTestUnits + "?pageSize=4"
		if tok != "" {
			p += "&pageToken=" + url.QueryEscape(tok)
		}
		pg := decodeAs[page[testUnit]](t, h.get(t, admin, p))
		units = append(units, pg.Items...)
		if pg.NextPageToken == nil {
			break
		}
		tok = *pg.NextPageToken
	}
	require.Len(t, units, 7)
	for i := 1; i < len(units); i++ {
		a, b := parseTime(t, units[i-1].CompletedAt), parseTime(t, units[i].CompletedAt)
		assert.True(t, a.Before(b) || (a.Equal(b) && units[i-1].MSN < units[i].MSN),
			"units ordered by completedAt, ties by msn: %s(%s) then %s(%s)", units[i-1].MSN, units[i-1].CompletedAt, units[i].MSN, units[i].CompletedAt)
	}

	cr := decodeAs[page[creation]](t, h.get(t, admin, pathCreations+"?pageSize=100"))
	listed := map[string]bool{}
	for _, c := range cr.Items {
		listed[c.CreationID] = true
	}
	for _, id := range ids {
		assert.True(t, listed[id], "creation %s listed", id)
	}
	for i := 1; i < len(cr.Items); i++ {
		a, b := parseTime(t, cr.Items[i-1].CreatedAt), parseTime(t, cr.Items[i].CreatedAt)
		assert.True(t, a.Before(b) || (a.Equal(b) && cr.Items[i-1].CreationID < cr.Items[i].CreationID),
			"creations ordered by creation time, ties by id")
	}
}

func parseTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err, "time %q", s)
	return ts
}

// "A token ... survives additions and removals (nothing is listed twice,
// nothing present throughout is skipped), never expires, and accepts a changed
// pageSize". "a unit that completes while a client pages appears at the end".
func TestConformancePageTokenStability(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithManualProvisioning(), portaltest.WithClock(clock.Now))
	admin := h.admin(t)
	for i := 0; i < 8; i++ {
		clock.Advance(time.Second)
		h.newUnit(t, admin, fmt.Sprintf("Before %d", i))
	}
	initial := allTestUnits(t, h, admin, "")
	require.Len(t, initial, 9)

	var seen []string
	p := decodeAs[page[testUnit]](t, h.get(t, admin, pathTestUnits+"?pageSize=3"))
	for _, u := range p.Items {
		seen = append(seen, u.MSN)
	}
	var added []string
	for round := 0; p.NextPageToken != nil; round++ {
		require.Less(t, round, 50)
		// Units complete between pages.
		clock.Advance(time.Second)
		added = append(added, h.newUnit(t, admin, fmt.Sprintf("During %d", round)))
		// The token never expires.
		clock.Advance(48 * time.Hour)
		admin = h.admin(t)
		size := 2 + round%4 // a changed pageSize is accepted
		p = decodeAs[page[testUnit]](t, h.get(t, admin, fmt.Sprintf("%s?pageSize=%d&pageToken=%s", pathTestUnits, size, url.QueryEscape(*p.NextPageToken))))
		assert.LessOrEqual(t, len(p.Items), size)
		for _, u := range p.Items {
			seen = append(seen, u.MSN)
		}
		if round > 20 {
			break // additions outpace paging only if the token is broken
		}
	}
	counts := map[string]int{}
	for _, m := range seen {
		counts[m]++
	}
	for m, n := range counts {
		assert.Equal(t, 1, n, "unit %s listed %d times", m, n)
	}
	for _, m := range initial {
		assert.Contains(t, counts, m, "unit %s present throughout was skipped", m)
	}
	assert.Equal(t, initial, seen[:len(initial)], "the initial units first, in order")
	for _, m := range seen[len(initial):] {
		assert.Contains(t, added, m, "only added units after the initial ones")
	}
	assert.Contains(t, seen, added[len(added)-1], "the last unit completed before the last page appears at the end")
}

// Users: a token survives removals; nothing present throughout is skipped.
func TestConformancePageTokenSurvivesRemovals(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now))
	admin := h.admin(t)
	var invited []string
	for i := 0; i < 9; i++ {
		clock.Advance(time.Second)
		r := h.post(t, admin, pathUsers, "", map[string]string{"phoneNumber": fmt.Sprintf("+4790000%03d", i), "name": fmt.Sprintf("User %d", i), "role": "ASSISTANT"})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		invited = append(invited, decodeAs[user](t, r).UserID)
	}
	p := decodeAs[page[user]](t, h.get(t, admin, pathUsers+"?pageSize=4"))
	seen := map[string]int{}
	var order []string
	for _, u := range p.Items {
		seen[u.UserID]++
		order = append(order, u.UserID)
	}
	// Remove one already listed and one not yet listed.
	removed := map[string]bool{order[len(order)-1]: true, invited[6]: true}
	for id := range removed {
		require.Equal(t, http.StatusNoContent, h.do(t, admin, http.MethodDelete, userPath(id), nil, nil).Status)
	}
	for p.NextPageToken != nil {
		p = decodeAs[page[user]](t, h.get(t, admin, pathUsers+"?pageSize=3&pageToken="+url.QueryEscape(*p.NextPageToken)))
		for _, u := range p.Items {
			seen[u.UserID]++
			order = append(order, u.UserID)
		}
		if len(p.Items) == 0 {
			assert.Nil(t, p.NextPageToken, "only the last page may be empty")
		}
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "user %s listed %d times", id, n)
	}
	for _, id := range append([]string{portaltest.AdminUserID, portaltest.DeveloperUserID, portaltest.AssistantUserID}, invited...) {
		if !removed[id] {
			assert.Contains(t, seen, id, "user %s present throughout was skipped", id)
		}
	}
	assert.NotContains(t, seen, invited[6], "a user removed before its page is not listed")
}

// "an empty pageToken is the same as none; any other token is a 400
// invalid-page-token"; "A token is bound to the caller's merchant, the
// operation and its filters".
func TestConformancePageTokenBinding(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	other := h.as(t, h.s.UserCredentials(portaltest.OtherAdminUserID))
	for i := 0; i < 3; i++ {
		h.newUnit(t, admin, fmt.Sprintf("Bound %d", i))
		h.createUnit(t, admin, unitRequest{Name: fmt.Sprintf("Pending %d", i)})
	}

	a := h.get(t, admin, pathTestUnits+"?pageSize=2")
	b := h.get(t, admin, pathTestUnits+"?pageSize=2&pageToken=")
	require.Equal(t, http.StatusOK, b.Status, "%s", b.Raw)
	assert.JSONEq(t, string(a.Raw), string(b.Raw), "an empty pageToken is the same as none")

	unitsTok := decodeAs[page[testUnit]](t, a).NextPageToken
	require.NotNil(t, unitsTok)
	usersTok := decodeAs[page[user]](t, h.get(t, admin, pathUsers+"?pageSize=1")).NextPageToken
	require.NotNil(t, usersTok)
	completedTok := decodeAs[page[creation]](t, h.get(t, admin, pathCreations+"?status=COMPLETED&pageSize=1")).NextPageToken
	require.NotNil(t, completedTok)
	allCreationsTok := decodeAs[page[creation]](t, h.get(t, admin, pathCreations+"?pageSize=1")).NextPageToken
	require.NotNil(t, allCreationsTok)

	q := url.QueryEscape
	cases := []struct{ name, path string }{
		{"garbage", pathTestUnits + "?pageToken=garbage"},
		{"tampered", pathTestUnits + "?pageToken=" + q(*unitsTok+"x")},
		{"users token on test units", pathTestUnits + "?pageToken=" + q(*usersTok)},
		{"test units token on users", pathUsers + "?pageToken=" + q(*unitsTok)},
		{"test units token on creations", pathCreations + "?pageToken=" + q(*unitsTok)},
		{"COMPLETED filter token with PENDING", pathCreations + "?status=PENDING&pageToken=" + q(*completedTok)},
		{"COMPLETED filter token without filter", pathCreations + "?pageToken=" + q(*completedTok)},
		{"unfiltered token with a filter", pathCreations + "?status=COMPLETED&pageToken=" + q(*allCreationsTok)},
	}
	for _, c := range cases {
		assertProblem(t, h.get(t, admin, c.path), 400, "invalid-page-token", c.name)
	}
	assertProblem(t, h.get(t, other, pathTestUnits+"?pageToken="+q(*unitsTok)), 400, "invalid-page-token", "another merchant's token")
	assertProblem(t, h.get(t, other, pathUsers+"?pageToken="+q(*usersTok)), 400, "invalid-page-token", "another merchant's token")

	// The same principal's merchant, another user: the token is the merchant's.
	ok := h.get(t, h.dev(t), pathTestUnits+"?pageToken="+q(*unitsTok))
	assert.Equal(t, http.StatusOK, ok.Status, "the token is bound to the merchant, not the user: %s", ok.Raw)
	// With the filter it was issued for, it works.
	assert.Equal(t, http.StatusOK, h.get(t, admin, pathCreations+"?status=COMPLETED&pageToken="+q(*completedTok)).Status)
}

// Creation records filtered by status.
func TestConformanceCreationsStatusFilter(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	pending := h.createUnit(t, admin, unitRequest{Name: "Stays pending"})
	done := h.createUnit(t, admin, unitRequest{Name: "Completes"})
	_, err := h.s.CompleteCreation(done.CreationID)
	require.NoError(t, err)
	h.s.FailNextCreation("no")
	failed := h.createUnit(t, admin, unitRequest{Name: "Fails"})
	_, err = h.s.CompleteCreation(failed.CreationID)
	require.Error(t, err, "the armed creation ends FAILED")

	for status, want := range map[string]string{"PENDING": pending.CreationID, "COMPLETED": done.CreationID, "FAILED": failed.CreationID} {
		p := decodeAs[page[creation]](t, h.get(t, admin, pathCreations+"?status="+status+"&pageSize=100"))
		var found bool
		for _, c := range p.Items {
			assert.Equal(t, status, c.Status, "filtered by status")
			found = found || c.CreationID == want
		}
		assert.True(t, found, "creation %s listed under %s", want, status)
	}
	all := decodeAs[page[creation]](t, h.get(t, admin, pathCreations+"?pageSize=100"))
	assert.GreaterOrEqual(t, len(all.Items), 3)
	r := h.send(t, call{Method: http.MethodGet, Path: pathCreations + "?status=DONE", As: &admin, Invalid: true})
	assertProblem(t, r, 400, "invalid-request")
}
