package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

const (
	unitMSN  = "123456"
	otherMSN = "654321"
	hookURL  = "https://hooks.example.com/vipps/notify?tenant=acme"
)

var paymentEvents = []webhooks.EventName{webhooks.EPaymentAuthorized, webhooks.EPaymentCaptured}

// Register, List and Delete on the wire: method, path, headers and JSON as
// the contract has them (the checker validates every exchange as well).
func TestRegisterListDeleteOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	c, check := f.checkedClient(t, unitMSN)
	ctx := t.Context()

	reg, err := c.Webhooks.Register(ctx, webhooks.Registration{URL: hookURL, Events: paymentEvents})
	require.NoError(t, err)
	hooks := f.hooks(unitMSN)
	require.Len(t, hooks, 1)
	assert.Equal(t, hooks[0].ID, reg.ID)
	assert.Equal(t, hooks[0].secret, reg.Secret.Reveal(), "the secret of the 201, once")
	assert.Equal(t, hookURL, reg.URL)
	assert.Equal(t, paymentEvents, reg.Events)
	assert.Equal(t, unitMSN, reg.MSN, "the scope: the client's MSN")

	post := f.requests("registerWebhook")
	require.Len(t, post, 1)
	assert.Equal(t, http.MethodPost, post[0].Method)
	assert.Equal(t, "/webhooks/v1/webhooks", post[0].Path)
	assert.Equal(t, unitMSN, post[0].MSN)
	assert.Equal(t, "Bearer "+fakeToken, post[0].Header.Get("Authorization"))
	assert.Equal(t, fakeSubKey, post[0].Header.Get("Ocp-Apim-Subscription-Key"))
	assert.Equal(t, "application/json", post[0].Header.Get("Content-Type"))
	assert.Equal(t, "webhooks-test", post[0].Header.Get("Vipps-System-Name"))
	assert.Regexp(t, `^[a-zA-Z0-9-]{1,50}$`, post[0].Header.Get("Idempotency-Key"), "sent although optional: a lost answer stays resolvable")
	assert.True(t, jsonEqual(t, `{"url":"`+hookURL+`","events":["epayments.payment.authorized.v1","epayments.payment.captured.v1"]}`, post[0].Body), post[0].Body)

	list, err := c.Webhooks.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []webhooks.Webhook{{ID: reg.ID, URL: hookURL, Events: paymentEvents}}, list)
	get := f.requests("getAllWebhooks")
	require.Len(t, get, 1)
	assert.Equal(t, "/webhooks/v1/webhooks", get[0].Path)
	assert.Empty(t, get[0].Body)

	require.NoError(t, c.Webhooks.Delete(ctx, reg.ID))
	del := f.requests("deleteWebhook")
	require.Len(t, del, 1)
	assert.Equal(t, http.MethodDelete, del[0].Method)
	assert.Equal(t, "/webhooks/v1/webhooks/"+reg.ID, del[0].Path)
	assert.Equal(t, unitMSN, del[0].MSN)
	assert.Empty(t, f.hooks(unitMSN))

	list, err = c.Webhooks.List(ctx)
	require.NoError(t, err)
	assert.NotNil(t, list)
	assert.Empty(t, list)
	for _, op := range []string{"registerWebhook", "getAllWebhooks", "deleteWebhook"} {
		assert.Positive(t, check.Seen(op), "%s went through the contract checker", op)
	}
}

// The scope is the context's MSN (portal.WithMSN), else the client's; a
// partner's client without one acts partner-wide. Another scope's id is a 404.
func TestScopes(t *testing.T) {
	f := newFakeAPI(t)
	partner := f.client(t, "")
	ctx := t.Context()

	wide, err := partner.Webhooks.Register(ctx, webhooks.Registration{URL: hookURL, Events: paymentEvents})
	require.NoError(t, err)
	assert.Empty(t, wide.MSN, "partner-wide")
	unit, err := partner.Webhooks.Register(portal.WithMSN(ctx, otherMSN), webhooks.Registration{URL: hookURL, Events: paymentEvents})
	require.NoError(t, err)
	assert.Equal(t, otherMSN, unit.MSN)

	assert.Len(t, f.hooks(partnerWide), 1)
	assert.Len(t, f.hooks(otherMSN), 1)
	regs := f.requests("registerWebhook")
	require.Len(t, regs, 2)
	assert.NotContains(t, regs[0].Header, "Merchant-Serial-Number", "partner-wide: no MSN sent")
	assert.Equal(t, otherMSN, regs[1].MSN)

	list, err := partner.Webhooks.List(portal.WithMSN(ctx, otherMSN))
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, unit.ID, list[0].ID)

	err = partner.Webhooks.Delete(ctx, unit.ID)
	sdktest.RequireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	require.NoError(t, partner.Webhooks.Delete(portal.WithMSN(ctx, otherMSN), unit.ID))

	// A sales unit's own keys reach only their unit.
	f.set(func(f *fakeAPI) { f.unitMSN = unitMSN })
	own := f.client(t, unitMSN)
	_, err = own.Webhooks.List(portal.WithMSN(ctx, otherMSN))
	sdktest.RequireAPIError(t, err, http.StatusForbidden, vipps.ProblemForbidden, vipps.ErrForbidden)
}

// Every refusal names the field and sends nothing, not even a token request.
func TestRegisterRefusesBadInputWithoutARequest(t *testing.T) {
	f := newFakeAPI(t)
	client := f.client(t, unitMSN)
	fifty := make([]webhooks.EventName, 51)
	for i := range fifty {
		fifty[i] = webhooks.EventName(fmt.Sprintf("epayments.payment.e%d.v1", i))
	}
	long := "https://example.com/" + strings.Repeat("a", 2049-len("https://example.com/"))
	ev := paymentEvents
	for name, c := range map[string]struct {
		reg   webhooks.Registration
		field string
	}{
		"no URL":                  {webhooks.Registration{Events: ev}, "Registration.URL"},
		"relative URL":            {webhooks.Registration{URL: "/vipps/notify", Events: ev}, "Registration.URL"},
		"opaque URL":              {webhooks.Registration{URL: "https:example.com", Events: ev}, "Registration.URL"},
		"http":                    {webhooks.Registration{URL: "http://example.com/x", Events: ev}, "Registration.URL"},
		"local http, no opt-in":   {webhooks.Registration{URL: "http://127.0.0.1:8080/x", Events: ev}, "Registration.URL"},
		"remote http with opt-in": {webhooks.Registration{URL: "http://example.com/x", Events: ev, AllowLocalHTTP: true}, "Registration.URL"},
		"ftp":                     {webhooks.Registration{URL: "ftp://example.com/x", Events: ev}, "Registration.URL"},
		"user info":               {webhooks.Registration{URL: "https://user:pw@example.com/x", Events: ev}, "Registration.URL"},
		"empty user info":         {webhooks.Registration{URL: "https://@example.com/x", Events: ev}, "Registration.URL"},
		"fragment":                {webhooks.Registration{URL: "https://example.com/x#top", Events: ev}, "Registration.URL"},
		"empty fragment":          {webhooks.Registration{URL: "https://example.com/x#", Events: ev}, "Registration.URL"},
		"port 8443":               {webhooks.Registration{URL: "https://example.com:8443/x", Events: ev}, "Registration.URL"},
		"empty port":              {webhooks.Registration{URL: "https://example.com:/x", Events: ev}, "Registration.URL"},
		"port 99999":              {webhooks.Registration{URL: "https://example.com:99999/x", Events: ev}, "Registration.URL"},
		"space":                   {webhooks.Registration{URL: "https://example.com/a b", Events: ev}, "Registration.URL"},
		"2049 characters":         {webhooks.Registration{URL: long, Events: ev}, "Registration.URL"},
		"no events":               {webhooks.Registration{URL: hookURL}, "Registration.Events"},
		"51 events":               {webhooks.Registration{URL: hookURL, Events: fifty}, "Registration.Events"},
		"repeated event":          {webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{webhooks.EPaymentCreated, webhooks.EPaymentAborted, webhooks.EPaymentCreated}}, "Registration.Events[2]"},
		"not a name":              {webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{webhooks.EPaymentCreated, "payment captured"}}, "Registration.Events[1]"},
		"no version":              {webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{"epayments.payment.captured"}}, "Registration.Events[0]"},
		"upper case":              {webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{"ePayments.payment.captured.v1"}}, "Registration.Events[0]"},
		"one word":                {webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{"captured.v1"}}, "Registration.Events[0]"},
		"empty word":              {webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{"epayments..captured.v1"}}, "Registration.Events[0]"},
		"empty name":              {webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{""}}, "Registration.Events[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client.Webhooks.Register(t.Context(), c.reg)
			sdktest.RequireInvalid(t, err, c.field)
		})
	}
	assert.Empty(t, f.requests(""), "nothing was sent")
}

// What the contract allows passes: ports 443 and 8080, a query, 2048
// characters, 50 events, and with the opt-in a local http receiver on any port.
func TestRegisterAcceptsWhatTheContractAllows(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN)
	all := webhooks.Catalog()
	for _, reg := range []webhooks.Registration{
		{URL: "https://example.com:443/x", Events: all},
		{URL: "https://example.com:8080/x?a=1&b=2", Events: paymentEvents},
		{URL: "https://example.com/" + strings.Repeat("a", 2048-len("https://example.com/")), Events: paymentEvents},
	} {
		_, err := c.Webhooks.Register(t.Context(), reg)
		require.NoError(t, err, reg.URL)
	}
	assert.Len(t, f.hooks(unitMSN), 3)

	// The fake, like Vipps, refuses http; the SDK lets it through only with the opt-in.
	_, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: "http://localhost:41234/x", Events: paymentEvents, AllowLocalHTTP: true})
	sdktest.RequireAPIError(t, err, http.StatusBadRequest, vipps.ProblemInvalidRequest, vipps.ErrBadRequest)
}

// Names Vipps adds later are well-formed and pass to Vipps, which decides.
func TestRegisterPassesWellFormedUnknownEvents(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN, portal.WithHTTPClient(&http.Client{})) // the contract's enum would flag the new name
	_, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: hookURL, Events: []webhooks.EventName{"epayments.payment.partially-captured.v2"}})
	e := sdktest.RequireAPIError(t, err, http.StatusBadRequest, vipps.ProblemInvalidRequest, vipps.ErrBadRequest)
	assert.Contains(t, e.Detail, "epayments.payment.partially-captured.v2")
	assert.Len(t, f.requests("registerWebhook"), 1)
}

// A register whose answer is lost is an unknown outcome: the error carries
// the Idempotency-Key, and repeating with it answers the same id and secret.
func TestRegisterLostAnswerIsResolvableWithItsKey(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1}))
	f.set(func(f *fakeAPI) { f.dropRegister = 3 }) // net/http may resend once on its own
	reg := webhooks.Registration{URL: hookURL, Events: paymentEvents}
	_, err := c.Webhooks.Register(t.Context(), reg)
	var apiErr *vipps.Error
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, vipps.ErrTransport)
	require.NotEmpty(t, apiErr.IdempotencyKey)
	assert.Contains(t, err.Error(), "outcome unknown: repeat with Idempotency-Key "+apiErr.IdempotencyKey)
	hooks := f.hooks(unitMSN)
	require.Len(t, hooks, 1, "the work was done")

	f.set(func(f *fakeAPI) { f.dropRegister = 0 })
	again, err := c.Webhooks.Register(portal.WithIdempotencyKey(t.Context(), apiErr.IdempotencyKey), reg)
	require.NoError(t, err)
	assert.Equal(t, hooks[0].ID, again.ID)
	assert.Equal(t, hooks[0].secret, again.Secret.Reveal())
	assert.Len(t, f.hooks(unitMSN), 1, "nothing registered twice")
}

// A 201 without a secret is an unknown outcome too: nobody could verify.
func TestRegisterAnswerWithoutSecretIsAnUnknownOutcome(t *testing.T) {
	c, mock := sdktest.NewMock(t)
	mock.RegisterResponder(http.MethodPost, sdktest.BaseURL+"/webhooks/v1/webhooks", func(*http.Request) (*http.Response, error) {
		return sdktest.Answer(http.StatusCreated, "application/json", `{"id":"0b52e5bd-be1e-42a1-acf2-e331f52c68ac"}`), nil
	})
	_, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: hookURL, Events: paymentEvents})
	var apiErr *vipps.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "registerWebhook", apiErr.Operation)
	assert.NotEmpty(t, apiErr.IdempotencyKey)
	assert.Contains(t, err.Error(), "outcome unknown")
}

func TestRegisterLimitReached(t *testing.T) {
	f := newFakeAPI(t)
	for i := range 25 {
		f.seed(unitMSN, fmt.Sprintf("https://example.com/%d", i), webhooks.EPaymentCaptured)
	}
	c := f.client(t, unitMSN)
	_, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: hookURL, Events: paymentEvents})
	e := sdktest.RequireAPIError(t, err, http.StatusBadRequest, vipps.ProblemWebhookLimitReached, vipps.ErrBadRequest)
	assert.Contains(t, e.Detail, string(webhooks.EPaymentCaptured))
}

func TestDeleteRefusesABadIDWithoutARequest(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN)
	for _, id := range []string{"", "abc", "../0b52e5bd-be1e-42a1-acf2-e331f52c68ac", "0b52e5bd-be1e-42a1-acf2-e331f52c68a", "0b52e5bdxbe1e-42a1-acf2-e331f52c68ac", "0b52e5bd-be1e-42a1-acf2-e331f52c68ag"} {
		sdktest.RequireInvalid(t, c.Webhooks.Delete(t.Context(), id), "id")
	}
	assert.Empty(t, f.requests(""))
}

// Management keys get 403 at Vipps; the SDK refuses without a request.
func TestManagementKeysAreRefusedWithoutARequest(t *testing.T) {
	f := newFakeAPI(t)
	c, err := portal.New(portal.WithCredentials(vipps.Credentials{ClientID: "m", ClientSecret: "ms", Flow: vipps.SpecializedAuth}),
		portal.WithBaseURL(f.URL))
	require.NoError(t, err)
	_, err = c.Webhooks.List(t.Context())
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	_, err = c.Webhooks.Register(t.Context(), webhooks.Registration{URL: hookURL, Events: paymentEvents})
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	assert.Empty(t, f.requests(""))
}

// The Webhooks API runs in the test environment too (unlike the Management API).
func TestWorksOnTheTestEnvironment(t *testing.T) {
	m := httpmock.NewMockTransport()
	m.RegisterResponder(http.MethodPost, vipps.TestURL+"/accesstoken/get", httpmock.NewStringResponder(http.StatusOK,
		`{"token_type":"Bearer","expires_in":"3600","access_token":"tok"}`))
	c, err := portal.New(portal.WithCredentials(vipps.Credentials{ClientID: "c", ClientSecret: "s", SubscriptionKey: "k", MSN: unitMSN}),
		portal.WithEnvironment(vipps.Test), portal.WithHTTPClient(&http.Client{Transport: m}))
	require.NoError(t, err)
	m.RegisterResponder(http.MethodGet, vipps.TestURL+"/webhooks/v1/webhooks", func(*http.Request) (*http.Response, error) {
		return sdktest.Answer(http.StatusOK, "application/json", `{"webhooks":[{"id":"0b52e5bd-be1e-42a1-acf2-e331f52c68ac","url":"https://x.example/h","events":["user.checked-in.v1"],"addedLater":true}]}`), nil
	})
	list, err := c.Webhooks.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, webhooks.UserCheckedIn, list[0].Events[0], "unknown fields are ignored")
}

func TestServiceNotBuiltByNewFailsClearly(t *testing.T) {
	var zero webhooks.Service
	for name, s := range map[string]*webhooks.Service{"zero": &zero, "nil": nil} {
		calls := map[string]func(context.Context) error{
			"Register": func(ctx context.Context) error {
				_, err := s.Register(ctx, webhooks.Registration{URL: hookURL, Events: paymentEvents})
				return err
			},
			"List":   func(ctx context.Context) error { _, err := s.List(ctx); return err },
			"Delete": func(ctx context.Context) error { return s.Delete(ctx, "0b52e5bd-be1e-42a1-acf2-e331f52c68ac") },
			"Ensure": func(ctx context.Context) error {
				_, err := s.Ensure(ctx, webhooks.Spec{Webhooks: []webhooks.Desired{{URL: hookURL, Events: paymentEvents}},
					Store: func(context.Context, *webhooks.Registered) error { return nil }})
				return err
			},
			"RotateSecret": func(ctx context.Context) error {
				_, err := s.RotateSecret(ctx, "0b52e5bd-be1e-42a1-acf2-e331f52c68ac",
					webhooks.RotateOptions{Store: func(context.Context, *webhooks.Registered) error { return nil }})
				return err
			},
		}
		for op, call := range calls {
			t.Run(name+" "+op, func(t *testing.T) { sdktest.RequireNotBuilt(t, call) })
		}
	}
}

// A Registered prints and encodes without its secret; errors hold none.
func TestRegisteredNeverShowsItsSecret(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, unitMSN)
	reg, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: hookURL, Events: paymentEvents})
	require.NoError(t, err)
	secret := reg.Secret.Reveal()
	require.True(t, strings.HasPrefix(secret, fakeSecretPfx))
	js, err := json.Marshal(reg)
	require.NoError(t, err)
	key := webhooks.Key{URL: reg.URL, Secrets: []vipps.Secret{reg.Secret}}
	keyJS, err := json.Marshal(key)
	require.NoError(t, err)
	var text, logJS bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("registered", "registration", reg, "key", key, "secret", reg.Secret)
	slog.New(slog.NewJSONHandler(&logJS, nil)).Info("registered", "registration", reg, "key", key, "secret", reg.Secret)
	for _, out := range []string{fmt.Sprint(reg), fmt.Sprintf("%v %+v %#v %s %q %x", reg, *reg, *reg, reg.Secret, reg.Secret, reg.Secret), string(js),
		fmt.Sprintf("%v %+v %#v", key, key, key), string(keyJS), text.String(), logJS.String()} {
		assert.NotContains(t, out, secret)
		assert.Contains(t, out, vipps.Redacted)
	}
}
