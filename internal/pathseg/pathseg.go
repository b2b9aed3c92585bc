// Package pathseg holds the one rule for a value sent as a URL path segment,
// shared by the core's checks and vipps.BusinessIdentifier (which the core
// imports, so it cannot import the core).
package pathseg

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem says why v is not usable as one path segment, or "" when it is.
func Problem(v string) string {
	switch {
	case v == "":
		return "must not be empty"
	case v == "." || v == "..":
		return `must not be "." or ".."`
	case !utf8.ValidString(v):
		return "must be valid UTF-8"
	case strings.ContainsAny(v, `/\`):
		return `must not contain '/' or '\'`
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "must not contain a control character (NUL, line break ...)"
	}
	return ""
}
