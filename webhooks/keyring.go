package webhooks

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/vippsportal/sdk/vipps"
)

// KeySource gives a [Handler] the key to verify each notification with. A
// [Key] is one (it gives itself, unchanged); a [*Keyring] is one that changes
// while the Handler serves, as a secret rotation adds the new secret.
type KeySource interface {
	CurrentKey() Key
}

// CurrentKey returns k: a Key is a KeySource that never changes.
func (k Key) CurrentKey() Key { return k }

// Keyring is a Key that can change while a [Handler] serves it: give the
// Handler the Keyring, and let a rotation's Store add the new secret
// ([Keyring.AddSecret]) and later remove the old one.
//
// Vipps may deliver a notification to a new registration before the answer
// that holds its secret has reached your Store. A Handler serving a Keyring
// does not refuse such a notification at once: when its signature matches no
// secret, it waits (up to [WithSecretWait]) for the Keyring to change and
// verifies again, so a rotation refuses no notification. Its zero value is not
// usable: make one with [NewKeyring]. It is safe for concurrent use.
type Keyring struct {
	mu      sync.Mutex
	key     Key
	changed chan struct{} // closed, and replaced, at every change
}

// NewKeyring returns a Keyring holding key (its Secrets are copied).
func NewKeyring(key Key) *Keyring {
	key.Secrets = slices.Clone(key.Secrets)
	return &Keyring{key: key, changed: make(chan struct{})}
}

// CurrentKey returns the key as it is now (a copy the caller may keep).
func (r *Keyring) CurrentKey() Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.key
	k.Secrets = slices.Clone(k.Secrets)
	return k
}

// AddSecret makes notifications signed with s authentic too (a rotation's new
// secret), and wakes the notifications waiting for a change.
func (r *Keyring) AddSecret(s vipps.Secret) {
	r.change(func(k *Key) {
		if !slices.Contains(k.Secrets, s) {
			k.Secrets = append(k.Secrets, s)
		}
	})
}

// RemoveSecret stops accepting notifications signed with s (a rotated-out
// secret, once Vipps has no delivery of the old registration left to retry).
func (r *Keyring) RemoveSecret(s vipps.Secret) {
	r.change(func(k *Key) { k.Secrets = slices.DeleteFunc(k.Secrets, func(x vipps.Secret) bool { return x == s }) })
}

// Changed returns a channel that is closed at the next change of the key.
func (r *Keyring) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

func (r *Keyring) change(f func(*Key)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.key)
	close(r.changed)
	r.changed = make(chan struct{})
}

// String names the key's URL and how many secrets it holds, never one.
func (r *Keyring) String() string {
	k := r.CurrentKey()
	return fmt.Sprintf("webhooks.Keyring{URL: %q, secrets: %d}", k.URL, len(k.Secrets))
}

// GoString is String (the %#v verb).
func (r *Keyring) GoString() string { return r.String() }

// Format prints String for every verb, so no secret is shown however a
// Keyring is printed.
func (r *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue logs the URL and the number of secrets.
func (r *Keyring) LogValue() slog.Value {
	k := r.CurrentKey()
	return slog.GroupValue(slog.String("url", k.URL), slog.Int("secrets", len(k.Secrets)))
}
