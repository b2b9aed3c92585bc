package core

import (
	"fmt"

	"github.com/vippsportal/sdk/portal/vipps"
)

// The shared types live in the public package vipps (so that their documentation
// is visible to users); the core names them by alias.
type (
	Error              = vipps.Error
	ExtraDetail        = vipps.ExtraDetail
	ValidationError    = vipps.ValidationError
	UnsupportedError   = vipps.UnsupportedError
	WaitTimeoutError   = vipps.WaitTimeoutError
	BusinessIdentifier = vipps.BusinessIdentifier
	RetryPolicy        = vipps.RetryPolicy
	PollEvent          = vipps.PollEvent
	PagingError        = vipps.PagingError
)

// Sentinels: vipps' own values, so errors.Is matches across packages.
var (
	ErrBadRequest    = vipps.ErrBadRequest
	ErrUnauthorized  = vipps.ErrUnauthorized
	ErrForbidden     = vipps.ErrForbidden
	ErrNotFound      = vipps.ErrNotFound
	ErrConflict      = vipps.ErrConflict
	ErrRateLimited   = vipps.ErrRateLimited
	ErrServer        = vipps.ErrServer
	ErrTransport     = vipps.ErrTransport
	ErrKeysNotReady  = vipps.ErrKeysNotReady
	ErrInvalidInput  = vipps.ErrInvalidInput
	ErrUnsupported   = vipps.ErrUnsupported
	ErrWaitTimeout   = vipps.ErrWaitTimeout
	ErrRunawayPaging = vipps.ErrRunawayPaging
)

// Problem names of the contract.
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
	ProblemUnknown                = vipps.ProblemUnknown
)

// Invalid builds a *ValidationError.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
