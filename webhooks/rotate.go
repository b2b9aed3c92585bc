package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// RotateOptions shape [Service.RotateSecret]. They are a value, not a
// pointer where nil means the defaults: Store is required.
type RotateOptions struct {
	// Store keeps the new registration's secret where the receiver finds
	// it, beside the old one, and returns once the receiver verifies with
	// both (its [Key.Secrets] holds the two): the old registration is
	// deleted right after. If Store fails, the new registration is deleted
	// again and the old one stays as it was. Required.
	Store func(ctx context.Context, r *Registered) error
	// Overlap is how long both registrations stay live after Store, before
	// the old one is deleted: notifications Vipps queued for the old
	// registration alone (events from before the twin existed) are delivered
	// meanwhile instead of going with it. 0 means DefaultOverlap; a negative
	// value deletes at once. The wait ends early, with ctx's error and both
	// registrations live, when ctx ends.
	Overlap time.Duration
}

// DefaultOverlap is [RotateOptions.Overlap]'s default: Vipps delivers a
// notification within seconds of its event when the receiver answers.
const DefaultOverlap = 30 * time.Second

// RotateSecret replaces the secret of registration id (in the call's scope)
// without a notification being refused: it reads the registration
// (GET /webhooks/v1/webhooks), registers a twin with the same URL and
// events, stores the twin's secret with opts.Store, then deletes the old
// registration once [RotateOptions.Overlap] has passed. It returns the twin.
//
// Between the register and the delete, Vipps delivers each event to both
// registrations, each signed with its own secret: a receiver that verifies
// with both secrets accepts both (de-duplicate them as [Handler] says). The
// first deliveries to the twin may come before its secret has reached Store:
// a [Handler] serving a [Keyring] that Store adds the secret to holds them
// until then, so the receiver refuses none.
// Keep the old secret in the receiver's Key for a while after the rotation:
// Vipps may still be retrying an earlier delivery of the old registration.
//
// When 25 registrations of the scope already hold one of the events, the
// twin cannot be registered (400 webhook-limit-reached): nothing changes,
// the registration and its secret stay as they were, and the error says so.
// Free a slot by deleting another registration of those events in the
// scope and rotate again, or delete the registration and register it anew
// (events between the two are not delivered).
//
// An id that is not a UUID, or a nil opts.Store, is a
// *[vipps.ValidationError] before any request; an id that is not a
// registration of the call's scope is [vipps.ErrNotFound]. If Store fails,
// the twin is deleted again: a *[StoreError] (its Undo says whether that
// delete worked). If the final delete fails, the twin is returned with the
// error: both registrations are live and signed; delete the old one later.
// With [github.com/vippsportal/sdk/portal.WithIdempotencyKey] on ctx, the
// twin's register carries a key derived from it, so repeating the whole
// rotation with the same key after a crash registers no second twin; use a
// new key for each rotation.
func (s *Service) RotateSecret(ctx context.Context, id string, opts RotateOptions) (*Registered, error) {
	if err := core.CheckUUID("id", id); err != nil {
		return nil, err
	}
	if opts.Store == nil {
		return nil, core.Invalid("RotateOptions.Store", "is required: the new secret must reach the receiver before the old registration goes")
	}
	list, err := s.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhooks: RotateSecret: reading registration %s: %w", id, err)
	}
	i := slices.IndexFunc(list, func(w Webhook) bool { return w.ID == id })
	if i < 0 {
		return nil, fmt.Errorf("webhooks: RotateSecret: no registration %s in scope %s: %w", id, scopeName(s.client().MSN(ctx)), vipps.ErrNotFound)
	}
	old := list[i]
	twin, err := s.register(core.StepIdempotencyKey(ctx, "rotate-register"), old.URL, old.Events)
	if err != nil {
		return nil, limitHint("RotateSecret: registering a twin of "+id, err,
			"nothing changed: the registration and its secret are as they were. Delete another registration of these events in this scope and rotate again, or delete this one and register it anew (events in between are not delivered)")
	}
	if twin.ID == old.ID {
		// The caller's key replayed the register of an earlier rotation, whose
		// twin is this registration: deleting "the old one" would delete it.
		return nil, fmt.Errorf("webhooks: RotateSecret: the Idempotency-Key of the context replays an earlier rotation that created %s; nothing changed: use a new key for each rotation", id)
	}
	if err := opts.Store(ctx, twin); err != nil {
		return nil, &StoreError{Registered: twin, Err: err, Undo: s.Delete(ctx, twin.ID)}
	}
	if err := overlap(ctx, opts.Overlap); err != nil {
		return twin, fmt.Errorf("webhooks: RotateSecret: the new registration %s is registered and its secret stored; the old one %s is still live (delete it later): %w", twin.ID, old.ID, err)
	}
	if err := s.Delete(ctx, old.ID); err != nil && !errors.Is(err, vipps.ErrNotFound) {
		return twin, fmt.Errorf("webhooks: RotateSecret: the new registration %s is registered and its secret stored, but deleting the old one %s failed (both are live; delete it later): %w", twin.ID, old.ID, err)
	}
	return twin, nil
}

// overlap waits d (DefaultOverlap for 0, nothing for a negative d) or until ctx ends.
func overlap(ctx context.Context, d time.Duration) error {
	if d == 0 {
		d = DefaultOverlap
	}
	if d < 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
