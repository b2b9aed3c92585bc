package vipps_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vippsportal/sdk/vipps"
)

// An Error is printed from the parts it has: a hand-made one (a test's fake,
// say) has no method, path or operation, and reads without empty segments.
func TestErrorTextSkipsEmptyParts(t *testing.T) {
	for _, tc := range []struct {
		err  *vipps.Error
		want string
	}{
		{&vipps.Error{StatusCode: 409, Problem: "keys-not-ready"}, "vipps: 409 keys-not-ready"},
		{&vipps.Error{StatusCode: 503}, "vipps: 503 Service Unavailable"},
		{&vipps.Error{Operation: "getMsn", StatusCode: 404}, "vipps: (getMsn): 404 Not Found"},
		{&vipps.Error{Path: "/x", StatusCode: 404}, "vipps: /x: 404 Not Found"},
		{&vipps.Error{Method: http.MethodGet, Path: "/management/v1/sales-units/123456", Operation: "getMsn", StatusCode: 404, Problem: "not-found", Detail: "no such unit"},
			"vipps: GET /management/v1/sales-units/123456 (getMsn): 404 not-found: no such unit"},
		{&vipps.Error{Err: errors.New("connection reset")}, "vipps: no answer: connection reset"},
	} {
		assert.Equal(t, tc.want, tc.err.Error())
	}
}

// Temporary is true for exactly the statuses RetryableStatus names, a 409
// keys-not-ready and no answer that was not the caller's own cancel.
func TestErrorTemporary(t *testing.T) {
	for code := 100; code < 600; code++ {
		want := code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504
		assert.Equal(t, want, (&vipps.Error{StatusCode: code}).Temporary(), "status %d", code)
		assert.Equal(t, want, vipps.RetryableStatus(code), "status %d", code)
	}
	assert.True(t, (&vipps.Error{StatusCode: 409, Problem: vipps.ProblemKeysNotReady}).Temporary())
	assert.True(t, (&vipps.Error{Err: errors.New("reset")}).Temporary())
	assert.False(t, (&vipps.Error{Err: context.Canceled}).Temporary())
	assert.False(t, (&vipps.Error{Err: context.DeadlineExceeded}).Temporary())
}
