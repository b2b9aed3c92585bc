package keys

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// Name names one key of a sales unit's key set, as the contract spells it
// (the KeyName enum of regenerateKey).
type Name string

// The four keys of a sales unit.
const (
	ClientID                 Name = "clientId"
	ClientSecret             Name = "clientSecret"
	SubscriptionKeyPrimary   Name = "subscriptionKeyPrimary"
	SubscriptionKeySecondary Name = "subscriptionKeySecondary"
)

// Valid reports whether n is one of the four key names.
func (n Name) Valid() bool {
	switch n {
	case ClientID, ClientSecret, SubscriptionKeyPrimary, SubscriptionKeySecondary:
		return true
	}
	return false
}

// IsSubscriptionKey reports whether n is the primary or the secondary subscription key.
func (n Name) IsSubscriptionKey() bool {
	return n == SubscriptionKeyPrimary || n == SubscriptionKeySecondary
}

// Other returns the other subscription key (primary for secondary and the
// reverse), or "" when n is not a subscription key.
func (n Name) Other() Name {
	switch n {
	case SubscriptionKeyPrimary:
		return SubscriptionKeySecondary
	case SubscriptionKeySecondary:
		return SubscriptionKeyPrimary
	}
	return ""
}

// label is how portal.vippsmobilepay.com and people call the key.
func (n Name) label() string {
	switch n {
	case ClientID:
		return "client_id"
	case ClientSecret:
		return "client_secret"
	case SubscriptionKeyPrimary:
		return "primary subscription key (Ocp-Apim-Subscription-Key)"
	case SubscriptionKeySecondary:
		return "secondary subscription key (Ocp-Apim-Subscription-Key)"
	}
	return string(n)
}

// Set is the key set of one sales unit (the contract's KeySet). Its secrets
// are [vipps.Secret] values, so printing, logging or json.Marshal of a Set never
// writes one: to persist a Set on purpose, store its [Set.Reveal] and load it
// back with [RevealedSet.Set] (or json.Unmarshal straight into a Set, which
// accepts values).
type Set struct {
	MSN                      string            `json:"msn"`
	Environment              vipps.Environment `json:"environment"` // vipps.Production or vipps.Test: its keys get tokens only there
	ClientID                 string            `json:"clientId"`
	ClientSecret             vipps.Secret      `json:"clientSecret"`
	SubscriptionKeyPrimary   vipps.Secret      `json:"subscriptionKeyPrimary"`
	SubscriptionKeySecondary vipps.Secret      `json:"subscriptionKeySecondary"`
	UpdatedAt                time.Time         `json:"updatedAt"` // when any key of the set last changed
}

// plainSet is a Set without its printing methods: fmt prints its fields, each
// Secret by its own Format, so redacted.
type plainSet Set

// String prints the set with its secrets redacted.
func (s Set) String() string { return fmt.Sprint(plainSet(s)) }

// Format prints the set with its secrets redacted, for every verb. A Set
// needs it despite its Secret fields: fmt honours no method of a field
// reached through a pointer printed with a verb other than %v (a *Set in
// another struct, printed with %s or %q), and prints the field as it is.
func (s Set) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, "keys.Set"+strings.TrimPrefix(fmt.Sprintf("%#v", plainSet(s)), "keys.plainSet"))
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), plainSet(s))
}

// SubscriptionKey returns the value of the named subscription key, or an empty
// Secret when n is not SubscriptionKeyPrimary or SubscriptionKeySecondary.
func (s Set) SubscriptionKey(n Name) vipps.Secret {
	switch n {
	case SubscriptionKeyPrimary:
		return s.SubscriptionKeyPrimary
	case SubscriptionKeySecondary:
		return s.SubscriptionKeySecondary
	}
	return ""
}

// with returns s with key n set to v (for a value an operator pasted).
func (s Set) with(n Name, v string) Set {
	switch n {
	case ClientID:
		s.ClientID = v
	case ClientSecret:
		s.ClientSecret = vipps.Secret(v)
	case SubscriptionKeyPrimary:
		s.SubscriptionKeyPrimary = vipps.Secret(v)
	case SubscriptionKeySecondary:
		s.SubscriptionKeySecondary = vipps.Secret(v)
	}
	return s
}

// value returns key n's value as a Secret (the client id too, for comparisons).
func (s Set) value(n Name) vipps.Secret {
	if n == ClientID {
		return vipps.Secret(s.ClientID)
	}
	if n == ClientSecret {
		return s.ClientSecret
	}
	return s.SubscriptionKey(n)
}

// Reveal returns the set with its secrets in the clear, for a store the caller
// chose on purpose (a secrets manager, a 0600 file): json.Marshal of the
// result writes every value. Load it back with [RevealedSet.Set].
func (s Set) Reveal() RevealedSet {
	return RevealedSet{
		MSN: s.MSN, Environment: s.Environment, ClientID: s.ClientID,
		ClientSecret:             s.ClientSecret.Reveal(),
		SubscriptionKeyPrimary:   s.SubscriptionKeyPrimary.Reveal(),
		SubscriptionKeySecondary: s.SubscriptionKeySecondary.Reveal(),
		UpdatedAt:                s.UpdatedAt,
	}
}

// RevealedSet is a [Set] whose secrets are plain strings, made by [Set.Reveal]
// for persisting: json.Marshal writes every value, with the same field names
// as the contract's KeySet (so does slog's JSON handler when a RevealedSet is
// a field of the struct it logs: it is json.Marshal). Only JSON reveals it:
// fmt and slog print it as the redacted Set, so an accidental log line of one
// still leaks nothing.
type RevealedSet struct {
	MSN                      string            `json:"msn"`
	Environment              vipps.Environment `json:"environment"`
	ClientID                 string            `json:"clientId"`
	ClientSecret             string            `json:"clientSecret"`
	SubscriptionKeyPrimary   string            `json:"subscriptionKeyPrimary"`
	SubscriptionKeySecondary string            `json:"subscriptionKeySecondary"`
	UpdatedAt                time.Time         `json:"updatedAt"`
}

// Set returns the key set with its secrets wrapped as [vipps.Secret] values again.
func (r RevealedSet) Set() Set {
	return Set{
		MSN: r.MSN, Environment: r.Environment, ClientID: r.ClientID,
		ClientSecret:             vipps.Secret(r.ClientSecret),
		SubscriptionKeyPrimary:   vipps.Secret(r.SubscriptionKeyPrimary),
		SubscriptionKeySecondary: vipps.Secret(r.SubscriptionKeySecondary),
		UpdatedAt:                r.UpdatedAt,
	}
}

// String prints the redacted Set.
func (r RevealedSet) String() string { return fmt.Sprint(r.Set()) }

// GoString prints the redacted Set (the %#v verb).
func (r RevealedSet) GoString() string { return fmt.Sprintf("%#v", r.Set()) }

// Format prints the redacted Set for every verb.
func (r RevealedSet) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), r.Set())
}

// LogValue logs the redacted Set.
func (r RevealedSet) LogValue() slog.Value { return slog.AnyValue(r.Set()) }
