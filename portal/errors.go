package portal

import (
	"context"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/portal/vipps"
)

// Error is every failure of a request the SDK sent: an HTTP error answer decoded
// by its shape (Problem, gateway, OAuth, or anything else with a snippet), or no
// answer at all (StatusCode 0, Err set). Use errors.As to read it and errors.Is
// with the sentinels below to classify it.
type Error = vipps.Error

// ExtraDetail is one entry of a Problem's extraDetails.
type ExtraDetail = vipps.ExtraDetail

// ValidationError is input refused before any request was sent; Field names it.
type ValidationError = vipps.ValidationError

// UnsupportedError is a call the client's configuration cannot make (no request was sent).
type UnsupportedError = vipps.UnsupportedError

// WaitTimeoutError is a wait that reached its bound; it names what was waited
// for and the last state seen.
type WaitTimeoutError = vipps.WaitTimeoutError

// PollEvent is the part of a waiter's OnPoll event that every waiter shares
// (salesunit.PollEvent embeds it and adds the typed record).
type PollEvent = vipps.PollEvent

// PagingError ends a walk whose server's page tokens would never end it.
type PagingError = vipps.PagingError

// RetryPolicy bounds the core's retries; MaxAttempts counts the first attempt.
// Zero fields take the defaults: 4 attempts, 200 ms to 5 s backoff, Retry-After up to 30 s.
type RetryPolicy = vipps.RetryPolicy

// Sentinels for errors.Is.
var (
	ErrBadRequest    = vipps.ErrBadRequest    // 400 or 413
	ErrUnauthorized  = vipps.ErrUnauthorized  // 401: token, gateway or client credentials
	ErrForbidden     = vipps.ErrForbidden     // 403
	ErrNotFound      = vipps.ErrNotFound      // 404
	ErrConflict      = vipps.ErrConflict      // 409
	ErrRateLimited   = vipps.ErrRateLimited   // 429
	ErrServer        = vipps.ErrServer        // 5xx
	ErrTransport     = vipps.ErrTransport     // no answer at all
	ErrKeysNotReady  = vipps.ErrKeysNotReady  // 409 keys-not-ready: a new test unit's keys are being issued
	ErrInvalidInput  = vipps.ErrInvalidInput  // refused before sending (*ValidationError)
	ErrUnsupported   = vipps.ErrUnsupported   // not possible with this configuration (*UnsupportedError)
	ErrWaitTimeout   = vipps.ErrWaitTimeout   // a waiter reached its bound (*WaitTimeoutError)
	ErrRunawayPaging = vipps.ErrRunawayPaging // a listing's tokens would never end it (*PagingError)
)

// Problem names of the contract, as found in Error.Problem.
const (
	ProblemInvalidRequest         = vipps.ProblemInvalidRequest
	ProblemInvalidPageToken       = vipps.ProblemInvalidPageToken
	ProblemBodyTooLarge           = vipps.ProblemBodyTooLarge
	ProblemInvalidToken           = vipps.ProblemInvalidToken
	ProblemTokenRevoked           = vipps.ProblemTokenRevoked
	ProblemNotAPortalUser         = vipps.ProblemNotAPortalUser
	ProblemAdministratorRequired  = vipps.ProblemAdministratorRequired
	ProblemForbidden              = vipps.ProblemForbidden
	ProblemKeysHidden             = vipps.ProblemKeysHidden
	ProblemNotFound               = vipps.ProblemNotFound
	ProblemMethodNotAllowed       = vipps.ProblemMethodNotAllowed
	ProblemTestSalesUnitImmutable = vipps.ProblemTestSalesUnitImmutable
	ProblemIdempotencyKeyReused   = vipps.ProblemIdempotencyKeyReused
	ProblemKeysNotReady           = vipps.ProblemKeysNotReady
	ProblemUserExists             = vipps.ProblemUserExists
	ProblemLastAdministrator      = vipps.ProblemLastAdministrator
	ProblemOrderSubmitted         = vipps.ProblemOrderSubmitted
	ProblemRateLimited            = vipps.ProblemRateLimited
	ProblemProvisioningFailed     = vipps.ProblemProvisioningFailed
	ProblemInternal               = vipps.ProblemInternal
	ProblemUnavailable            = vipps.ProblemUnavailable
	ProblemGateway                = vipps.ProblemGateway
)

// WithIdempotencyKey returns a context whose POST uses key as its Idempotency-Key
// instead of a generated one: repeat a call with the same key (after a crash,
// say) and the server does the work once. The key must match ^[a-zA-Z0-9-]{1,50}$.
//
// A key identifies ONE logical call: give each call its own context. The SDK's
// workflows of several POSTs (Keys.Rotate) derive a distinct, deterministic key
// per step from yours, so repeating the workflow with the same key is safe too.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return core.WithIdempotencyKey(ctx, key)
}
