package core_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// trackedBody records whether it was closed.
type trackedBody struct {
	io.Reader
	closed *atomic.Bool
}

func (b trackedBody) Close() error { b.closed.Store(true); return nil }

// cancelTransport cancels the caller's context while answering, so the retry
// policy stops on the context with an answer in hand.
type cancelTransport struct {
	cancel context.CancelFunc
	closed atomic.Bool
	calls  atomic.Int32
}

func (t *cancelTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.calls.Add(1)
	t.cancel()
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Request: r,
		Body: trackedBody{Reader: strings.NewReader(`{"error":"busy"}`), closed: &t.closed}}, nil
}

// The token request goes through the one send: an answer that arrives as the
// caller's context ends is closed there too (FetchToken used to leak it).
func TestTokenRequestClosesBodyOnContextError(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	tr := &cancelTransport{cancel: cancel}
	c := newClient(t, mockBase, &http.Client{Transport: tr})
	_, err := c.FetchToken(ctx, testCreds(), mockBase)
	require.ErrorIs(t, err, context.Canceled)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 1, e.Attempts)
	assert.True(t, tr.closed.Load(), "the discarded token answer's body is closed")
}

// A request that cannot even be built is an error with a state behind it, not a
// nil-pointer panic in Do.
func TestUnbuildableRequestIsAnErrorNotAPanic(t *testing.T) {
	mock, _ := newMock(t)
	c := newClient(t, mockBase, &http.Client{Transport: mock})
	var err error
	require.NotPanics(t, func() {
		_, err = c.Do(t.Context(), &core.Request{Group: core.GroupManagement, Operation: "getThing", Method: http.MethodGet, Path: "/a\x7fb"}, nil)
	})
	require.Error(t, err)
}
