package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

func noRedact(s string) string { return s }

func TestDecodeErrorByShape(t *testing.T) {
	problem := `{"type":"https://developer.vippsmobilepay.com/problems/keys-hidden","title":"Forbidden","status":403,"detail":"keys are hidden","instance":"/portal/v1/x","extraDetails":[{"key":"msn","value":"123456"}]}`
	cases := []struct {
		name   string
		status int
		ctype  string
		body   string
		check  func(t *testing.T, e *vipps.Error)
	}{
		{"problem+json", 403, "application/problem+json", problem, func(t *testing.T, e *vipps.Error) {
			assert.Equal(t, vipps.ProblemKeysHidden, e.Problem)
			assert.Equal(t, "https://developer.vippsmobilepay.com/problems/keys-hidden", e.Type)
			assert.Equal(t, "Forbidden", e.Title)
			assert.Equal(t, "keys are hidden", e.Detail)
			assert.Equal(t, "/portal/v1/x", e.Instance)
			assert.Equal(t, []vipps.ExtraDetail{{Key: "msn", Value: "123456"}}, e.ExtraDetails)
			assert.Empty(t, e.Body)
		}},
		{"problem as application/json;charset=UTF-8", 409, "application/json;charset=UTF-8",
			`{"type":"https://developer.vippsmobilepay.com/problems/keys-not-ready/","title":"Conflict","status":409}`, func(t *testing.T, e *vipps.Error) {
				assert.Equal(t, vipps.ProblemKeysNotReady, e.Problem, "trailing slash tolerated")
				assert.ErrorIs(t, e, vipps.ErrKeysNotReady)
			}},
		{"problem without type", 400, "application/json", `{"title":"Bad Request","status":400,"detail":"name too long"}`, func(t *testing.T, e *vipps.Error) {
			assert.Equal(t, "", e.Problem)
			assert.Equal(t, "name too long", e.Detail)
		}},
		{"gateway", 401, "application/json", `{ "statusCode": 401, "message": "Access denied due to invalid subscription key." }`, func(t *testing.T, e *vipps.Error) {
			assert.Equal(t, vipps.ProblemGateway, e.Problem)
			assert.Equal(t, "Access denied due to invalid subscription key.", e.Title)
			assert.Empty(t, e.Type)
		}},
		{"oauth", 400, "application/json; charset=utf-8", `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`, func(t *testing.T, e *vipps.Error) {
			assert.Equal(t, "invalid_client", e.Problem)
			assert.Equal(t, "AADSTS7000215: Invalid client secret provided.", e.Detail)
		}},
		{"html", 502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("<p>nginx</p>", 200) + "</body></html>", func(t *testing.T, e *vipps.Error) {
			assert.Empty(t, e.Problem)
			assert.True(t, strings.HasPrefix(e.Body, "<html><head><title>502 Bad Gateway"))
			assert.True(t, strings.HasSuffix(e.Body, "..."))
			assert.LessOrEqual(t, len(e.Body), core.MaxSnippet+3)
		}},
		{"truncated json", 500, "application/problem+json", `{"type":"https://x/problems/internal","title":"Inter`, func(t *testing.T, e *vipps.Error) {
			assert.Empty(t, e.Problem)
			assert.Equal(t, `{"type":"https://x/problems/internal","title":"Inter`, e.Body)
		}},
		{"empty", 503, "", "", func(t *testing.T, e *vipps.Error) {
			assert.Empty(t, e.Problem)
			assert.Empty(t, e.Body)
			assert.Equal(t, "vipps: GET /p: 503 Service Unavailable", e.Error())
		}},
		{"json array", 500, "application/json", `[1,2]`, func(t *testing.T, e *vipps.Error) {
			assert.Equal(t, "[1,2]", e.Body)
		}},
		{"invalid utf-8 snippet", 500, "text/plain", "bad \xff\xfe bytes", func(t *testing.T, e *vipps.Error) {
			assert.Equal(t, "bad ? bytes", e.Body, "a run of invalid bytes becomes one ?")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.ctype != "" {
				h.Set("Content-Type", tc.ctype)
			}
			e := core.DecodeError(tc.status, h, []byte(tc.body), noRedact)
			e.Method, e.Path = "GET", "/p"
			assert.Equal(t, tc.status, e.StatusCode)
			tc.check(t, e)
			assert.NotContains(t, e.Error(), "giving up")
		})
	}
}

func TestSnippetCutsOnRuneBoundary(t *testing.T) {
	s := core.Snippet([]byte(strings.Repeat("ø", 300)), 11) // ø is 2 bytes
	assert.Equal(t, strings.Repeat("ø", 5)+"...", s)
	assert.Equal(t, "short", core.Snippet([]byte("short"), 10))
}

func TestErrorsIsMapping(t *testing.T) {
	sentinels := []error{vipps.ErrBadRequest, vipps.ErrUnauthorized, vipps.ErrForbidden, vipps.ErrNotFound, vipps.ErrConflict,
		vipps.ErrRateLimited, vipps.ErrServer, vipps.ErrTransport, vipps.ErrKeysNotReady, vipps.ErrInvalidInput, vipps.ErrUnsupported, vipps.ErrWaitTimeout}
	cases := []struct {
		err  error
		want []error
	}{
		{&vipps.Error{StatusCode: 400}, []error{vipps.ErrBadRequest}},
		{&vipps.Error{StatusCode: 413, Problem: vipps.ProblemBodyTooLarge}, []error{vipps.ErrBadRequest}},
		{&vipps.Error{StatusCode: 401}, []error{vipps.ErrUnauthorized}},
		{&vipps.Error{StatusCode: 403}, []error{vipps.ErrForbidden}},
		{&vipps.Error{StatusCode: 404}, []error{vipps.ErrNotFound}},
		{&vipps.Error{StatusCode: 409, Problem: vipps.ProblemUserExists}, []error{vipps.ErrConflict}},
		{&vipps.Error{StatusCode: 409, Problem: vipps.ProblemKeysNotReady}, []error{vipps.ErrConflict, vipps.ErrKeysNotReady}},
		{&vipps.Error{StatusCode: 429}, []error{vipps.ErrRateLimited}},
		{&vipps.Error{StatusCode: 500}, []error{vipps.ErrServer}},
		{&vipps.Error{StatusCode: 501}, []error{vipps.ErrServer}},
		{&vipps.Error{StatusCode: 504}, []error{vipps.ErrServer}},
		{&vipps.Error{StatusCode: 0, Err: errors.New("connection reset")}, []error{vipps.ErrTransport}},
		{&vipps.Error{StatusCode: 0, Err: context.Canceled}, []error{context.Canceled}},
		{&vipps.ValidationError{Field: "msn", Reason: "x"}, []error{vipps.ErrInvalidInput}},
		{&vipps.UnsupportedError{Operation: "op", Reason: "x"}, []error{vipps.ErrUnsupported}},
		{&vipps.WaitTimeoutError{Attempts: 3}, []error{vipps.ErrWaitTimeout}},
		{&vipps.WaitTimeoutError{Attempts: 3, LastErr: &vipps.Error{StatusCode: 503}}, []error{vipps.ErrWaitTimeout, vipps.ErrServer}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%T/%v", tc.err, tc.err), func(t *testing.T) {
			wrapped := fmt.Errorf("outer: %w", tc.err)
			for _, s := range sentinels {
				want := false
				for _, w := range tc.want {
					want = want || w == s
				}
				assert.Equal(t, want, errors.Is(wrapped, s), "errors.Is(%v, %v)", tc.err, s)
			}
			for _, w := range tc.want {
				assert.ErrorIs(t, wrapped, w)
			}
		})
	}
}

func TestTemporary(t *testing.T) {
	for code, want := range map[int]bool{0: true, 400: false, 401: false, 403: false, 404: false, 408: true, 409: false, 429: true, 500: true, 501: false, 502: true, 503: true, 504: true} {
		e := &vipps.Error{StatusCode: code}
		if code == 0 {
			e.Err = errors.New("reset")
		}
		assert.Equal(t, want, e.Temporary(), "%d", code)
	}
	assert.True(t, (&vipps.Error{StatusCode: 409, Problem: vipps.ProblemKeysNotReady}).Temporary())
	assert.False(t, (&vipps.Error{Err: context.Canceled}).Temporary())
	assert.False(t, (&vipps.Error{Err: fmt.Errorf("x: %w", context.DeadlineExceeded)}).Temporary())
}

func TestErrorText(t *testing.T) {
	e := &vipps.Error{StatusCode: 429, Problem: "rate-limited", Detail: "slow down", Method: "GET", Path: "/portal/v1/users", RetryAfter: 3 * time.Second, Attempts: 2}
	assert.Equal(t, "vipps: GET /portal/v1/users: 429 rate-limited: slow down (retry after 3s) (after 2 attempts)", e.Error())
	e = &vipps.Error{StatusCode: 502, Method: "GET", Path: "/p", Body: "<html>"}
	assert.Equal(t, `vipps: GET /p: 502 Bad Gateway: "<html>"`, e.Error())
	e = &vipps.Error{Method: "GET", Path: "/p", Err: errors.New("dial tcp: refused")}
	assert.Equal(t, "vipps: GET /p: no answer: dial tcp: refused", e.Error())
	assert.Equal(t, "vipps: invalid msn: must be digits", (&vipps.ValidationError{Field: "msn", Reason: "must be digits"}).Error())
}

// Core bug (reported): an *Error with a status AND a cause (a 2xx answer that
// could not be decoded, an unusable token answer) prints only "200 OK": the
// cause is dropped from the text, so a log line says nothing about what failed.
func TestErrorTextIncludesCauseWithStatus(t *testing.T) {
	e := &vipps.Error{StatusCode: 200, Method: "POST", Path: "/accesstoken/get", Err: errors.New("token answer has no access_token")}
	assert.Contains(t, e.Error(), "token answer has no access_token")
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                               0,
		"0":                              0,
		"-5":                             0,
		"  7 ":                           7 * time.Second,
		"120":                            2 * time.Minute,
		"soon":                           0,
		"1.5":                            0,
		"99999999999999999999":           time.Duration(9223372036854775807/int64(time.Second)) * time.Second, // too large to represent: the longest wait, not absent
		"9223372036854775807":            time.Duration(9223372036854775807/int64(time.Second)) * time.Second,
		"Sun, 01 Mar 2026 12:00:30 GMT":  30 * time.Second,
		"Sunday, 01-Mar-26 12:00:30 GMT": 30 * time.Second, // RFC 850
		"Sun Mar  1 12:00:30 2026":       30 * time.Second, // asctime
		"Sun, 01 Mar 2026 11:59:00 GMT":  0,                // past
	} {
		assert.Equal(t, want, core.ParseRetryAfter(v, now), "%q", v)
	}
}
