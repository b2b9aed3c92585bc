package exampletest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

// failures is a testing.TB that records what it is told to report.
type failures struct {
	testing.TB
	errs []string
}

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// TestWire: the secrets of the headers sent and of the JSON answer are
// noted, and NotIn reports a text holding one by number and length only.
func TestWire(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"id": "wh-1", "secret": "webhook-secret-value", "url": "https://example.com"}`)
	}))
	defer srv.Close()
	wire := exampletest.NewWire()
	defer wire.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("client_secret", "client-secret-value")
	req.Header.Set("Authorization", "Bearer token-value")
	resp, err := wire.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, 3, wire.Count())
	assert.Equal(t, 1, wire.Answers("secret"))
	assert.Zero(t, wire.Answers("access_token"))

	var clean, leaked failures
	wire.NotIn(&clean, "registered wh-1 at https://example.com")
	assert.Empty(t, clean.errs)
	wire.NotIn(&leaked, "the secret is webhook-secret-value, the token token-value")
	require.Len(t, leaked.errs, 2)
	for _, e := range leaked.errs {
		assert.NotContains(t, e, "value", "the report names no secret")
	}
}

// TestLines: On gets each line once it is complete, in order, whatever the
// writes' boundaries; String is everything written.
func TestLines(t *testing.T) {
	var got []string
	l := &exampletest.Lines{On: func(line string) { got = append(got, line) }}
	for _, w := range []string{"one\ntw", "o\n", "", "three\nfour"} {
		n, err := l.Write([]byte(w))
		require.NoError(t, err)
		assert.Equal(t, len(w), n)
	}
	assert.Equal(t, []string{"one", "two", "three"}, got, "the unfinished line waits")
	assert.Equal(t, "one\ntwo\nthree\nfour", l.String())
}
