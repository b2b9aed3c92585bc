package vipps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinels that errors.Is matches: against a *[Error] by its status (see
// [Error.Is]), and against the SDK's own typed errors. Test a failure with
// errors.Is(err, [ErrNotFound]); read its details with errors.As and a
// *[Error].
var (
	// ErrBadRequest matches a 400 (the request was refused as it stands) and a 413.
	ErrBadRequest = errors.New("vipps: bad request")
	// ErrUnauthorized matches a 401: the gateway refused the subscription key,
	// the token endpoint the client id or secret, or an API the token.
	ErrUnauthorized = errors.New("vipps: unauthorized")
	// ErrForbidden matches a 403: the keys are good but may not do this.
	ErrForbidden = errors.New("vipps: forbidden")
	// ErrNotFound matches a 404: no such resource, or none the keys can reach.
	ErrNotFound = errors.New("vipps: not found")
	// ErrConflict matches any 409 ([ErrKeysNotReady] is one of them).
	ErrConflict = errors.New("vipps: conflict")
	// ErrRateLimited matches a 429.
	ErrRateLimited = errors.New("vipps: rate limited")
	// ErrServer matches any 5xx.
	ErrServer = errors.New("vipps: server error")
	// ErrTransport matches a request that got no HTTP answer (connection refused,
	// reset, dropped); not one the caller's context ended.
	ErrTransport = errors.New("vipps: no answer from server")
	// ErrKeysNotReady matches the 409 keys-not-ready of a test unit whose keys
	// are still being issued; its *[Error] carries the server's RetryAfter.
	ErrKeysNotReady = errors.New("vipps: keys not ready")
	// ErrInvalidInput matches input the SDK refused before sending anything (a *[ValidationError]).
	ErrInvalidInput = errors.New("vipps: invalid input")
	// ErrUnsupported matches a call the client cannot make, so sent nothing (an
	// *[UnsupportedError]): a Management call on the test environment, a portal
	// call with no portal URL, a call on a service that
	// [github.com/vippsportal/sdk/portal.New] did not build.
	ErrUnsupported = errors.New("vipps: operation not available with this configuration")
	// ErrWaitTimeout matches a *[WaitTimeoutError].
	ErrWaitTimeout = errors.New("vipps: wait timed out")
)

// Problem names of the contract (the last path segment of a Problem's type).
const (
	ProblemInvalidRequest         = "invalid-request"
	ProblemInvalidPageToken       = "invalid-page-token"
	ProblemBodyTooLarge           = "body-too-large"
	ProblemInvalidToken           = "invalid-token"
	ProblemTokenRevoked           = "token-revoked"
	ProblemNotAPortalUser         = "not-a-portal-user"
	ProblemAdministratorRequired  = "administrator-required"
	ProblemForbidden              = "forbidden"
	ProblemKeysHidden             = "keys-hidden"
	ProblemNotFound               = "not-found"
	ProblemMethodNotAllowed       = "method-not-allowed"
	ProblemTestSalesUnitImmutable = "test-sales-unit-immutable"
	ProblemIdempotencyKeyReused   = "idempotency-key-reused"
	ProblemKeysNotReady           = "keys-not-ready"
	ProblemUserExists             = "user-exists"
	ProblemLastAdministrator      = "last-administrator"
	ProblemOrderSubmitted         = "order-submitted"
	ProblemWebhookLimitReached    = "webhook-limit-reached" // 400: 25 registrations of the scope already hold one of the events
	ProblemRateLimited            = "rate-limited"
	ProblemProvisioningFailed     = "provisioning-failed"
	ProblemInternal               = "internal"
	ProblemUnavailable            = "unavailable"
	// Names the decoder gives to bodies that are not Problems.
	ProblemGateway = "gateway" // the gateway's {"statusCode","message"} (wrong subscription key)
	ProblemUnknown = ""        // an HTML page, an empty or truncated body
)

// ExtraDetail is one entry of a Problem's extraDetails.
type ExtraDetail struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Error is every failure of a request the SDK sent: an HTTP error answer decoded
// by its shape, or no answer at all (StatusCode 0, Err set). Its text carries the
// method and the path (never the query, a header or a secret).
type Error struct {
	Operation    string        // Vipps' operation id (getMsn, fetchAuthorizationTokenUsingPost ...), for support cases
	StatusCode   int           // HTTP status; 0 when no answer came
	Problem      string        // problem name (keys-hidden), OAuth error code (invalid_client), "gateway", or ""
	Type         string        // the Problem's type URI, when it was a Problem
	Title        string        // Problem title, or the gateway's message
	Detail       string        // Problem detail, or the OAuth error_description
	Instance     string        // Problem instance
	ExtraDetails []ExtraDetail // Problem extraDetails
	Method       string        // the request's method
	Path         string        // the request's path, without query
	Attempts     int           // attempts sent for this call, retries included
	RetryAfter   time.Duration // the server's Retry-After, if it sent one
	// RedirectHost is the host (and port) a 3xx answer pointed to, never its
	// path or query. The SDK follows no redirect: credentials stay with the
	// configured host, and a POST answered 3xx is not done.
	RedirectHost string
	Body         string // a bounded snippet of a body that was not a known shape, secrets removed
	Err          error  // the transport or context error when no answer came
	// IdempotencyKey is the key the call's POST carried on every attempt. When
	// the outcome is unknown (no answer on the last attempt), repeat the call
	// with [github.com/vippsportal/sdk/portal.WithIdempotencyKey](ctx,
	// IdempotencyKey): the server does the work at most once and answers the
	// repeat with the stored result.
	IdempotencyKey string
}

// Error reads like "vipps: GET /management/v1/sales-units/123456 (getMsn):
// 404 not-found: ...", followed by the server's Retry-After, the attempts
// made and, when the outcome is unknown, the Idempotency-Key to repeat with.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("vipps: ")
	// The parts of "METHOD /path (operation): " that are set: a hand-made
	// Error without them reads "vipps: 409 keys-not-ready".
	op := ""
	if e.Operation != "" {
		op = "(" + e.Operation + ")"
	}
	sep := ""
	for _, part := range [...]string{e.Method, e.Path, op} {
		if part != "" {
			b.WriteString(sep)
			b.WriteString(part)
			sep = " "
		}
	}
	if sep != "" {
		b.WriteString(": ")
	}
	if e.StatusCode == 0 {
		b.WriteString("no answer")
		if e.Err != nil {
			b.WriteString(": ")
			b.WriteString(e.Err.Error())
		}
	} else {
		b.WriteString(strconv.Itoa(e.StatusCode))
		if e.Problem != "" {
			b.WriteByte(' ')
			b.WriteString(e.Problem)
		} else if txt := http.StatusText(e.StatusCode); txt != "" {
			b.WriteByte(' ')
			b.WriteString(txt)
		}
		switch {
		case e.Detail != "":
			b.WriteString(": ")
			b.WriteString(e.Detail)
		case e.Title != "":
			b.WriteString(": ")
			b.WriteString(e.Title)
		case e.Body != "":
			b.WriteString(": ")
			b.WriteString(strconv.Quote(e.Body))
		}
		if e.StatusCode >= 300 && e.StatusCode < 400 {
			b.WriteString(": redirect")
			if e.RedirectHost != "" {
				b.WriteString(" to ")
				b.WriteString(e.RedirectHost)
			}
			b.WriteString(" not followed")
		}
		if e.Err != nil { // an answer we could not use, such as an undecodable 200
			b.WriteString(": ")
			b.WriteString(e.Err.Error())
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.IdempotencyKey != "" && e.outcomeUnknown() {
		b.WriteString(" (outcome unknown: repeat with Idempotency-Key ")
		b.WriteString(e.IdempotencyKey)
		b.WriteByte(')')
	}
	return b.String()
}

// outcomeUnknown: no answer, a 2xx that could not be read, or a redirect.
func (e *Error) outcomeUnknown() bool {
	return e.StatusCode == 0 || e.StatusCode < 400 && e.StatusCode >= 200
}

// Unwrap gives the transport or context error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel of e's status: [ErrBadRequest]
// (400, 413), [ErrUnauthorized] (401), [ErrForbidden] (403), [ErrNotFound]
// (404), [ErrConflict] (409), [ErrKeysNotReady] (409 keys-not-ready),
// [ErrRateLimited] (429), [ErrServer] (5xx), or [ErrTransport] (no answer, and
// not the caller's context ending).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusRequestEntityTooLarge
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	case ErrTransport:
		return e.StatusCode == 0 && !isContextErr(e.Err) // the caller's own cancel is not the server's fault
	case ErrKeysNotReady:
		return e.StatusCode == http.StatusConflict && e.Problem == ProblemKeysNotReady
	}
	return false
}

// Temporary reports whether the same call may succeed later without a change
// of input: no answer (unless the caller's context ended), 408, 429, 500, 502,
// 503 and 504 (the statuses of [RetryableStatus]), or a 409 keys-not-ready.
// Every other status is not: 501, 505, 507, 511 and the rest of 5xx included.
func (e *Error) Temporary() bool {
	switch e.StatusCode {
	case 0:
		return !errors.Is(e.Err, context.Canceled) && !errors.Is(e.Err, context.DeadlineExceeded)
	case http.StatusConflict:
		return e.Problem == ProblemKeysNotReady
	}
	return RetryableStatus(e.StatusCode)
}

// RetryableStatus reports the statuses the SDK retries: 408, 429, 500, 502,
// 503 and 504. 501 says the server will never do it; every other 4xx depends
// on the request.
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// ValidationError is input refused before any request was sent
// (errors.Is [ErrInvalidInput]). Field names what to fix as the caller wrote
// it: a Go field path ("TestUnitRequest.Name"), a parameter ("msn"), an
// option ("WithKeySource"), a header ("Idempotency-Key") or an environment
// variable ("VIPPS_CLIENT_SECRET"); Reason says what is wrong with it.
type ValidationError struct {
	Field  string
	Reason string
}

// Error reads "vipps: invalid Field: Reason".
func (e *ValidationError) Error() string {
	return "vipps: invalid " + e.Field + ": " + e.Reason
}

// Is matches [ErrInvalidInput].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidInput }

// UnsupportedError is a call that the client cannot make, so no request was
// sent (errors.Is [ErrUnsupported]); Reason says what would make it possible.
type UnsupportedError struct {
	Operation string
	Reason    string
}

// Error reads "vipps: Operation: Reason".
func (e *UnsupportedError) Error() string { return "vipps: " + e.Operation + ": " + e.Reason }

// Is matches [ErrUnsupported].
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// WaitTimeoutError is a wait that reached its bound (errors.Is [ErrWaitTimeout]).
// It is one type for every waiter, so errors.As(err, &wt) with a
// *WaitTimeoutError matches any of them. It names what was waited for and the
// last state seen; the typed records are in the waiter's OnPoll events.
type WaitTimeoutError struct {
	Kind       string        // what was waited for: "creation", "test unit", "product order"
	ID         string        // its id
	LastStatus string        // the last state seen ("PENDING", "without keys" ...); "" when no poll succeeded
	LastErr    error         // the last poll's error, if the last poll failed
	Attempts   int           // polls made, the one cut by the bound included
	Elapsed    time.Duration // since the wait began
}

// Error reads like "vipps: creation 3f2… still PENDING after 10m0s (12 polls)".
func (e *WaitTimeoutError) Error() string {
	what := e.Kind
	if what == "" {
		what = "wait"
	}
	if e.ID != "" {
		what += " " + e.ID
	}
	state := "not seen"
	if e.LastStatus != "" {
		state = "still " + e.LastStatus
	}
	s := fmt.Sprintf("vipps: %s %s after %s (%d polls)", what, state, e.Elapsed.Round(time.Millisecond), e.Attempts)
	if e.LastErr != nil {
		s += ": last error: " + e.LastErr.Error()
	}
	return s
}

// Is matches [ErrWaitTimeout].
func (e *WaitTimeoutError) Is(target error) bool { return target == ErrWaitTimeout }

// Unwrap gives the last error polled, so errors.As still finds a *[Error] in it.
func (e *WaitTimeoutError) Unwrap() error { return e.LastErr }

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
