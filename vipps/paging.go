package vipps

import (
	"errors"
	"fmt"
)

// ErrRunawayPaging matches a *[PagingError].
var ErrRunawayPaging = errors.New("vipps: listing does not end")

// PagingError ends a walk over a listing (the All methods) whose server's page
// tokens would never end it: a token seen before (the walk would loop), or too
// many empty pages in a row each with a next token (the contract lets only the
// last page be empty). The items yielded before it are the listing's; the walk
// cannot be resumed.
type PagingError struct {
	Pages  int    // pages fetched
	Reason string // "the server repeated a page token" or "N empty pages in a row, each with a next token"
}

// Error reads "vipps: listing stopped after N pages: Reason".
func (e *PagingError) Error() string {
	return fmt.Sprintf("vipps: listing stopped after %d pages: %s", e.Pages, e.Reason)
}

// Is matches [ErrRunawayPaging].
func (e *PagingError) Is(target error) bool { return target == ErrRunawayPaging }
