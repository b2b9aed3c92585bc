package core

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vippsportal/sdk/vipps"
)

// CheckMSN refuses an MSN that is not 4-10 ASCII digits.
func CheckMSN(field, msn string) error {
	if len(msn) < 4 || len(msn) > 10 || !allDigits(msn) {
		return Invalid(field, "must be 4-10 digits, got %q", msn)
	}
	return nil
}

// CheckName refuses an empty name, one over max code points, one with leading or
// trailing Unicode space, and one with a control character: the contract's rules.
func CheckName(field, name string, maxLen int) error {
	if name == "" {
		return Invalid(field, "must not be empty")
	}
	if !utf8.ValidString(name) {
		return Invalid(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > maxLen {
		return Invalid(field, "is %d characters; at most %d are allowed", n, maxLen)
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return Invalid(field, "must not start or end with space")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return Invalid(field, "must not contain a control character")
		}
	}
	return nil
}

// CheckPhone refuses a phone number that is not E.164 (+ then 8-15 digits, no leading 0).
func CheckPhone(field, phone string) error {
	if len(phone) < 9 || len(phone) > 16 || phone[0] != '+' || phone[1] < '1' || phone[1] > '9' || !allDigits(phone[1:]) {
		return Invalid(field, "must be an E.164 number such as +4791234567, got %q", phone)
	}
	return nil
}

// CheckIdempotencyKey refuses a key outside the contract's ^[a-zA-Z0-9-]{1,50}$.
func CheckIdempotencyKey(key string) error {
	if len(key) < 1 || len(key) > 50 {
		return Invalid("Idempotency-Key", "must be 1-50 characters")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return Invalid("Idempotency-Key", "may hold only letters, digits and '-'")
		}
	}
	return nil
}

// CheckPageSize refuses a page size outside 0 (the server's default) to 100.
func CheckPageSize(field string, n int) error {
	if n < 0 || n > 100 {
		return Invalid(field, "must be 1-100 (or 0 for the default), got %d", n)
	}
	return nil
}

// CheckUUID refuses a value that is not a UUID in its 36-character text form,
// the form Vipps gives its ids (creations, product orders, price packages,
// webhook registrations).
func CheckUUID(field, v string) error {
	if err := CheckRequired(field, v); err != nil {
		return err
	}
	ok := len(v) == 36
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			ok = c == '-'
		default:
			ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		}
	}
	if !ok {
		return Invalid(field, "must be a UUID such as 8a11afb7-c223-48ed-8ca6-4722b97261aa, got %q", v)
	}
	return nil
}

// CheckRequired refuses an empty value.
func CheckRequired(field, v string) error {
	if v == "" {
		return Invalid(field, "is required")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CheckFlow refuses an unknown token flow, a subscription key given with
// the specialized flow (management keys have none; sending one would be
// wrong), and a Scope with the standard flow (it has no scope) or one that is
// not space-separated scope tokens.
func CheckFlow(c vipps.Credentials) error {
	switch c.Flow {
	case "", vipps.StandardAuth:
		if c.Scope != "" {
			return Invalid("Credentials.Scope", "must be empty with the standard flow, which takes no scope (a scope goes with the specialized flow)")
		}
	case vipps.SpecializedAuth:
		if !c.SubscriptionKey.IsZero() {
			return Invalid("Credentials.SubscriptionKey", "must be empty with the specialized flow: management keys have no subscription key")
		}
		return checkScope("Credentials.Scope", c.Scope)
	default:
		return Invalid("Credentials.Flow", "must be StandardAuth (or \"\") or SpecializedAuth, got %q", string(c.Flow))
	}
	return nil
}

// checkScope refuses a scope that is not scope tokens separated by single
// spaces (RFC 6749 section 3.3: printable ASCII but space, '"' and '\\').
func checkScope(field, scope string) error {
	if scope == "" {
		return nil
	}
	for _, tok := range strings.Split(scope, " ") {
		if tok == "" {
			return Invalid(field, "must be scope tokens separated by single spaces, with none at either end (RFC 6749 section 3.3)")
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return Invalid(field, "must be scope tokens of printable ASCII other than '\"' and '\\' (RFC 6749 section 3.3), got %q", scope)
			}
		}
	}
	return nil
}

// CheckHeaderValue refuses a value that cannot travel in an HTTP header as
// given: a control character (CR, LF, NUL, DEL ...) would fail every request,
// or worse, split it.
func CheckHeaderValue(field, v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return Invalid(field, "must not contain a control character (such as a line break)")
		}
	}
	if !utf8.ValidString(v) {
		return Invalid(field, "must be valid UTF-8")
	}
	return nil
}

// CheckCredentials refuses a key set whose values cannot be sent: control
// characters in any of them, a malformed MSN, an unknown flow.
func CheckCredentials(field string, c vipps.Credentials) error {
	for _, v := range []struct{ name, value string }{
		{".ClientID", c.ClientID}, {".ClientSecret", c.ClientSecret.Reveal()}, {".SubscriptionKey", c.SubscriptionKey.Reveal()},
	} {
		if err := CheckHeaderValue(field+v.name, v.value); err != nil {
			return err
		}
	}
	if c.MSN != "" {
		if err := CheckMSN(field+".MSN", c.MSN); err != nil {
			return err
		}
	}
	return CheckFlow(c)
}

// CheckSegment refuses a value that is not one of the contract's identifiers
// as a path segment: empty, "." or "..", a '/', '\\' or '%', a control
// character (NUL, CR, LF ...), or invalid UTF-8. Path escapes every segment
// anyway; this refuses before sending what no server could mean, and what a
// server or proxy that decodes a path twice would read as another path
// ("..%2F..%2Fmanagement"). Vipps issues no identifier with any of them.
func CheckSegment(field, v string) error {
	switch {
	case v == "":
		return Invalid(field, "must not be empty")
	case v == "." || v == "..":
		return Invalid(field, `must not be "." or ".."`)
	case !utf8.ValidString(v):
		return Invalid(field, "must be valid UTF-8")
	case strings.ContainsAny(v, `/\%`):
		return Invalid(field, `must not contain '/', '\' or '%%'`)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return Invalid(field, "must not contain a control character (NUL, line break ...)")
	}
	return nil
}

// CheckBusinessIdentifier refuses an empty or malformed merchant identifier:
// Scheme 10-30 characters (sent as a path segment), ID 4-50 digits or '-'.
func CheckBusinessIdentifier(field string, b vipps.BusinessIdentifier) error {
	if b == (vipps.BusinessIdentifier{}) {
		return Invalid(field, "is required")
	}
	if b.Scheme == "" {
		return Invalid(field+".Scheme", "is required")
	}
	if n := utf8.RuneCountInString(b.Scheme); n < 10 || n > 30 {
		return Invalid(field+".Scheme", "must be 10-30 characters (such as business:NO:ORG), got %q", b.Scheme)
	}
	if err := CheckSegment(field+".Scheme", b.Scheme); err != nil {
		return err
	}
	if b.ID == "" {
		return Invalid(field+".ID", "is required")
	}
	if len(b.ID) < 4 || len(b.ID) > 50 || !allDigitsOr(b.ID, '-') {
		return Invalid(field+".ID", "must be 4-50 digits or '-', got %q", b.ID)
	}
	return nil
}

func allDigitsOr(s string, other byte) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != other {
			return false
		}
	}
	return true
}

// CheckContext refuses a nil context with an error instead of a panic.
func CheckContext(ctx context.Context) error {
	if ctx == nil {
		return Invalid("ctx", "must not be nil (use context.Background())")
	}
	return nil
}
