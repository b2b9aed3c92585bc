package salesunit_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// base is where the mocked API lives; nothing resolves it: every request goes
// through the test's own httpmock transport.
const base = "https://vipps.test"

const (
	testToken  = "tok-0123456789"
	testSubKey = "sub-0123456789abcdef"
	mgmtJSON   = "application/json;charset=UTF-8"
	portalJSON = "application/json"
)

// mockAPI is a client wired to an httpmock transport that answers the token
// endpoint; tests register the operation under test with expect.
type mockAPI struct {
	t      *testing.T
	mock   *httpmock.MockTransport
	client *portal.Client
}

func newMockAPI(t *testing.T, opts ...portal.Option) *mockAPI {
	t.Helper()
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder(http.MethodPost, base+"/accesstoken/get", httpmock.NewStringResponder(http.StatusOK,
		`{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"0","expires_on":"0","not_before":"0","resource":"x","access_token":"`+testToken+`"}`))
	all := append([]portal.Option{
		portal.WithCredentials(portal.Credentials{ClientID: "client-1", ClientSecret: keys.Secret("secret-1"), SubscriptionKey: keys.Secret(testSubKey)}),
		portal.WithBaseURL(base), portal.WithPortalURL(base),
		portal.WithSystem("acme-backend", "2.1.0", "", ""),
		portal.WithHTTPClient(&http.Client{Transport: mock}),
		portal.WithRetry(portal.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}),
	}, opts...)
	c, err := portal.New(all...)
	require.NoError(t, err)
	return &mockAPI{t: t, mock: mock, client: c}
}

// want describes the request an operation must send.
type want struct {
	query      string // exact raw query, "" for none
	body       string // JSON the body must equal; "" for no body
	idempotent bool   // must carry an Idempotency-Key
}

// expect answers method+path with status, content type and body, asserting
// the request's headers and body. It returns the number of calls so far.
func (m *mockAPI) expect(method, path string, w want, status int, contentType, body string, header ...string) func() int {
	m.t.Helper()
	n := 0
	m.mock.RegisterResponder(method, base+path, func(r *http.Request) (*http.Response, error) {
		n++
		t := m.t
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		assert.Equal(t, testSubKey, r.Header.Get("Ocp-Apim-Subscription-Key"))
		assert.Equal(t, "vippsportal-sdk-go/"+portal.Version, r.Header.Get("User-Agent"))
		assert.Equal(t, "acme-backend", r.Header.Get("Vipps-System-Name"))
		assert.Equal(t, "2.1.0", r.Header.Get("Vipps-System-Version"))
		assert.Equal(t, w.query, r.URL.RawQuery)
		if w.idempotent {
			assert.Regexp(t, `^[a-zA-Z0-9-]{1,50}$`, r.Header.Get("Idempotency-Key"))
		} else {
			assert.Empty(t, r.Header.Get("Idempotency-Key"))
		}
		var got []byte
		if r.Body != nil {
			got, _ = io.ReadAll(r.Body)
		}
		if w.body == "" {
			assert.Empty(t, got)
		} else {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.JSONEq(t, w.body, string(got))
		}
		resp := httpmock.NewStringResponse(status, body)
		if contentType != "" {
			resp.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			resp.Header.Set(header[i], header[i+1])
		}
		return resp, nil
	})
	return func() int { return n }
}

// problem is a contract Problem body.
func problem(status int, name, detail string) string {
	b, _ := json.Marshal(map[string]any{"type": "https://portal-sdk.invalid/problems/" + name,
		"title": name, "status": status, "detail": detail, "instance": "/x"})
	return string(b)
}

// problemResponder answers a Problem, with extra headers (Retry-After ...).
func problemResponder(status int, name string, header ...string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(status, problem(status, name, "simulated "+name))
		resp.Header.Set("Content-Type", "application/problem+json")
		for i := 0; i+1 < len(header); i += 2 {
			resp.Header.Set(header[i], header[i+1])
		}
		return resp, nil
	}
}

// jsonResponder answers v as JSON.
func jsonResponder(status int, v any) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		resp, err := httpmock.NewJsonResponse(status, v)
		if err == nil {
			resp.Header.Set("Content-Type", portalJSON)
		}
		return resp, err
	}
}

// requireAPIError asserts err is a *portal.Error with the status and problem name.
func requireAPIError(t *testing.T, err error, status int, problemName string, sentinel error) *portal.Error {
	t.Helper()
	var apiErr *portal.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, problemName, apiErr.Problem)
	assert.ErrorIs(t, err, sentinel)
	return apiErr
}

// requireInvalid asserts err is a *portal.ValidationError naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ve *portal.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, field, ve.Field)
	assert.ErrorIs(t, err, portal.ErrInvalidInput)
}

// newSim starts the simulator with opts, closed when the test ends.
func newSim(t *testing.T, opts ...portaltest.Option) *portaltest.Server {
	t.Helper()
	s := portaltest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// fastRetry keeps the retries of the simulator tests quick.
var fastRetry = portal.WithRetry(portal.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})

// simClient is an SDK client aimed at the simulator with creds and quick retries.
func simClient(t *testing.T, s *portaltest.Server, creds portaltest.Credentials, opts ...portal.Option) *portal.Client {
	t.Helper()
	c, err := s.Client(creds, append([]portal.Option{fastRetry}, opts...)...)
	require.NoError(t, err)
	return c
}

func asError(err error, target any) bool { return errors.As(err, target) }

// stringResponder answers body as application/json with 200.
func stringResponder(body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(http.StatusOK, body)
		resp.Header.Set("Content-Type", portalJSON)
		return resp, nil
	}
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// tokenFor fetches a token from the simulator by hand (for raw requests the SDK does not make).
func tokenFor(t *testing.T, s *portaltest.Server, c portaltest.Credentials) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/accesstoken/get", nil)
	require.NoError(t, err)
	req.Header.Set("client_id", c.ClientID)
	req.Header.Set("client_secret", c.ClientSecret)
	req.Header.Set("Ocp-Apim-Subscription-Key", c.SubscriptionKey)
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, decodeJSON(resp.Body, &body))
	require.NotEmpty(t, body.AccessToken)
	return body.AccessToken
}

// assertReplayedRetry asserts that the attempt whose answer was dropped is in
// the simulator's log (it logs a request before answering or dropping it), and
// that the retry carried the same Idempotency-Key: the simulator answered it as
// a replay (it replays only a repeated key with an equal body) with the
// original status.
func assertReplayedRetry(t *testing.T, s *portaltest.Server, op string, status int) {
	t.Helper()
	var replay *portaltest.LoggedRequest
	var keys []string
	dropped := 0
	for _, r := range s.RequestsOf(op) {
		keys = append(keys, r.IdempotencyKey)
		if r.Replayed {
			replay = &r
		}
		if r.Status == 0 {
			dropped++
		}
	}
	assert.Equal(t, 1, dropped, "the dropped attempt is logged")
	require.NotNil(t, replay, "the retry was answered as a replay")
	assert.Equal(t, status, replay.Status)
	for _, k := range keys {
		assert.Equal(t, replay.IdempotencyKey, k, "every attempt carried the same key")
	}
}
