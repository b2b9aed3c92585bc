package vipps

import "net/http"

// Response is what the SDK saw of the HTTP answer behind a call's result or
// error. Methods keep their typed results; to see the answer behind one, pass a
// context carrying a Response
// ([github.com/vippsportal/sdk/portal.WithResponse]) and read it after the
// call:
//
//	var meta vipps.Response
//	unit, err := c.TestUnits.Get(portal.WithResponse(ctx, &meta), msn)
//	log.Printf("%s: %d, request id %q, %d attempt(s)", meta.Operation, meta.StatusCode, meta.RequestID, meta.Attempts)
//
// The call overwrites the whole Response, for a success and for an error
// alike. One Response belongs to one call at a time: give concurrent calls
// their own. A waiter or an iterator records each call it makes, so afterwards
// the Response describes the last one.
type Response struct {
	// Operation is Vipps' operation id of the answer: the call's own
	// (getMsn, createTestSalesUnit ...), or the token request's when getting a
	// token was what failed.
	Operation string
	// StatusCode is the HTTP status of the last answer; 0 when none came.
	StatusCode int
	// Header holds the answer's headers. Headers that carry credentials
	// (Authorization, the subscription key, client_id/client_secret, cookies)
	// are left out, and any value containing one of the call's secrets is
	// redacted.
	Header http.Header
	// RequestID is the server's id of the request, for a support case with
	// Vipps. The contract names no such header, so it is the first one set of
	// Vipps-Request-Id, X-Request-Id, Request-Id, X-Correlation-Id and
	// Correlation-Id; "" when the answer carries none.
	RequestID string
	// Attempts counts the HTTP attempts of the call, retries and a token
	// refresh included.
	Attempts int
}
