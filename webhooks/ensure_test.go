package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

const (
	owned   = "https://hooks.example.com/"
	urlPay  = "https://hooks.example.com/pay"
	urlRec  = "https://hooks.example.com/recurring"
	urlQR   = "https://hooks.example.com/qr"
	urlOld  = "https://hooks.example.com/old"
	foreign = "https://other-team.example.com/hook"
)

// journal records, in order, the webhook operations the fake served and
// the Store calls, so tests can assert what happened before what.
type journal struct {
	mu      sync.Mutex
	entries []string
	stored  []*webhooks.Registered
	failOn  int // Store fails on this call (1-based); 0 never
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.entries)
}

func (j *journal) store(_ context.Context, r *webhooks.Registered) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, "store")
	j.stored = append(j.stored, r)
	if len(j.stored) == j.failOn {
		return errors.New("vault unavailable")
	}
	return nil
}

func (j *journal) held() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var ids []string
	for _, r := range j.stored {
		ids = append(ids, r.ID)
	}
	return ids
}

func newJournal(f *fakeAPI) *journal {
	j := &journal{}
	f.set(func(f *fakeAPI) { f.before = j.add })
	return j
}

// The situation every Ensure test starts from, in scope 123456:
//   - kept:    urlPay with payment events, secret held;
//   - lostDup: urlPay with payment events again, secret not held;
//   - lost:    urlQR with the check-in, secret not held (a register whose answer was lost);
//   - stale:   urlOld under the owned prefix, not declared;
//   - other:   urlPay with other events (the declared URL, other events);
//   - alien:   a foreign URL, never touched.
//
// The spec declares urlPay (payment events), urlRec (missing) and urlQR.
type situation struct {
	kept, lostDup, lost, stale, other, alien *fakeHook
	spec                                     webhooks.Spec
}

func newSituation(f *fakeAPI, j *journal) *situation {
	s := &situation{
		kept:    f.seed(unitMSN, urlPay, paymentEvents...),
		lostDup: f.seed(unitMSN, urlPay, webhooks.EPaymentCaptured, webhooks.EPaymentAuthorized),
		lost:    f.seed(unitMSN, urlQR, webhooks.UserCheckedIn),
		stale:   f.seed(unitMSN, urlOld, webhooks.EPaymentCreated),
		other:   f.seed(unitMSN, urlPay, webhooks.EPaymentRefunded),
		alien:   f.seed(unitMSN, foreign, webhooks.EPaymentCaptured),
	}
	s.spec = webhooks.Spec{
		Webhooks: []webhooks.Desired{
			{URL: urlPay, Events: paymentEvents},
			{URL: urlRec, Events: []webhooks.EventName{webhooks.RecurringChargeCaptured, webhooks.RecurringAgreementStopped}},
			{MSN: unitMSN, URL: urlQR, Events: []webhooks.EventName{webhooks.UserCheckedIn}},
		},
		OwnedPrefixes: []string{owned},
		SecretsHeld:   []string{s.kept.ID, s.alien.ID, "0b52e5bd-be1e-42a1-acf2-e331f52c68ac"}, // the last one Vipps removed
		Store:         j.store,
	}
	return s
}

// wantPlan is the plan's text: header follows "webhooks plan", done ends each carried-out step.
func (s *situation) wantPlan(header, done string) string {
	return "webhooks plan" + header + ": 2 to register, 4 to delete, 1 to keep\n" +
		"scope 123456:\n" +
		"  + register " + urlQR + " [user.checked-in.v1] (replaces one whose secret nobody holds)" + done + "\n" +
		"  + register " + urlRec + " [recurring.agreement-stopped.v1 recurring.charge-captured.v1] (missing)" + done + "\n" +
		"  - delete " + s.stale.ID + " " + urlOld + " [epayments.payment.created.v1] (not declared; under owned prefix " + owned + ")" + done + "\n" +
		"  - delete " + s.lostDup.ID + " " + urlPay + " [epayments.payment.authorized.v1 epayments.payment.captured.v1] (nobody holds its secret)" + done + "\n" +
		"  - delete " + s.other.ID + " " + urlPay + " [epayments.payment.refunded.v1] (a declared URL with other events)" + done + "\n" +
		"  - delete " + s.lost.ID + " " + urlQR + " [user.checked-in.v1] (nobody holds its secret)" + done + "\n" +
		"  = keep " + s.kept.ID + " " + urlPay + " [epayments.payment.authorized.v1 epayments.payment.captured.v1]\n"
}

func TestEnsureDryRunComputesThePlanAndChangesNothing(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	s := newSituation(f, j)
	before := f.hooks(unitMSN)
	s.spec.DryRun = true
	s.spec.Store = nil // not needed for a dry run

	plan, err := f.client(t, unitMSN).Webhooks.Ensure(t.Context(), s.spec)
	require.NoError(t, err)
	assert.Equal(t, s.wantPlan(" (dry run)", ""), plan.String())
	assert.Equal(t, 6, plan.Changes())
	assert.True(t, plan.DryRun)
	assert.Equal(t, []string{"getAllWebhooks"}, j.list(), "one list, nothing else")
	assert.Equal(t, before, f.hooks(unitMSN))
}

// Ensure registers what is missing (and replaces what Vipps removed or
// whose secret was lost), stores each new secret right after its register,
// deletes only after every register and store, never touches the foreign
// registration, and a second run finds nothing to do.
func TestEnsureAppliesThePlanInASafeOrder(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	s := newSituation(f, j)
	c := f.client(t, unitMSN)

	plan, err := c.Webhooks.Ensure(t.Context(), s.spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"getAllWebhooks", "registerWebhook", "store", "registerWebhook", "store",
		"deleteWebhook", "deleteWebhook", "deleteWebhook", "deleteWebhook"}, j.list())
	for _, a := range plan.Actions {
		assert.Equal(t, a.Op != webhooks.OpKeep, a.Done, "%s %s", a.Op, a.URL)
	}
	require.Len(t, j.stored, 2)
	qr, rec := j.stored[0], j.stored[1]
	assert.Equal(t, urlQR, qr.URL)
	assert.Equal(t, unitMSN, qr.MSN, "Store learns the scope")
	assert.Equal(t, urlRec, rec.URL)
	assert.Equal(t, []webhooks.EventName{webhooks.RecurringAgreementStopped, webhooks.RecurringChargeCaptured}, rec.Events)
	for _, r := range j.stored {
		h, ok := f.hook(unitMSN, r.ID)
		require.True(t, ok)
		assert.Equal(t, h.secret, r.Secret.Reveal())
	}
	withoutNewIDs := strings.NewReplacer("register "+qr.ID+" ", "register ", "register "+rec.ID+" ", "register ").Replace(plan.String())
	assert.Equal(t, s.wantPlan("", " done"), withoutNewIDs)

	var left []string
	for _, h := range f.hooks(unitMSN) {
		left = append(left, h.ID)
	}
	assert.ElementsMatch(t, []string{s.kept.ID, s.alien.ID, qr.ID, rec.ID}, left)

	s.spec.SecretsHeld = append(s.spec.SecretsHeld, j.held()...)
	again, err := c.Webhooks.Ensure(t.Context(), s.spec)
	require.NoError(t, err)
	assert.Zero(t, again.Changes(), "converged:\n%s", again)
}

// A failing Store stops Ensure before any delete; the registration whose
// secret was not stored is deleted again.
func TestEnsureStoreFailureDeletesOnlyTheUnstoredRegistration(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	s := newSituation(f, j)
	j.failOn = 2
	plan, err := f.client(t, unitMSN).Webhooks.Ensure(t.Context(), s.spec)
	var se *webhooks.StoreError
	require.ErrorAs(t, err, &se)
	assert.NoError(t, se.Undo)
	assert.Contains(t, err.Error(), "vault unavailable")
	assert.Contains(t, err.Error(), "deleted again")
	assert.Equal(t, []string{"getAllWebhooks", "registerWebhook", "store", "registerWebhook", "store", "deleteWebhook"}, j.list())
	dels := f.requests("deleteWebhook")
	require.Len(t, dels, 1)
	assert.Equal(t, "/webhooks/v1/webhooks/"+j.stored[1].ID, dels[0].Path, "only the unstored registration")
	_, stillThere := f.hook(unitMSN, s.stale.ID)
	assert.True(t, stillThere)
	require.NotNil(t, plan)
	for _, a := range plan.Actions {
		if a.Op == webhooks.OpDelete {
			assert.False(t, a.Done)
		}
	}
}

// At the 25-registration limit the replacement cannot be registered: nothing
// is deleted, and the error says why and what to do.
func TestEnsureAtTheLimitDeletesNothing(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	lost := f.seed(unitMSN, urlQR, webhooks.UserCheckedIn)
	for i := range 24 {
		f.seed(unitMSN, fmt.Sprintf("%s/%d", foreign, i), webhooks.UserCheckedIn)
	}
	_, err := f.client(t, unitMSN).Webhooks.Ensure(t.Context(), webhooks.Spec{
		Webhooks: []webhooks.Desired{{URL: urlQR, Events: []webhooks.EventName{webhooks.UserCheckedIn}}}, Store: j.store})
	sdktest.RequireAPIError(t, err, http.StatusBadRequest, vipps.ProblemWebhookLimitReached, vipps.ErrBadRequest)
	assert.Contains(t, err.Error(), "already holds 25 registrations")
	assert.Contains(t, err.Error(), "nothing was deleted")
	assert.Empty(t, f.requests("deleteWebhook"))
	_, ok := f.hook(unitMSN, lost.ID)
	assert.True(t, ok)
}

// Several scopes: a partner's client declares partner-wide and per-unit
// registrations; Scopes cleans a unit whose declarations were all removed.
// Owned prefixes apply per scope reconciled, and nowhere else.
func TestEnsureAcrossScopes(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	leftover := f.seed("777777", urlOld, webhooks.EPaymentCreated)
	untouched := f.seed("888888", urlOld, webhooks.EPaymentCreated) // a scope Ensure is not told about
	plan, err := f.client(t, "").Webhooks.Ensure(t.Context(), webhooks.Spec{
		Webhooks: []webhooks.Desired{
			{URL: urlPay, Events: paymentEvents},
			{MSN: otherMSN, URL: urlPay, Events: paymentEvents},
		},
		Scopes:        []string{"777777"},
		OwnedPrefixes: []string{owned},
		Store:         j.store,
	})
	require.NoError(t, err)
	assert.Equal(t, []string{partnerWide, otherMSN, "777777"}, scopesOf(plan), "partner-wide first, then by MSN")
	assert.Len(t, f.hooks(partnerWide), 1)
	assert.Len(t, f.hooks(otherMSN), 1)
	assert.Empty(t, f.hooks("777777"))
	assert.Contains(t, plan.String(), "scope 777777:\n  - delete "+leftover.ID+" "+urlOld)
	_, ok := f.hook("888888", untouched.ID)
	assert.True(t, ok)
	require.Len(t, j.stored, 2)
	assert.ElementsMatch(t, []string{"", otherMSN}, []string{j.stored[0].MSN, j.stored[1].MSN})
	assert.Contains(t, plan.String(), "scope partner-wide:\n")
}

func scopesOf(p *webhooks.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		s := a.Scope
		if s == "partner-wide" {
			s = partnerWide
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestEnsureRefusesABadSpecWithoutARequest(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN)
	store := func(context.Context, *webhooks.Registered) error { return nil }
	ok := webhooks.Desired{URL: urlPay, Events: paymentEvents}
	for field, spec := range map[string]webhooks.Spec{
		"Spec.Store":              {Webhooks: []webhooks.Desired{ok}},
		"Spec.Webhooks[1].URL":    {Webhooks: []webhooks.Desired{ok, {URL: "http://hooks.example.com/x", Events: paymentEvents}}, Store: store},
		"Spec.Webhooks[0].Events": {Webhooks: []webhooks.Desired{{URL: urlPay}}, Store: store},
		"Spec.Webhooks[0].MSN":    {Webhooks: []webhooks.Desired{{MSN: "12", URL: urlPay, Events: paymentEvents}}, Store: store},
		"Spec.Webhooks[1]":        {Webhooks: []webhooks.Desired{ok, {MSN: unitMSN, URL: urlPay, Events: []webhooks.EventName{webhooks.EPaymentCaptured, webhooks.EPaymentAuthorized}}}, Store: store},
		"Spec.OwnedPrefixes[0]":   {Webhooks: []webhooks.Desired{ok}, OwnedPrefixes: []string{""}, Store: store},
		"Spec.OwnedPrefixes[1]":   {Webhooks: []webhooks.Desired{ok}, OwnedPrefixes: []string{owned, "hooks.example.com"}, Store: store},
		"Spec.Scopes[0]":          {Scopes: []string{"abc"}, Store: store},
	} {
		_, err := c.Webhooks.Ensure(t.Context(), spec)
		sdktest.RequireInvalid(t, err, field)
	}
	assert.Empty(t, f.requests(""))
}

// Neither a plan nor Ensure's errors show a secret, in any form.
func TestEnsureShowsNoSecret(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	s := newSituation(f, j)
	j.failOn = 1
	plan, err := f.client(t, unitMSN).Webhooks.Ensure(t.Context(), s.spec)
	require.Error(t, err)
	js, jerr := json.Marshal(plan)
	require.NoError(t, jerr)
	var decoded map[string]any
	require.NoError(t, json.Unmarshal(js, &decoded))
	assert.Contains(t, decoded, "actions")
	outs := []string{plan.String(), string(js), fmt.Sprintf("%v %+v %#v", plan, plan, plan), err.Error(), fmt.Sprintf("%+v %#v", err, err)}
	for _, secret := range f.issuedSecrets() {
		for _, out := range outs {
			assert.NotContains(t, out, secret)
		}
	}
}

// Repeating Ensure with the caller's Idempotency-Key after a crash between a
// register and its store replays the register: the same registration comes
// back, is stored, and is not deleted as one whose secret nobody holds.
func TestEnsureRepeatedWithTheSameKeyKeepsTheReplayedRegistration(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1}))
	ctx := portal.WithIdempotencyKey(t.Context(), "deploy-42")
	spec := webhooks.Spec{Webhooks: []webhooks.Desired{
		{URL: urlPay, Events: paymentEvents},
		{URL: urlQR, Events: []webhooks.EventName{webhooks.UserCheckedIn}},
	}}
	// The first run "crashes": the first store fails and its undo is lost.
	var first *webhooks.Registered
	spec.Store = func(_ context.Context, r *webhooks.Registered) error {
		first = r
		f.set(func(f *fakeAPI) { f.failDelete[r.ID] = http.StatusBadGateway })
		return errors.New("crash")
	}
	_, err := c.Webhooks.Ensure(ctx, spec)
	require.Error(t, err)
	require.Len(t, f.hooks(unitMSN), 1)
	f.set(func(f *fakeAPI) { f.failDelete = map[string]int{} })

	j := newJournal(f)
	spec.Store = j.store
	plan, err := c.Webhooks.Ensure(ctx, spec)
	require.NoError(t, err)
	require.Len(t, j.stored, 2)
	assert.Equal(t, first.ID, j.stored[0].ID, "the replayed register")
	assert.Equal(t, first.Secret, j.stored[0].Secret)
	assert.Len(t, f.requests("deleteWebhook"), 1, "only the first run's failed undo: nothing deleted now")
	assert.Len(t, f.hooks(unitMSN), 2)
	assert.Contains(t, plan.String(), "= keep "+first.ID+" "+urlPay)
	assert.Contains(t, plan.String(), "came back in a replayed register")
}
