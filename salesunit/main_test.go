package salesunit_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The shared helpers live in internal/sdktest; these names keep this
// package's tests short.
const (
	base       = sdktest.BaseURL
	testToken  = sdktest.Token
	testSubKey = sdktest.SubKey
	mgmtJSON   = "application/json;charset=UTF-8"
	portalJSON = "application/json"
)

var (
	newSim          = sdktest.NewSim
	simClient       = sdktest.SimClient
	fastRetry       = sdktest.FastRetry()
	requireAPIError = sdktest.RequireAPIError
	requireInvalid  = sdktest.RequireInvalid
	problem         = sdktest.Problem
)

// mockAPI is a client wired to an httpmock transport that answers the token
// endpoint (sdktest.NewMock); tests register the operation under test with expect.
type mockAPI struct {
	t      *testing.T
	mock   *httpmock.MockTransport
	client *portal.Client
}

func newMockAPI(t *testing.T, opts ...portal.Option) *mockAPI {
	t.Helper()
	c, mock := sdktest.NewMock(t, opts...)
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
		sdktest.AssertCommonHeaders(t, r.Header)
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
		return sdktest.Answer(status, contentType, body, header...), nil
	})
	return func() int { return n }
}

// problemResponder answers a Problem, with extra headers (Retry-After ...).
func problemResponder(status int, name string, header ...string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		return sdktest.Answer(status, "application/problem+json", problem(status, name, "simulated "+name), header...), nil
	}
}

// jsonResponder answers v as JSON.
func jsonResponder(status int, v any) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		b, err := json.Marshal(v)
		return sdktest.Answer(status, portalJSON, string(b)), err
	}
}

func asError(err error, target any) bool { return errors.As(err, target) }

// stringResponder answers body as application/json with 200.
func stringResponder(body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		return sdktest.Answer(http.StatusOK, portalJSON, body), nil
	}
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// tokenFor fetches a token from the simulator by hand (for raw requests the SDK does not make).
func tokenFor(t *testing.T, s *portaltest.Server, c vipps.Credentials) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/accesstoken/get", nil)
	require.NoError(t, err)
	req.Header.Set("client_id", c.ClientID)
	req.Header.Set("client_secret", c.ClientSecret.Reveal())
	req.Header.Set("Ocp-Apim-Subscription-Key", c.SubscriptionKey.Reveal())
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
