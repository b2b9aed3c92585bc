package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

const (
	handlerSecret = "whsec-HANDLER-5f4e3d2c1b0a"
	ePaymentBody  = `{"msn":"123456","reference":"order-1001","pspReference":"7686f7788898767977","name":"AUTHORIZED",` +
		`"amount":{"currency":"NOK","value":35000},"timestamp":"2023-08-14T12:48:46.260Z","idempotencyKey":null,"success":true,"addedLater":{"x":1}}`
)

// recorder is a handler function that records the events it gets.
type recorder struct {
	mu     sync.Mutex
	events []webhooks.Event
	err    error
}

func (r *recorder) handle(_ context.Context, ev webhooks.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.err
}

func (r *recorder) got() []webhooks.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhooks.Event(nil), r.events...)
}

func handlerKey() webhooks.Key {
	return webhooks.Key{URL: hookURL, Secrets: []vipps.Secret{handlerSecret}}
}

// notification is a request to the receiver at target, signed for the
// registered hookURL (a proxy in between changed host and path).
func notification(t *testing.T, target, body string, secret vipps.Secret) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	for k, v := range webhooks.Sign(hookURL, secret, []byte(body), time.Now()) {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// An authentic notification reaches the function, typed, and is answered
// 200 with no body. It was verified against Key.URL, not the request's
// host and path, which a proxy rewrote.
func TestHandlerDeliversAnAuthenticEPaymentEvent(t *testing.T) {
	rec := &recorder{}
	h := webhooks.Handler(handlerKey(), rec.handle)
	w := serve(h, notification(t, "http://10.0.0.7:9000/internal/hooks", ePaymentBody, handlerSecret))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Body.String())

	evs := rec.got()
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, webhooks.EPaymentAuthorized, ev.Name)
	assert.JSONEq(t, ePaymentBody, string(ev.Raw), "kept whole, the fields Vipps adds included")
	require.NotNil(t, ev.EPayment)
	assert.Equal(t, webhooks.EPaymentEvent{MSN: "123456", Reference: "order-1001", PSPReference: "7686f7788898767977", Name: "AUTHORIZED",
		Amount: webhooks.Amount{Currency: "NOK", Value: 35000}, Timestamp: time.Date(2023, 8, 14, 12, 48, 46, 260e6, time.UTC), Success: true}, *ev.EPayment)
	assert.Equal(t, "order-1001/AUTHORIZED", ev.EPayment.DedupKey())
}

func TestHandlerKeepsOtherEventsWhole(t *testing.T) {
	for name, c := range map[string]struct {
		body string
		want webhooks.EventName
	}{
		"recurring":     {`{"eventType":"recurring.charge-captured.v1","agreementId":"agr_1","chargeId":"chg_1","amount":49900,"name":{"first":"x"}}`, webhooks.RecurringChargeCaptured},
		"qr check-in":   {`{"msn":"123456","locationId":"shop-1","phoneNumber":"4791234567"}`, ""},
		"a future kind": {`{"eventType":"loyalty.points-earned.v1","points":10}`, "loyalty.points-earned.v1"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			w := serve(webhooks.Handler(handlerKey(), rec.handle), notification(t, hookURL, c.body, handlerSecret))
			assert.Equal(t, http.StatusOK, w.Code)
			evs := rec.got()
			require.Len(t, evs, 1)
			assert.Equal(t, c.want, evs[0].Name)
			assert.Nil(t, evs[0].EPayment)
			assert.Equal(t, c.body, string(evs[0].Raw))
		})
	}
}

func TestHandlerRefusals(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", 2048) + `"}`
	wrongMethod := notification(t, hookURL, ePaymentBody, handlerSecret)
	wrongMethod.Method = http.MethodPut
	unknownLength := notification(t, hookURL, big, handlerSecret)
	unknownLength.ContentLength = -1 // chunked: the bound applies while reading
	signedForTheProxy := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:9000/internal/hooks", strings.NewReader(ePaymentBody))
	for k, v := range webhooks.Sign("http://10.0.0.7:9000/internal/hooks", handlerSecret, []byte(ePaymentBody), time.Now()) {
		signedForTheProxy.Header[k] = v
	}
	unsigned := notification(t, hookURL, ePaymentBody, handlerSecret)
	unsigned.Header.Del("Authorization")
	for name, c := range map[string]struct {
		req    *http.Request
		key    webhooks.Key
		status int
	}{
		"GET":                          {httptest.NewRequest(http.MethodGet, hookURL, nil), handlerKey(), http.StatusMethodNotAllowed},
		"PUT":                          {wrongMethod, handlerKey(), http.StatusMethodNotAllowed},
		"too large, announced":         {notification(t, hookURL, big, handlerSecret), handlerKey(), http.StatusRequestEntityTooLarge},
		"too large, unannounced":       {unknownLength, handlerKey(), http.StatusRequestEntityTooLarge},
		"unsigned":                     {unsigned, handlerKey(), http.StatusUnauthorized},
		"another secret":               {notification(t, hookURL, ePaymentBody, "whsec-OTHER"), handlerKey(), http.StatusUnauthorized},
		"signed for the request's URL": {signedForTheProxy, handlerKey(), http.StatusUnauthorized},
		"not a JSON object":            {notification(t, hookURL, `["AUTHORIZED"]`, handlerSecret), handlerKey(), http.StatusBadRequest},
		"a broken ePayment event":      {notification(t, hookURL, `{"name":"CAPTURED","reference":"order-1","amount":{"value":"lots"}}`, handlerSecret), handlerKey(), http.StatusBadRequest},
		"an unusable key":              {notification(t, hookURL, ePaymentBody, handlerSecret), webhooks.Key{URL: hookURL}, http.StatusInternalServerError},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			w := serve(webhooks.Handler(c.key, rec.handle, webhooks.WithMaxBodyBytes(1024)), c.req)
			assert.Equal(t, c.status, w.Code)
			assert.Empty(t, w.Body.String(), "no body: nothing echoed")
			assert.Empty(t, rec.got(), "the function was not called")
			if c.status == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
		})
	}
}

// The function's failure is a 5xx (Vipps delivers again), with no body
// echoing the error or the request.
func TestHandlerAnswers5xxWhenTheFunctionFails(t *testing.T) {
	rec := &recorder{err: errors.New("database down while storing order-1001")}
	w := serve(webhooks.Handler(handlerKey(), rec.handle), notification(t, hookURL, ePaymentBody, handlerSecret))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Len(t, rec.got(), 1)
}

// The function's context ends at the handler's bound.
func TestHandlerBoundsTheFunction(t *testing.T) {
	var deadline time.Time
	fn := func(ctx context.Context, _ webhooks.Event) error {
		var ok bool
		deadline, ok = ctx.Deadline()
		require.True(t, ok)
		return nil
	}
	start := time.Now()
	w := serve(webhooks.Handler(handlerKey(), fn, webhooks.WithTimeout(3*time.Second)), notification(t, hookURL, ePaymentBody, handlerSecret))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.WithinDuration(t, start.Add(3*time.Second), deadline, time.Second)
}

// Two secrets (a rotation in progress) are accepted alike.
func TestHandlerAcceptsEitherSecretDuringARotation(t *testing.T) {
	rec := &recorder{}
	key := webhooks.Key{URL: hookURL, Secrets: []vipps.Secret{"whsec-OLD", "whsec-NEW"}}
	h := webhooks.Handler(key, rec.handle)
	key.Secrets[0] = "changed after" // the handler keeps its own copy
	for _, s := range []vipps.Secret{"whsec-OLD", "whsec-NEW"} {
		assert.Equal(t, http.StatusOK, serve(h, notification(t, hookURL, ePaymentBody, s)).Code)
	}
	assert.Len(t, rec.got(), 2)
}

// Vipps may deliver to a rotation's new registration before its secret has
// reached the receiver: a Handler serving a Keyring holds such a notification
// until the Keyring changes, then verifies it again.
func TestHandlerWithAKeyringWaitsForTheRotatingSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		ring := webhooks.NewKeyring(webhooks.Key{URL: hookURL, Secrets: []vipps.Secret{"whsec-OLD"}})
		h := webhooks.Handler(ring, rec.handle)
		start := time.Now()
		answered := make(chan int)
		go func() { answered <- serve(h, notification(t, hookURL, ePaymentBody, "whsec-NEW")).Code }()
		synctest.Wait() // the handler is holding the notification
		assert.Empty(t, rec.got())
		time.Sleep(2 * time.Second) // the fake clock: the Store takes two seconds
		ring.AddSecret("whsec-NEW")
		assert.Equal(t, http.StatusOK, <-answered)
		assert.Equal(t, 2*time.Second, time.Since(start))
		assert.Len(t, rec.got(), 1)
		assert.Equal(t, []vipps.Secret{"whsec-OLD", "whsec-NEW"}, ring.CurrentKey().Secrets)
	})
}

func TestHandlerWithAKeyringRefusesOnceTheWaitEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []webhooks.HandlerOption
		wait time.Duration
	}{
		{"default wait", nil, webhooks.DefaultSecretWait},
		{"shorter wait", []webhooks.HandlerOption{webhooks.WithSecretWait(time.Second)}, time.Second},
		{"no wait", []webhooks.HandlerOption{webhooks.WithSecretWait(-1)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ring := webhooks.NewKeyring(webhooks.Key{URL: hookURL, Secrets: []vipps.Secret{"whsec-OLD"}})
				h := webhooks.Handler(ring, (&recorder{}).handle, tc.opts...)
				start := time.Now()
				assert.Equal(t, http.StatusUnauthorized, serve(h, notification(t, hookURL, ePaymentBody, "whsec-FORGED")).Code)
				assert.Equal(t, tc.wait, time.Since(start))
				// A change that adds another secret does not make it authentic.
				done := make(chan int)
				go func() { done <- serve(h, notification(t, hookURL, ePaymentBody, "whsec-FORGED")).Code }()
				synctest.Wait()
				ring.AddSecret("whsec-NEW")
				assert.Equal(t, http.StatusUnauthorized, <-done)
			})
		})
	}
	// A plain Key never changes: nothing to wait for.
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		assert.Equal(t, http.StatusUnauthorized, serve(webhooks.Handler(handlerKey(), (&recorder{}).handle), notification(t, hookURL, ePaymentBody, "whsec-FORGED")).Code)
		assert.Zero(t, time.Since(start))
	})
}

func TestKeyringRemovesASecret(t *testing.T) {
	ring := webhooks.NewKeyring(webhooks.Key{URL: hookURL, Secrets: []vipps.Secret{"whsec-OLD", "whsec-NEW"}})
	changed := ring.Changed()
	ring.RemoveSecret("whsec-OLD")
	<-changed // closed by the change
	assert.Equal(t, []vipps.Secret{"whsec-NEW"}, ring.CurrentKey().Secrets)
	h := webhooks.Handler(ring, (&recorder{}).handle, webhooks.WithSecretWait(-1))
	assert.Equal(t, http.StatusUnauthorized, serve(h, notification(t, hookURL, ePaymentBody, "whsec-OLD")).Code)
	assert.Equal(t, http.StatusOK, serve(h, notification(t, hookURL, ePaymentBody, "whsec-NEW")).Code)
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("ring", "ring", ring)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("ring", "ring", ring)
	printed := fmt.Sprintf("%v %+v %#v %s %q %d %x", ring, ring, ring, ring, ring, ring, ring) +
		fmt.Sprintf("%+v", struct{ R *webhooks.Keyring }{ring}) + fmt.Sprintf("%v %+v %#v", ring.CurrentKey(), ring.CurrentKey(), ring.CurrentKey()) + logged.String()
	assert.NotContains(t, printed, "whsec-NEW")
	assert.Contains(t, printed, "secrets: 1")
}

// Refusals and failures are logged with their reason, and with no secret,
// signature, content hash or body, in text and JSON.
func TestHandlerLogsRefusalsWithoutSecrets(t *testing.T) {
	var text, js bytes.Buffer
	for _, l := range []*slog.Logger{slog.New(slog.NewTextHandler(&text, nil)), slog.New(slog.NewJSONHandler(&js, nil))} {
		rec := &recorder{err: errors.New("storage failed")}
		h := webhooks.Handler(webhooks.Key{URL: hookURL, Secrets: []vipps.Secret{handlerSecret, "whsec-SECOND"}}, rec.handle, webhooks.WithLogger(l))
		bad := notification(t, hookURL, ePaymentBody, "whsec-FORGED")
		serve(h, bad)
		serve(h, notification(t, hookURL, ePaymentBody, handlerSecret))
		serve(h, httptest.NewRequest(http.MethodGet, hookURL, nil))
	}
	signed := webhooks.Sign(hookURL, handlerSecret, []byte(ePaymentBody), time.Now())
	for _, out := range []string{text.String(), js.String()} {
		assert.Contains(t, out, "notification refused")
		assert.Contains(t, out, string(webhooks.ReasonSignature))
		assert.Contains(t, out, "storage failed")
		assert.Contains(t, out, "epayments.payment.authorized.v1")
		assert.Contains(t, out, "the method is not POST")
		for _, secretish := range []string{handlerSecret, "whsec-SECOND", "whsec-FORGED", signed.Get("x-ms-content-sha256"), strings.TrimPrefix(signed.Get("Authorization"), "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="), "order-1001"} {
			assert.NotContains(t, out, secretish)
		}
	}
}

func TestHandlerNeedsAFunction(t *testing.T) {
	assert.PanicsWithValue(t, "webhooks: Handler needs a function to call", func() { webhooks.Handler(handlerKey(), nil) })
}

// End to end over a real connection: the handler behind an httptest server.
func TestHandlerOverHTTP(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(webhooks.Handler(webhooks.Key{URL: "http://receiver.test/hooks", Secrets: []vipps.Secret{handlerSecret}}, rec.handle))
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/hooks", strings.NewReader(ePaymentBody))
	require.NoError(t, err)
	for k, v := range webhooks.Sign("http://receiver.test/hooks", handlerSecret, []byte(ePaymentBody), time.Now()) {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, b)
	assert.Len(t, rec.got(), 1)
	srv.Client().CloseIdleConnections()
}
