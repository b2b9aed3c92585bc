package contracttest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/contracttest"
)

// recorder keeps the checker's complaints instead of failing this test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCheckerFlagsWhatTheContractForbids(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/portal/v1/me" {
			_, _ = w.Write([]byte(`{"userId":"u1"}`)) // name, phoneNumber, role, merchant missing
			return
		}
		_, _ = w.Write([]byte(`{"userId":"u1","name":"Ada","phoneNumber":"+4791234567","role":"ADMINISTRATOR",
			"merchant":{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"ACME"}}`))
	}))
	defer srv.Close()

	rec := &recorder{TB: t}
	c := contracttest.New(rec)
	get := func(path string, header http.Header) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header = header
		resp, err := c.HTTPClient().Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}

	get("/portal/v1/me", http.Header{})
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "answer to GET /portal/v1/me (200) breaks the contract")

	rec.errs = nil
	get("/portal/v1/test-sales-units/12", http.Header{}) // MSN pattern ^\d{4,10}$
	assert.Contains(t, fmt.Sprint(rec.errs), "request GET /portal/v1/test-sales-units/12 breaks the contract")

	rec.errs = nil
	get("/portal/v1/nowhere", http.Header{})
	assert.Contains(t, fmt.Sprint(rec.errs), "matches no operation")
	assert.Equal(t, 1, c.Seen("getMe"))
	assert.Equal(t, 1, c.Seen("getTestSalesUnit"))
}

// The one validator checks string formats: a creation id that is not a UUID
// breaks the contract (the SDK-side checker used to skip formats).
func TestCheckerChecksFormats(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	c := contracttest.New(rec)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/portal/v1/test-sales-units/creations/not-a-uuid", nil)
	require.NoError(t, err)
	resp, err := c.HTTPClient().Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Contains(t, fmt.Sprint(rec.errs), "request GET /portal/v1/test-sales-units/creations/not-a-uuid breaks the contract")

	ct, err := contracttest.Load()
	require.NoError(t, err)
	assert.NotEmpty(t, ct.Options.SchemaValidationOptions, "format validators are configured")
}
