package core

import (
	"fmt"

	"github.com/vippsportal/sdk/vipps"
)

// Invalid builds a *ValidationError.
func Invalid(field, format string, args ...any) error {
	return &vipps.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
