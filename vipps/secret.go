package vipps

import (
	"fmt"
	"log/slog"
	"strconv"
)

// Redacted is what every printing of a non-empty Secret shows.
const Redacted = "[REDACTED]"

// Secret is a credential value: a client secret, a subscription key or a token.
// String, Format (every verb), GoString, MarshalJSON, MarshalText and LogValue
// print a redaction; Reveal gives the value. An empty Secret prints as empty so
// that a missing credential is visible in diagnostics.
type Secret string

// Reveal returns the secret's value. Call it only where the value must leave
// the process: an HTTP header, or a store the caller chose on purpose.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// String implements fmt.Stringer with a redaction.
func (s Secret) String() string { return s.shown() }

// GoString implements fmt.GoStringer (the %#v verb) with a redaction.
func (s Secret) GoString() string { return "vipps.Secret(" + strconv.Quote(s.shown()) + ")" }

// Format implements fmt.Formatter so that every verb (%v %+v %s %q %x %d ...) redacts.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		_, _ = f.Write([]byte(strconv.Quote(s.shown())))
	case 'v':
		if f.Flag('#') {
			_, _ = f.Write([]byte(s.GoString()))
			return
		}
		_, _ = f.Write([]byte(s.shown()))
	default:
		_, _ = f.Write([]byte(s.shown()))
	}
}

// MarshalJSON writes a redaction: persisting a secret is always an explicit Reveal.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.shown())), nil }

// MarshalText writes a redaction (encoding/xml and text encoders). Never use a
// Secret as a map key: encoding/json writes string-kinded keys verbatim.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// UnmarshalText accepts a value, so that decoding an API response or a file fills it.
func (s *Secret) UnmarshalText(b []byte) error {
	*s = Secret(b)
	return nil
}

// LogValue implements slog.LogValuer with a redaction.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }
