package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// RotateSecret registers a twin, stores its secret, then deletes the old
// registration; a receiver holding both secrets accepts notifications signed
// with either throughout.
func TestRotateSecretRegistersStoresThenDeletes(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	c := f.client(t, unitMSN)

	key := webhooks.Key{URL: urlPay, Secrets: []vipps.Secret{vipps.Secret(old.secret)}}
	body := []byte(`{"reference":"order-1"}`)
	receiverAccepts := func(secret string) bool {
		return webhooks.Verify(webhooks.Sign(urlPay, vipps.Secret(secret), body, time.Now()), body, key) == nil
	}
	store := func(ctx context.Context, r *webhooks.Registered) error {
		require.True(t, receiverAccepts(old.secret), "the old secret still works")
		key.Secrets = append(key.Secrets, r.Secret) // the receiver now verifies with both
		_, stillThere := f.hook(unitMSN, old.ID)
		assert.True(t, stillThere, "the old registration is deleted only after the store")
		return j.store(ctx, r)
	}
	twin, err := c.Webhooks.RotateSecret(t.Context(), old.ID, webhooks.RotateOptions{Store: store, Overlap: -1})
	require.NoError(t, err)
	assert.Equal(t, []string{"getAllWebhooks", "registerWebhook", "store", "deleteWebhook"}, j.list())
	assert.Equal(t, "/webhooks/v1/webhooks/"+old.ID, f.requests("deleteWebhook")[0].Path)
	assert.Equal(t, urlPay, twin.URL)
	assert.Equal(t, paymentEvents, twin.Events)
	assert.Equal(t, unitMSN, twin.MSN)
	hooks := f.hooks(unitMSN)
	require.Len(t, hooks, 1)
	assert.Equal(t, twin.ID, hooks[0].ID)
	assert.Equal(t, hooks[0].secret, twin.Secret.Reveal())
	assert.True(t, receiverAccepts(old.secret))
	assert.True(t, receiverAccepts(twin.Secret.Reveal()))
}

// The old registration outlives the store by the overlap, so notifications
// queued for it alone are delivered: a context that ends during the overlap
// stops the rotation with both registrations live and nothing deleted.
func TestRotateSecretKeepsBothRegistrationsThroughTheOverlap(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	c := f.client(t, unitMSN)
	ctx, cancel := context.WithCancelCause(t.Context())
	stop := errors.New("the operator stopped the rotation")
	twin, err := c.Webhooks.RotateSecret(ctx, old.ID, webhooks.RotateOptions{Overlap: time.Hour,
		Store: func(ctx context.Context, r *webhooks.Registered) error {
			defer cancel(stop) // ends the overlap's wait as soon as it begins
			return j.store(ctx, r)
		}})
	require.ErrorIs(t, err, stop)
	require.NotNil(t, twin)
	assert.Contains(t, err.Error(), "still live")
	assert.Equal(t, []string{"getAllWebhooks", "registerWebhook", "store"}, j.list(), "no delete")
	assert.Len(t, f.hooks(unitMSN), 2)
}

// A failing Store leaves everything as it was: the twin is deleted again.
func TestRotateSecretStoreFailureDeletesTheTwin(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	j.failOn = 1
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	_, err := f.client(t, unitMSN).Webhooks.RotateSecret(t.Context(), old.ID, webhooks.RotateOptions{Store: j.store, Overlap: -1})
	var se *webhooks.StoreError
	require.ErrorAs(t, err, &se)
	require.NoError(t, se.Undo)
	assert.Contains(t, err.Error(), "vault unavailable")
	assert.Equal(t, []string{"getAllWebhooks", "registerWebhook", "store", "deleteWebhook"}, j.list())
	assert.Equal(t, "/webhooks/v1/webhooks/"+se.Registered.ID, f.requests("deleteWebhook")[0].Path, "the twin, not the old one")
	hooks := f.hooks(unitMSN)
	require.Len(t, hooks, 1)
	assert.Equal(t, old.ID, hooks[0].ID)
}

// When deleting the twin fails too, the error says it still exists.
func TestRotateSecretStoreAndUndoFailing(t *testing.T) {
	f := newFakeAPI(t)
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	store := func(_ context.Context, r *webhooks.Registered) error {
		f.set(func(f *fakeAPI) { f.failDelete[r.ID] = http.StatusInternalServerError })
		return errors.New("vault unavailable")
	}
	_, err := f.client(t, unitMSN, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1})).Webhooks.RotateSecret(t.Context(), old.ID, webhooks.RotateOptions{Store: store, Overlap: -1})
	var se *webhooks.StoreError
	require.ErrorAs(t, err, &se)
	require.Error(t, se.Undo)
	assert.ErrorIs(t, err, vipps.ErrServer, "the undo's error is inside")
	assert.Contains(t, err.Error(), "still exists with a secret nobody holds")
	assert.Len(t, f.hooks(unitMSN), 2)
}

// At 25 registrations of an event in the scope, the twin cannot be
// registered: nothing changes, Store is not called, and the error says
// what happened and what to do.
func TestRotateSecretAtTheLimitChangesNothing(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	for i := range 24 {
		f.seed(unitMSN, fmt.Sprintf("%s/%d", foreign, i), webhooks.EPaymentCaptured)
	}
	_, err := f.client(t, unitMSN).Webhooks.RotateSecret(t.Context(), old.ID, webhooks.RotateOptions{Store: j.store, Overlap: -1})
	sdktest.RequireAPIError(t, err, http.StatusBadRequest, vipps.ProblemWebhookLimitReached, vipps.ErrBadRequest)
	assert.Contains(t, err.Error(), "nothing changed")
	assert.Contains(t, err.Error(), "Delete another registration of these events")
	assert.Equal(t, []string{"getAllWebhooks", "registerWebhook"}, j.list())
	assert.Len(t, f.hooks(unitMSN), 25)
}

// The old registration's delete failing leaves both live: the twin comes
// back with the error.
func TestRotateSecretOldDeleteFailing(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	f.set(func(f *fakeAPI) { f.failDelete[old.ID] = http.StatusInternalServerError })
	twin, err := f.client(t, unitMSN, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1})).Webhooks.RotateSecret(t.Context(), old.ID, webhooks.RotateOptions{Store: j.store, Overlap: -1})
	require.Error(t, err)
	require.NotNil(t, twin)
	assert.Contains(t, err.Error(), "deleting the old one "+old.ID+" failed")
	assert.Len(t, f.hooks(unitMSN), 2)
}

func TestRotateSecretOfAnUnknownRegistration(t *testing.T) {
	f := newFakeAPI(t)
	j := newJournal(f)
	f.seed(otherMSN, urlPay, paymentEvents...)
	_, err := f.client(t, unitMSN).Webhooks.RotateSecret(t.Context(), "0b52e5bd-be1e-42a1-acf2-e331f52c68ac", webhooks.RotateOptions{Store: j.store, Overlap: -1})
	require.ErrorIs(t, err, vipps.ErrNotFound)
	assert.Contains(t, err.Error(), "scope "+unitMSN)
	assert.Equal(t, []string{"getAllWebhooks"}, j.list())
}

func TestRotateSecretRefusesBadInputWithoutARequest(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN)
	_, err := c.Webhooks.RotateSecret(t.Context(), "nope", webhooks.RotateOptions{Store: func(context.Context, *webhooks.Registered) error { return nil }, Overlap: -1})
	sdktest.RequireInvalid(t, err, "id")
	_, err = c.Webhooks.RotateSecret(t.Context(), "0b52e5bd-be1e-42a1-acf2-e331f52c68ac", webhooks.RotateOptions{})
	sdktest.RequireInvalid(t, err, "RotateOptions.Store")
	assert.Empty(t, f.requests(""))
}

// With the caller's Idempotency-Key, a repeated rotation after a lost
// answer registers no second twin.
func TestRotateSecretRepeatedWithTheSameKeyRegistersOneTwin(t *testing.T) {
	f := newFakeAPI(t)
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	ctx := portal.WithIdempotencyKey(t.Context(), "rotate-2026-01")
	failing := func(context.Context, *webhooks.Registered) error { return errors.New("crash") }
	f.set(func(f *fakeAPI) { f.failDelete = map[string]int{} })
	c := f.client(t, unitMSN)
	// The first attempt's store fails after the register: pretend the undo was lost too.
	var first *webhooks.Registered
	_, err := c.Webhooks.RotateSecret(ctx, old.ID, webhooks.RotateOptions{Store: func(ctx context.Context, r *webhooks.Registered) error {
		first = r
		f.set(func(f *fakeAPI) { f.failDelete[r.ID] = http.StatusBadGateway })
		return failing(ctx, r)
	}})
	require.Error(t, err)
	f.set(func(f *fakeAPI) { f.failDelete = map[string]int{} })
	twin, err := c.Webhooks.RotateSecret(ctx, old.ID, webhooks.RotateOptions{Store: func(context.Context, *webhooks.Registered) error { return nil }, Overlap: -1})
	require.NoError(t, err)
	assert.Equal(t, first.ID, twin.ID, "the replayed register: the same twin")
	assert.Equal(t, first.Secret, twin.Secret)
	require.Len(t, f.hooks(unitMSN), 1)
	assert.Equal(t, twin.ID, f.hooks(unitMSN)[0].ID)
}

// A key reused for a second rotation would replay the first one's register:
// RotateSecret refuses, and nothing changes.
func TestRotateSecretRefusesAKeyOfAnEarlierRotation(t *testing.T) {
	f := newFakeAPI(t)
	old := f.seed(unitMSN, urlPay, paymentEvents...)
	c := f.client(t, unitMSN)
	ctx := portal.WithIdempotencyKey(t.Context(), "rotate-once")
	store := func(context.Context, *webhooks.Registered) error { return nil }
	twin, err := c.Webhooks.RotateSecret(ctx, old.ID, webhooks.RotateOptions{Store: store, Overlap: -1})
	require.NoError(t, err)

	_, err = c.Webhooks.RotateSecret(ctx, twin.ID, webhooks.RotateOptions{Store: store, Overlap: -1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "use a new key for each rotation")
	hooks := f.hooks(unitMSN)
	require.Len(t, hooks, 1)
	assert.Equal(t, twin.ID, hooks[0].ID)
}
