package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// diagnosed runs Diagnose and checks what every diagnosis must be: no error,
// a check of every name, and no secret of creds in any printing of it.
func diagnosed(t *testing.T, ctx context.Context, c *portal.Client, secrets ...string) *portal.Diagnosis {
	t.Helper()
	d, err := c.Diagnose(ctx)
	require.NoError(t, err)
	require.NotNil(t, d)
	for _, name := range []portal.CheckName{portal.SettingsCheck, portal.TokenCheck, portal.SubscriptionKeyCheck,
		portal.MSNCheck, portal.ManagementCheck, portal.PortalCheck, portal.WebhooksCheck} {
		_, ok := d.Check(name)
		assert.True(t, ok, "the diagnosis has a %s check:\n%s", name, d)
	}
	b, err := json.Marshal(d)
	require.NoError(t, err)
	for _, out := range []string{d.String(), string(b), fmt.Sprintf("%+v", d), fmt.Sprintf("%#v", d), fmt.Sprint(d.Err())} {
		for _, s := range secrets {
			require.NotEmpty(t, s)
			assert.NotContains(t, out, s, "a diagnosis shows a secret")
		}
	}
	return d
}

// status is the status of the check named name.
func status(t *testing.T, d *portal.Diagnosis, name portal.CheckName) portal.Check {
	t.Helper()
	c, ok := d.Check(name)
	require.True(t, ok, "no %s check in\n%s", name, d)
	return c
}

func TestDiagnoseGoodKeysOfEachKind(t *testing.T) {
	s := sdktest.NewSim(t)
	admin := s.UserCredentials(portaltest.AdminUserID)
	admin.MSN = "123456"
	partner := s.PartnerCredentials("p1")
	unit := s.UnitCredentials("123456")
	mgmt := s.ManagementCredentials("p1")
	pc, err := s.Client(partner, sdktest.FastRetry())
	require.NoError(t, err)
	_, err = pc.Webhooks.Register(t.Context(), webhooks.Registration{URL: "https://hooks.example.com/vipps", Events: []webhooks.EventName{webhooks.EPaymentCaptured}})
	require.NoError(t, err)
	cases := []struct {
		name    string
		client  func() (*portal.Client, error)
		secrets []string
		kind    portal.KeyKind
		want    map[portal.CheckName]portal.CheckStatus
		says    []string
	}{
		{"unit", func() (*portal.Client, error) { return s.Client(unit, sdktest.FastRetry()) },
			[]string{string(unit.ClientSecret), string(unit.SubscriptionKey)}, portal.UnitKeys,
			map[portal.CheckName]portal.CheckStatus{portal.SubscriptionKeyCheck: portal.CheckOK, portal.MSNCheck: portal.CheckOK,
				portal.ManagementCheck: portal.CheckOK, portal.PortalCheck: portal.CheckNotExpected, portal.WebhooksCheck: portal.CheckOK},
			[]string{"123456 (ACME Web) answers", "reaches 2 sales unit(s)", "price packages and product orders are for partners", "not-a-portal-user",
				"the Webhooks API answers: 0 registration(s) of sales unit 123456"}},
		{"administrator", func() (*portal.Client, error) { return s.Client(admin, sdktest.FastRetry()) },
			[]string{string(admin.ClientSecret), string(admin.SubscriptionKey)}, portal.UserKeys,
			map[portal.CheckName]portal.CheckStatus{portal.SubscriptionKeyCheck: portal.CheckOK, portal.MSNCheck: portal.CheckOK,
				portal.ManagementCheck: portal.CheckOK, portal.PortalCheck: portal.CheckOK, portal.WebhooksCheck: portal.CheckNotExpected},
			[]string{"Ada Admin (ADMINISTRATOR) of ACME Fantastic Fitness", "the keys of every unit of its merchant",
				"a portal user's API client, are refused by the Webhooks API (403)"}},
		{"partner", func() (*portal.Client, error) { return s.Client(partner, sdktest.FastRetry()) },
			[]string{string(partner.ClientSecret), string(partner.SubscriptionKey)}, portal.PartnerKeys,
			map[portal.CheckName]portal.CheckStatus{portal.SubscriptionKeyCheck: portal.CheckOK, portal.MSNCheck: portal.CheckSkipped,
				portal.ManagementCheck: portal.CheckOK, portal.PortalCheck: portal.CheckNotExpected, portal.WebhooksCheck: portal.CheckOK},
			[]string{"as a partner 1 price package(s) and product orders", "123456 ACME Web, 654321 Other Shop",
				"the Webhooks API answers: 1 registration(s) partner-wide"}},
		{"management", func() (*portal.Client, error) { return s.ManagementClient("p1", sdktest.FastRetry()) },
			[]string{string(mgmt.ClientSecret)}, portal.ManagementKeys,
			map[portal.CheckName]portal.CheckStatus{portal.SubscriptionKeyCheck: portal.CheckNotExpected, portal.MSNCheck: portal.CheckSkipped,
				portal.ManagementCheck: portal.CheckOK, portal.PortalCheck: portal.CheckNotExpected, portal.WebhooksCheck: portal.CheckNotExpected},
			[]string{"/miami/v1/token", "management keys reach the Management API only",
				"a partner's management keys, are refused by the Webhooks API"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.client()
			require.NoError(t, err)
			d := diagnosed(t, t.Context(), c, tc.secrets...)
			assert.True(t, d.OK(), "%s", d)
			assert.NoError(t, d.Err())
			assert.Equal(t, tc.kind, d.KeyKind, "%s", d)
			assert.Equal(t, "custom", d.Environment)
			assert.Equal(t, s.URL, d.BaseURL)
			assert.Equal(t, s.URL, d.PortalURL)
			assert.Equal(t, portal.CheckOK, status(t, d, portal.SettingsCheck).Status)
			assert.Equal(t, portal.CheckOK, status(t, d, portal.TokenCheck).Status)
			for name, want := range tc.want {
				assert.Equal(t, want, status(t, d, name).Status, "%s check of %s:\n%s", name, tc.name, d)
			}
			for _, c := range d.Checks {
				assert.Empty(t, c.Setting, "nothing to fix in %+v", c)
			}
			for _, s := range tc.says {
				assert.Contains(t, d.String(), s)
			}
			assert.Contains(t, d.String(), "These keys work for everything "+tc.kind.Description()+" can reach.")
		})
	}
}

// A broken setting is named by its VIPPS_* variable, and the diagnosis fails.
func TestDiagnoseNamesTheSettingToFix(t *testing.T) {
	s := sdktest.NewSim(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedURL := "http://" + closed.Addr().String()
	require.NoError(t, closed.Close())

	// Each case builds its client from the simulator's credentials (with
	// opts) and names the secrets that must not show.
	type build func(opts ...portal.Option) (*portal.Client, []string, error)
	unitWith := func(change func(id, secret, key, msn *string)) build {
		return func(opts ...portal.Option) (*portal.Client, []string, error) {
			c := s.UnitCredentials("123456")
			id, secret, key, msn := c.ClientID, string(c.ClientSecret), string(c.SubscriptionKey), c.MSN
			change(&id, &secret, &key, &msn)
			flow := vipps.StandardAuth
			if key == "" {
				flow = vipps.SpecializedAuth
			}
			cl, err := portal.New(append([]portal.Option{portal.WithBaseURL(s.URL), portal.WithPortalURL(s.URL),
				portal.WithCredentials(vipps.Credentials{ClientID: id, ClientSecret: vipps.Secret(secret),
					SubscriptionKey: vipps.Secret(key), MSN: msn, Flow: flow})}, opts...)...)
			return cl, []string{string(c.ClientSecret), string(c.SubscriptionKey)}, err
		}
	}
	cases := []struct {
		name    string
		client  build
		opts    []portal.Option
		check   portal.CheckName
		setting string
		says    string
		skipped []portal.CheckName
	}{
		{name: "wrong client secret", client: unitWith(func(_, secret, _, _ *string) { *secret = "not-the-secret" }),
			check: portal.TokenCheck, setting: portal.EnvClientSecret, says: "401 invalid_client",
			skipped: []portal.CheckName{portal.MSNCheck, portal.ManagementCheck, portal.PortalCheck, portal.WebhooksCheck}},
		{name: "secret with a trailing space", client: unitWith(func(_, secret, _, _ *string) { *secret += " " }),
			check: portal.SettingsCheck, setting: portal.EnvClientSecret, says: "VIPPS_CLIENT_SECRET ends with white space"},
		{name: "subscription key in quotes", client: unitWith(func(_, _, key, _ *string) { *key = `"` + *key + `"` }),
			check: portal.SettingsCheck, setting: portal.EnvSubscriptionKey, says: "is wrapped in quotes"},
		{name: "subscription key with a typo", client: unitWith(func(_, _, key, _ *string) { *key = "0123456789abcdef0123456789abcdef" }),
			check: portal.SubscriptionKeyCheck, setting: portal.EnvSubscriptionKey, says: "the gateway at " + s.URL + " refused VIPPS_SUBSCRIPTION_KEY",
			skipped: []portal.CheckName{portal.TokenCheck, portal.MSNCheck}},
		{name: "a test unit's keys against production", client: func(opts ...portal.Option) (*portal.Client, []string, error) {
			c := s.UnitCredentials("223344")
			cl, err := s.Client(c, opts...)
			return cl, []string{string(c.ClientSecret), string(c.SubscriptionKey)}, err
		}, check: portal.MSNCheck, setting: portal.EnvEnvironment, says: "these are test keys: 223344 is a test sales unit"},
		{name: "unit keys with an MSN of another merchant", client: unitWith(func(_, _, _, msn *string) { *msn = "654321" }),
			check: portal.MSNCheck, setting: portal.EnvMSN, says: "654321 is not a sales unit these keys reach (404"},
		{name: "unit keys told to use the specialized flow", client: unitWith(func(_, _, key, _ *string) { *key = "" }),
			check: portal.TokenCheck, setting: portal.EnvClientSecret, says: "unset VIPPS_TOKEN_FLOW"},
		{name: "an unreachable base URL", client: unitWith(func(_, _, _, _ *string) {}),
			opts: []portal.Option{portal.WithBaseURL(closedURL)}, check: portal.TokenCheck, setting: portal.EnvBaseURL,
			says: "no answer from " + closedURL, skipped: []portal.CheckName{portal.SubscriptionKeyCheck, portal.MSNCheck, portal.WebhooksCheck}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, secrets, err := tc.client(append([]portal.Option{sdktest.FastRetry()}, tc.opts...)...)
			require.NoError(t, err)
			d := diagnosed(t, t.Context(), c, secrets...)
			assert.False(t, d.OK(), "%s", d)
			got := status(t, d, tc.check)
			assert.Equal(t, portal.CheckFailed, got.Status, "%s", d)
			assert.Equal(t, tc.setting, got.Setting, "%s", d)
			assert.Contains(t, got.Detail, tc.says)
			assert.Contains(t, d.String(), "(fix "+tc.setting+")")
			require.Error(t, d.Err())
			assert.Contains(t, d.Err().Error(), tc.setting)
			for _, name := range tc.skipped {
				assert.Equal(t, portal.CheckSkipped, status(t, d, name).Status, "%s is skipped:\n%s", name, d)
			}
		})
	}
}

// hostRouter sends requests for Vipps' hosts to local servers, so a client of
// a Vipps environment can be diagnosed without the network.
type hostRouter struct {
	to map[string]string // host → local base URL
	tr *http.Transport
}

func (r hostRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	to, ok := r.to[req.URL.Host]
	if !ok {
		return nil, fmt.Errorf("no route to %s", req.URL.Host)
	}
	u, err := url.Parse(to)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
	return r.tr.RoundTrip(out)
}

// vippsClient is a client of environment env whose two Vipps hosts are served
// by the simulator (where the keys work) and by a token endpoint that refuses
// every key set with 401 invalid_client, as Vipps does keys of the other environment.
func vippsClient(t *testing.T, s *portaltest.Server, env vipps.Environment, id, secret, key, msn string) *portal.Client {
	t.Helper()
	refuses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"Bad client credentials"}`))
	}))
	t.Cleanup(refuses.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	routes := map[string]string{"api.vipps.no": refuses.URL, "apitest.vipps.no": s.URL}
	if env == vipps.Test {
		routes = map[string]string{"api.vipps.no": s.URL, "apitest.vipps.no": refuses.URL}
	}
	c, err := portal.New(portal.WithEnvironment(env), sdktest.FastRetry(),
		portal.WithHTTPClient(&http.Client{Transport: hostRouter{to: routes, tr: tr}}),
		portal.WithCredentials(vipps.Credentials{ClientID: id, ClientSecret: vipps.Secret(secret), SubscriptionKey: vipps.Secret(key), MSN: msn}))
	require.NoError(t, err)
	return c
}

// Keys of one Vipps environment used in the other: refused with 401
// invalid_client, and taken by the other environment's token endpoint.
func TestDiagnoseKeysOfTheOtherVippsEnvironment(t *testing.T) {
	s := sdktest.NewSim(t)
	creds := s.UnitCredentials("123456")
	for _, tc := range []struct {
		env  vipps.Environment
		says string
	}{
		{vipps.Production, "these are test keys: https://api.vipps.no/accesstoken/get refuses them (401 invalid_client) and https://apitest.vipps.no/accesstoken/get issues them a token. Set VIPPS_ENVIRONMENT=test"},
		{vipps.Test, "these are production keys: https://apitest.vipps.no/accesstoken/get refuses them (401 invalid_client) and https://api.vipps.no/accesstoken/get issues them a token. Set VIPPS_ENVIRONMENT=production"},
	} {
		t.Run(string(tc.env), func(t *testing.T) {
			secret, key := string(creds.ClientSecret), string(creds.SubscriptionKey)
			d := diagnosed(t, t.Context(), vippsClient(t, s, tc.env, creds.ClientID, secret, key, creds.MSN), secret, key)
			assert.False(t, d.OK())
			assert.Equal(t, string(tc.env), d.Environment)
			assert.Equal(t, tc.env.BaseURL(), d.BaseURL)
			tok := status(t, d, portal.TokenCheck)
			assert.Equal(t, portal.CheckFailed, tok.Status)
			assert.Equal(t, portal.EnvEnvironment, tok.Setting)
			assert.Contains(t, tok.Detail, tc.says)
			assert.Equal(t, portal.CheckSkipped, status(t, d, portal.SubscriptionKeyCheck).Status)
		})
	}
}

// Good keys in Vipps' test environment: it has no Management API, which is
// not a failure.
func TestDiagnoseTestEnvironmentHasNoManagementAPI(t *testing.T) {
	s := sdktest.NewSim(t)
	creds := s.UnitCredentials("123456")
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := portal.New(portal.WithEnvironment(vipps.Test), sdktest.FastRetry(),
		portal.WithHTTPClient(&http.Client{Transport: hostRouter{to: map[string]string{"apitest.vipps.no": s.URL}, tr: tr}}),
		portal.WithCredentials(vipps.Credentials{ClientID: creds.ClientID, ClientSecret: vipps.Secret(creds.ClientSecret),
			SubscriptionKey: vipps.Secret(creds.SubscriptionKey), MSN: creds.MSN}))
	require.NoError(t, err)
	d := diagnosed(t, t.Context(), c, string(creds.ClientSecret), string(creds.SubscriptionKey))
	assert.True(t, d.OK(), "%s", d)
	assert.Equal(t, portal.CheckSkipped, status(t, d, portal.ManagementCheck).Status)
	assert.Equal(t, portal.CheckSkipped, status(t, d, portal.MSNCheck).Status)
	assert.Equal(t, portal.CheckSkipped, status(t, d, portal.PortalCheck).Status)
	assert.Equal(t, portal.UnknownKeys, d.KeyKind)
}

// The MSN of the call's context (WithMSN) is the one checked, and named WithMSN.
func TestDiagnoseChecksTheContextsMSN(t *testing.T) {
	s := sdktest.NewSim(t)
	c, err := s.Client(s.PartnerCredentials("p1"), sdktest.FastRetry())
	require.NoError(t, err)

	d := diagnosed(t, portal.WithMSN(t.Context(), "654321"), c)
	assert.True(t, d.OK(), "%s", d)
	assert.Equal(t, "654321", d.MSN)
	assert.Equal(t, portal.CheckOK, status(t, d, portal.MSNCheck).Status)

	d = diagnosed(t, portal.WithMSN(t.Context(), "123457"), c)
	msn := status(t, d, portal.MSNCheck)
	assert.Equal(t, portal.CheckFailed, msn.Status)
	assert.Equal(t, "WithMSN", msn.Setting)
	assert.Contains(t, msn.Detail, "a partner reaches the units connected to it")

	_, err = c.Diagnose(portal.WithMSN(t.Context(), "12"))
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithMSN", ve.Field)
}

// A portal user's MSN may be a test unit's: the portal serves it.
func TestDiagnoseUserWithATestUnitsMSN(t *testing.T) {
	s := sdktest.NewSim(t)
	creds := s.UserCredentials(portaltest.AdminUserID)
	creds.MSN = "223344"
	c, err := s.Client(creds, sdktest.FastRetry())
	require.NoError(t, err)
	d := diagnosed(t, t.Context(), c)
	assert.True(t, d.OK(), "%s", d)
	assert.Contains(t, status(t, d, portal.MSNCheck).Detail, "223344 (ACME Test) is a test sales unit, served by the portal")
}

// Without a portal URL the kind is told only as far as the Management API can.
func TestDiagnoseWithoutPortalURL(t *testing.T) {
	s := sdktest.NewSim(t)
	creds := s.UnitCredentials("123456")
	c, err := portal.New(portal.WithBaseURL(s.URL), sdktest.FastRetry(),
		portal.WithCredentials(vipps.Credentials{ClientID: creds.ClientID, ClientSecret: vipps.Secret(creds.ClientSecret),
			SubscriptionKey: vipps.Secret(creds.SubscriptionKey), MSN: creds.MSN}))
	require.NoError(t, err)
	d := diagnosed(t, t.Context(), c)
	assert.True(t, d.OK(), "%s", d)
	assert.Equal(t, portal.UnknownKeys, d.KeyKind)
	assert.Contains(t, d.KeyKindReason, "set VIPPS_PORTAL_URL to tell which")
	assert.Equal(t, portal.CheckSkipped, status(t, d, portal.PortalCheck).Status)
}

func TestDiagnoseRefusesWhatCannotRun(t *testing.T) {
	s := sdktest.NewSim(t)
	c := s.AdminClient()
	var nilCtx context.Context // nil on purpose
	_, err := c.Diagnose(nilCtx)
	assert.Error(t, err)

	var zero *portal.Client
	_, err = zero.Diagnose(t.Context())
	assert.ErrorIs(t, err, vipps.ErrUnsupported)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d, err := c.Diagnose(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotNil(t, d, "what was found so far")
}

func TestDiagnosisJSONHasStableNames(t *testing.T) {
	s := sdktest.NewSim(t)
	d := diagnosed(t, t.Context(), s.AdminClient())
	b, err := json.Marshal(d)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, true, got["ok"])
	assert.Equal(t, "custom", got["environment"])
	assert.Equal(t, s.URL, got["baseUrl"])
	assert.Equal(t, s.URL, got["portalUrl"])
	assert.Equal(t, "standard", got["flow"])
	assert.Equal(t, "user", got["keyKind"])
	assert.Equal(t, "ADMINISTRATOR", got["role"])
	assert.NotEmpty(t, got["keyKindReason"])
	checks, ok := got["checks"].([]any)
	require.True(t, ok)
	require.NotEmpty(t, checks)
	first, ok := checks[0].(map[string]any)
	require.True(t, ok)
	assert.Equal(t, "settings", first["name"])
	assert.Equal(t, "ok", first["status"])
	assert.NotEmpty(t, first["detail"])
	assert.NotContains(t, first, "setting", "an empty setting is left out")
}

// A service checks its keys at start-up and stops with the setting to fix.
func ExampleClient_Diagnose() {
	sim := portaltest.NewServer() // stands in for Vipps here
	defer sim.Close()
	c := sim.AdminClient()
	defer c.Close()

	d, err := c.Diagnose(context.Background())
	if err == nil {
		err = d.Err() // names each failed check and its VIPPS_* setting
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.KeyKind.Description(), d.Role)
	// Output: a portal user's API client ADMINISTRATOR
}

// The Webhooks API's answers the kinds of keys do not expect: a server that
// serves none (skipped), and an MSN the keys do not reach there (the setting
// that gave the MSN).
func TestDiagnoseWebhooksAPIRefusals(t *testing.T) {
	s := sdktest.NewSim(t)
	noWebhooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/webhooks/") {
			http.NotFound(w, r)
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(noWebhooks.Close)
	unit := s.UnitCredentials("123456")
	c, err := portal.New(portal.WithBaseURL(noWebhooks.URL), portal.WithPortalURL(noWebhooks.URL), sdktest.FastRetry(), portal.WithCredentials(unit))
	require.NoError(t, err)
	d := diagnosed(t, t.Context(), c, string(unit.ClientSecret), string(unit.SubscriptionKey))
	assert.True(t, d.OK(), "%s", d)
	hooks := status(t, d, portal.WebhooksCheck)
	assert.Equal(t, portal.CheckSkipped, hooks.Status)
	assert.Equal(t, noWebhooks.URL+" serves no Webhooks API (404 at /webhooks/v1/webhooks)", hooks.Detail)

	partner, err := s.Client(s.PartnerCredentials("p1"), sdktest.FastRetry())
	require.NoError(t, err)
	d = diagnosed(t, portal.WithMSN(t.Context(), "123457"), partner)
	hooks = status(t, d, portal.WebhooksCheck)
	assert.Equal(t, portal.CheckFailed, hooks.Status, "%s", d)
	assert.Equal(t, "WithMSN", hooks.Setting)
	assert.Contains(t, hooks.Detail, "the Webhooks API refused these keys for sales unit 123457")
	assert.Contains(t, hooks.Detail, "a partner reaches the units connected to it")
}
