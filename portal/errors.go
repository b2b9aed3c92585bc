package portal

import (
	"context"

	"github.com/vippsportal/sdk/internal/core"
)

// Error is every failure of a request the SDK sent: an HTTP error answer decoded
// by its shape (Problem, gateway, OAuth, or anything else with a snippet), or no
// answer at all (StatusCode 0, Err set). Use errors.As to read it and errors.Is
// with the sentinels below to classify it.
type Error = core.Error

// ExtraDetail is one entry of a Problem's extraDetails.
type ExtraDetail = core.ExtraDetail

// ValidationError is input refused before any request was sent; Field names it.
type ValidationError = core.ValidationError

// UnsupportedError is a call the client's configuration cannot make (no request was sent).
type UnsupportedError = core.UnsupportedError

// WaitTimeoutError is a wait that reached its bound, with the last state seen.
type WaitTimeoutError = core.WaitTimeoutError

// PollEvent reports one poll of a waiter to WaitOptions.OnPoll.
type PollEvent = core.PollEvent

// RetryPolicy bounds the core's retries; MaxAttempts counts the first attempt.
// Zero fields take the defaults: 4 attempts, 200 ms to 5 s backoff, Retry-After up to 30 s.
type RetryPolicy = core.RetryPolicy

// Sentinels for errors.Is.
var (
	ErrBadRequest   = core.ErrBadRequest   // 400 or 413
	ErrUnauthorized = core.ErrUnauthorized // 401: token, gateway or client credentials
	ErrForbidden    = core.ErrForbidden    // 403
	ErrNotFound     = core.ErrNotFound     // 404
	ErrConflict     = core.ErrConflict     // 409
	ErrRateLimited  = core.ErrRateLimited  // 429
	ErrServer       = core.ErrServer       // 5xx
	ErrTransport    = core.ErrTransport    // no answer at all
	ErrKeysNotReady = core.ErrKeysNotReady // 409 keys-not-ready: a new test unit's keys are being issued
	ErrInvalidInput = core.ErrInvalidInput // refused before sending (*ValidationError)
	ErrUnsupported  = core.ErrUnsupported  // not possible with this configuration (*UnsupportedError)
	ErrWaitTimeout  = core.ErrWaitTimeout  // a waiter reached its bound (*WaitTimeoutError)
)

// Problem names of the contract, as found in Error.Problem.
const (
	ProblemInvalidRequest         = core.ProblemInvalidRequest
	ProblemInvalidPageToken       = core.ProblemInvalidPageToken
	ProblemBodyTooLarge           = core.ProblemBodyTooLarge
	ProblemInvalidToken           = core.ProblemInvalidToken
	ProblemTokenRevoked           = core.ProblemTokenRevoked
	ProblemNotAPortalUser         = core.ProblemNotAPortalUser
	ProblemAdministratorRequired  = core.ProblemAdministratorRequired
	ProblemForbidden              = core.ProblemForbidden
	ProblemKeysHidden             = core.ProblemKeysHidden
	ProblemNotFound               = core.ProblemNotFound
	ProblemMethodNotAllowed       = core.ProblemMethodNotAllowed
	ProblemTestSalesUnitImmutable = core.ProblemTestSalesUnitImmutable
	ProblemIdempotencyKeyReused   = core.ProblemIdempotencyKeyReused
	ProblemKeysNotReady           = core.ProblemKeysNotReady
	ProblemUserExists             = core.ProblemUserExists
	ProblemLastAdministrator      = core.ProblemLastAdministrator
	ProblemOrderSubmitted         = core.ProblemOrderSubmitted
	ProblemRateLimited            = core.ProblemRateLimited
	ProblemProvisioningFailed     = core.ProblemProvisioningFailed
	ProblemInternal               = core.ProblemInternal
	ProblemUnavailable            = core.ProblemUnavailable
	ProblemGateway                = core.ProblemGateway
)

// WithIdempotencyKey returns a context whose POST uses key as its Idempotency-Key
// instead of a generated one: repeat a call with the same key (after a crash,
// say) and the server does the work once. The key must match ^[a-zA-Z0-9-]{1,50}$.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return core.WithIdempotencyKey(ctx, key)
}
