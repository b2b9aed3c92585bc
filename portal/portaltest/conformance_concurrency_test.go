package portaltest_test

// 64 goroutines creating, listing, regenerating and granting at once (run it
// under -race), then the invariants: every completed unit listed exactly once,
// no MSN reused, every key set distinct, replays never doing the work twice.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

const (
	workers        = 64
	opsPerWorker   = 6
	sharedCreates  = 4 // keys that several creators use at once, with equal bodies
	sharedRegens   = 3
	listPageSize   = 3
	concurrencyMsn = portaltest.SecondProductionMSN
)

type outcome struct {
	principal, key string
	status         int
	replayed       bool
	body           []byte
}

func TestConformanceConcurrency(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, dev := h.admin(t), h.dev(t)
	callers := map[string]caller{"admin": admin, "dev": dev}
	baseCreations := len(allCreations(t, h, admin))
	baseUnits := allTestUnits(t, h, admin, "")
	seedMSNs := []string{portaltest.ProductionMSN, portaltest.SecondProductionMSN, portaltest.TestMSN}

	var (
		mu        sync.Mutex
		creates   []outcome
		regens    []outcome
		listWalks int
		start     = make(chan struct{})
		wg        sync.WaitGroup
	)
	record := func(dst *[]outcome, o outcome) {
		mu.Lock()
		defer mu.Unlock()
		*dst = append(*dst, o)
	}

	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for op := 0; op < opsPerWorker; op++ {
				switch (w + op) % 4 {
				case 0: // create: a shared key (replays) or a unique one, as admin or dev
					who, key := "admin", fmt.Sprintf("shared-create-%d", (w+op)%sharedCreates)
					if op%2 == 1 {
						who, key = []string{"admin", "dev"}[w%2], fmt.Sprintf("create-%d-%d", w, op)
					}
					as := callers[who]
					r, err := h.exchange(call{Method: http.MethodPost, Path: pathTestUnits, As: &as, IdemKey: key,
						Body: unitRequest{Name: "Concurrent " + key}})
					if !assert.NoError(t, err) {
						return
					}
					assert.Equal(t, http.StatusAccepted, r.Status, "create %s: %s", key, snippet(r.Raw))
					record(&creates, outcome{who, key, r.Status, r.Header.Get("Idempotent-Replayed") == "true", r.Raw})
					if op%3 == 0 {
						// Some units complete while others list.
						var c creation
						if json.Unmarshal(r.Raw, &c) == nil && c.CreationID != "" {
							_, _ = h.s.CompleteCreation(c.CreationID)
						}
					}
				case 1: // list: one full walk, nothing twice within it
					seen := map[string]bool{}
					tok := ""
					for i := 0; i < 200; i++ {
						p := fmt.Sprintf("%s?pageSize=%d", pathTestUnits, listPageSize)
						if tok != "" {
							p += "&pageToken=" + url.QueryEscape(tok)
						}
						r, err := h.exchange(call{Method: http.MethodGet, Path: p, As: &admin})
						if !assert.NoError(t, err) || !assert.Equal(t, http.StatusOK, r.Status, "%s", snippet(r.Raw)) {
							return
						}
						var pg page[testUnit]
						if !assert.NoError(t, json.Unmarshal(r.Raw, &pg)) {
							return
						}
						for _, u := range pg.Items {
							assert.False(t, seen[u.MSN], "unit %s listed twice in one walk", u.MSN)
							seen[u.MSN] = true
						}
						if pg.NextPageToken == nil {
							break
						}
						tok = *pg.NextPageToken
					}
					for _, m := range baseUnits {
						assert.True(t, seen[m], "unit %s present throughout was skipped", m)
					}
					mu.Lock()
					listWalks++
					mu.Unlock()
				case 2: // regenerate: a shared key (replays) or a unique one
					key := fmt.Sprintf("shared-regen-%d", (w+op)%sharedRegens)
					if op%2 == 1 {
						key = fmt.Sprintf("regen-%d-%d", w, op)
					}
					msn := []string{portaltest.ProductionMSN, concurrencyMsn, portaltest.TestMSN}[(w+op)%3]
					if op%2 == 0 {
						msn = concurrencyMsn // a shared key always names the same path and body
					}
					r, err := h.exchange(call{Method: http.MethodPost, Path: regenPath(msn), As: &admin, IdemKey: key,
						Body: map[string]string{"key": "clientSecret"}})
					if !assert.NoError(t, err) {
						return
					}
					assert.Equal(t, http.StatusOK, r.Status, "regenerate %s: %s", key, snippet(r.Raw))
					record(&regens, outcome{"admin", msn + "/" + key, r.Status, r.Header.Get("Idempotent-Replayed") == "true", r.Raw})
				case 3: // grant and revoke
					perms := [][]string{{"DEVELOPER"}, {"TRANSACTION_MANAGEMENT"}, {"DEVELOPER", "TRANSACTION_MANAGEMENT"}}[(w+op)%3]
					target := []string{portaltest.AssistantUserID, portaltest.DeveloperUserID}[w%2]
					r, err := h.exchange(call{Method: http.MethodPut, Path: grantPath(target, concurrencyMsn), As: &admin,
						Body: map[string][]string{"permissions": perms}})
					if assert.NoError(t, err) {
						assert.Equal(t, http.StatusOK, r.Status, "grant: %s", snippet(r.Raw))
					}
					if w%5 == 0 {
						r, err = h.exchange(call{Method: http.MethodDelete, Path: grantPath(target, portaltest.TestMSN), As: &admin})
						if assert.NoError(t, err) {
							assert.Equal(t, http.StatusNoContent, r.Status)
						}
					}
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	require.False(t, t.Failed(), "the storm itself must succeed before invariants mean anything")
	assert.Positive(t, listWalks)

	// Replays never do the work twice: one creation per (principal, key), and
	// every answer under a key is the same creation.
	byKey := map[string][]outcome{}
	for _, o := range creates {
		byKey[o.principal+"/"+o.key] = append(byKey[o.principal+"/"+o.key], o)
	}
	creationIDs := map[string]bool{}
	replays := 0
	for k, os := range byKey {
		var first creation
		require.NoError(t, json.Unmarshal(os[0].body, &first))
		fresh := 0
		for _, o := range os {
			var c creation
			require.NoError(t, json.Unmarshal(o.body, &c))
			assert.Equal(t, first.CreationID, c.CreationID, "every answer under key %s names the same creation", k)
			if o.replayed {
				replays++
			} else {
				fresh++
			}
		}
		assert.Equal(t, 1, fresh, "key %s: exactly one answer was not a replay (%d requests)", k, len(os))
		creationIDs[first.CreationID] = true
	}
	assert.Equal(t, len(byKey), len(creationIDs), "distinct keys made distinct creations")
	assert.Equal(t, len(creates)-len(byKey), replays, "all other answers were replays")
	assert.Equal(t, len(byKey), h.s.Effects(portaltest.OpCreateTestSalesUnit), "Effects equals the number of distinct keys")
	assert.Greater(t, replays, 0, "the test did replay keys")

	regenByKey := map[string][]outcome{}
	for _, o := range regens {
		regenByKey[o.key] = append(regenByKey[o.key], o)
	}
	regenReplays := 0
	for k, os := range regenByKey {
		for _, o := range os[1:] {
			assert.JSONEq(t, string(os[0].body), string(o.body), "every answer under regenerate key %s is the same key set", k)
			regenReplays++
		}
	}
	assert.Positive(t, regenReplays, "the test did repeat a regenerate key")
	assert.Equal(t, len(regenByKey), h.s.Effects(portaltest.OpRegenerateKey), "Effects equals the number of distinct regenerate keys")

	// Complete everything, issue every key.
	h.s.CompleteAll()
	for _, c := range allCreations(t, h, admin) {
		require.Equal(t, "COMPLETED", c.Status, "creation %s", c.CreationID)
		require.NotNil(t, c.MSN)
		require.NoError(t, h.s.IssueKeys(*c.MSN))
	}
	creations := allCreations(t, h, admin)
	assert.Len(t, creations, baseCreations+len(byKey), "one creation record per distinct key")

	// Every completed unit listed exactly once.
	listed := allTestUnits(t, h, admin, "")
	counts := map[string]int{}
	for _, m := range listed {
		counts[m]++
	}
	for m, n := range counts {
		assert.Equal(t, 1, n, "unit %s listed %d times", m, n)
	}
	var newMSNs []string
	for _, c := range creations {
		if creationIDs[c.CreationID] {
			newMSNs = append(newMSNs, *c.MSN)
			assert.Equal(t, 1, counts[*c.MSN], "completed unit %s listed exactly once", *c.MSN)
		}
	}
	assert.Len(t, listed, len(baseUnits)+len(byKey))

	// No MSN reused.
	all := map[string]bool{}
	for _, m := range append(append([]string{}, seedMSNs...), portaltest.OtherMSN) {
		all[m] = true
	}
	for _, m := range newMSNs {
		assert.Regexp(t, sixDigit, m)
		assert.False(t, all[m], "MSN %s reused", m)
		all[m] = true
	}

	// Every key set distinct, every key value unique across all units.
	values := map[string]string{}
	for m := range all {
		ks, ok := h.s.UnitKeys(m)
		if !assert.True(t, ok, "keys of %s", m) {
			continue
		}
		for what, v := range map[string]string{"clientId": ks.ClientID, "clientSecret": ks.ClientSecret,
			"subscriptionKeyPrimary": ks.SubscriptionKeyPrimary, "subscriptionKeySecondary": ks.SubscriptionKeySecondary} {
			if prev, dup := values[v]; dup {
				assert.Failf(t, "key value reused", "%s of %s equals %s", what, m, prev)
			}
			values[v] = what + " of " + m
		}
	}

	// The grants ended as one of the sets granted.
	for _, id := range []string{portaltest.AssistantUserID, portaltest.DeveloperUserID} {
		u := decodeAs[user](t, h.get(t, admin, userPath(id)))
		for _, a := range u.SalesUnits {
			if a.MSN == concurrencyMsn {
				assert.NotEmpty(t, a.Permissions)
			}
		}
	}
}

// allCreations pages through every creation record.
func allCreations(t testing.TB, h *harness, as caller) []creation {
	t.Helper()
	var out []creation
	tok := ""
	for i := 0; i < 1000; i++ {
		p := pathCreations + "?pageSize=100"
		if tok != "" {
			p += "&pageToken=" + url.QueryEscape(tok)
		}
		r := h.get(t, as, p)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		pg := decodeAs[page[creation]](t, r)
		out = append(out, pg.Items...)
		if pg.NextPageToken == nil {
			return out
		}
		tok = *pg.NextPageToken
	}
	require.Fail(t, "paging does not end")
	return nil
}
