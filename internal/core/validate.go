package core

import (
	"unicode"
	"unicode/utf8"
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

// CheckFlow refuses an unknown token flow, and a subscription key given with
// the specialized flow (management keys have none; sending one would be wrong).
func CheckFlow(c Credentials) error {
	switch c.Flow {
	case "", StandardAuth:
	case SpecializedAuth:
		if !c.SubscriptionKey.IsZero() {
			return Invalid("Credentials.SubscriptionKey", "must be empty with the specialized flow: management keys have no subscription key")
		}
	default:
		return Invalid("Credentials.Flow", "must be StandardAuth (or \"\") or SpecializedAuth, got %q", string(c.Flow))
	}
	return nil
}
