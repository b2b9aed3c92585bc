package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vippsportal/sdk/internal/core"
)

// RotateOptions choose what Rotate replaces and how the new keys reach the
// integration. Store is required; so is InUse when SubscriptionKeys is set.
type RotateOptions struct {
	// SubscriptionKeys replaces both subscription keys, one at a time, with a
	// switch of the integration to the fresh one in between.
	SubscriptionKeys bool
	// ClientSecret replaces the client secret after a fresh token was obtained
	// with the current set, so the integration keeps working on its token
	// while it switches.
	ClientSecret bool

	// InUse is the subscription key the integration uses now:
	// SubscriptionKeyPrimary or SubscriptionKeySecondary. Required with
	// SubscriptionKeys (the key NOT in use is replaced first); with only
	// ClientSecret, "" means SubscriptionKeyPrimary.
	InUse Name

	// Current is the set the integration holds now. nil means: read it with
	// Get (a portal operation). With a ManualRegenerator pass the keys you hold.
	Current *Set

	// Store persists a new set together with the subscription key the
	// integration is to use. It is called after every change, only with sets
	// that were verified. When it fails the workflow stops and the *StoreError
	// carries the set, so nothing is lost.
	Store func(ctx context.Context, set Set, inUse Name) error

	// Switch makes the running integration use set with subscription key inUse
	// (reload its client, say). It is called right after the Store that changes
	// the key in use or the client secret, and before the next regeneration.
	// nil means the store is the switch: the integration reads its keys from
	// the store whenever they change.
	Switch func(ctx context.Context, set Set, inUse Name) error

	// Regenerator replaces one key; nil means the portal contract
	// (Service.Regenerator). Use a *ManualRegenerator against Vipps today.
	Regenerator Regenerator

	// OnStep, when set, is called after each step (for progress output).
	OnStep func(RotationStep)
}

// Action is what a step of a rotation did.
type Action string

// The steps of a rotation.
const (
	ActionFetch      Action = "fetch"      // read the current set (getKeys)
	ActionToken      Action = "token"      // got a fresh access token with the current set
	ActionRegenerate Action = "regenerate" // replaced a key
	ActionVerify     Action = "verify"     // every subscription key of the new set got a token
	ActionStore      Action = "store"      // Store accepted the set
	ActionSwitch     Action = "switch"     // Switch accepted the set
)

// RotationStep is one step of a rotation. It names keys, never values.
type RotationStep struct {
	Action Action
	// Key is the key concerned: the one replaced (regenerate, verify; store:
	// the key new in the stored set), the one the token was obtained with
	// (token), or the key in use (switch).
	Key       Name
	At        time.Time // when the step finished
	UpdatedAt time.Time `json:",omitzero"` // the set's updatedAt after a regeneration
}

// String names the action and the key ("regenerate subscriptionKeySecondary"), without the times.
func (s RotationStep) String() string {
	if s.Key == "" {
		return string(s.Action)
	}
	if s.Action == ActionStore {
		return "store new " + string(s.Key)
	}
	return string(s.Action) + " " + string(s.Key)
}

// RotationReport is what a rotation did and when. It names keys and times,
// never values: printing it or json.Marshal of it shows no secret value.
type RotationReport struct {
	MSN         string
	Environment string
	Started     time.Time
	Finished    time.Time
	Rotated     []Name    // keys replaced, in order
	InUse       Name      // the subscription key the integration uses at the end
	UpdatedAt   time.Time // updatedAt of the last set stored
	Steps       []RotationStep
}

// String is a one-line summary.
func (r *RotationReport) String() string {
	if r == nil {
		return "<nil>"
	}
	rot := make([]string, len(r.Rotated))
	for i, n := range r.Rotated {
		rot[i] = string(n)
	}
	if len(rot) == 0 {
		rot = []string{"nothing"}
	}
	return fmt.Sprintf("sales unit %s: rotated %s in %d steps; in use: %s", r.MSN, strings.Join(rot, ", "), len(r.Steps), r.InUse)
}

// StoreError is a Store (or Switch) callback that failed. The workflow stopped
// there; Set is the newest set, already in force at Vipps and verified: save
// it, the value it replaced may no longer work. errors.As finds it in Rotate's
// error; Err is the callback's error.
type StoreError struct {
	MSN    string
	Action Action // ActionStore or ActionSwitch
	Set    Set    // the new set (printing it shows no secret)
	InUse  Name   // the subscription key the integration was to use
	Err    error
}

func (e *StoreError) Error() string {
	if e.Action == ActionSwitch {
		return fmt.Sprintf("keys: switching sales unit %s to its new key set failed (it was stored; the error carries it): %v", e.MSN, e.Err)
	}
	return fmt.Sprintf("keys: storing the new key set of sales unit %s failed (the error carries it: save it): %v", e.MSN, e.Err)
}

// Unwrap returns the callback's error.
func (e *StoreError) Unwrap() error { return e.Err }

// RotationError is a rotation that stopped at a step other than Store. When a
// key had changed and the newest set had not been stored, Unsaved holds it:
// save it, the value it replaced may no longer work. Err is the cause (a
// *portal.Error, a *KeyError ...).
type RotationError struct {
	MSN     string
	Action  Action
	Key     Name
	Unsaved *Set
	Err     error
}

func (e *RotationError) Error() string {
	s := fmt.Sprintf("keys: rotating sales unit %s stopped at %s", e.MSN, e.Action)
	if e.Key != "" {
		s += " " + string(e.Key)
	}
	if e.Unsaved != nil {
		s += " (the error carries the new, unsaved key set)"
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RotationError) Unwrap() error { return e.Err }

// UnsavedSet finds, in an error of Rotate, the newest key set that did not
// reach the store (from a *StoreError or a *RotationError), so a caller can
// save it by other means.
func UnsavedSet(err error) (Set, bool) {
	var se *StoreError
	if errors.As(err, &se) && se.Action == ActionStore {
		return se.Set, true
	}
	var re *RotationError
	if errors.As(err, &re) && re.Unsaved != nil {
		return *re.Unsaved, true
	}
	return Set{}, false
}

// Rotate replaces keys of a sales unit without downtime, composing
// GET /portal/v1/sales-units/{msn}/keys (only when Current is nil), POST
// /accesstoken/get and the Regenerator (by default POST
// /portal/v1/sales-units/{msn}/keys/regenerate).
//
// Subscription keys are interchangeable, so: replace the one not in use,
// verify, Store (and Switch) with the fresh one in use, replace the other,
// verify, Store. The client secret is one: get a fresh token with the current
// set (it proves the set and the integration keeps working on its token),
// replace the secret, verify the new set, Store, Switch. With both, the
// subscription keys go first. Every set is verified before it is stored.
//
// The report is returned even on error, with the steps done. An error after a
// key changed carries the newest set (see StoreError, RotationError and
// UnsavedSet). Do not run two rotations of one unit at once.
func (s *Service) Rotate(ctx context.Context, msn string, o RotateOptions) (*RotationReport, error) {
	inUse, err := checkRotateOptions(msn, &o)
	if err != nil {
		return nil, err
	}
	if s.client() == nil {
		return nil, core.NotBuilt("Keys.Rotate")
	}
	r := &rotation{s: s, o: o, regen: o.Regenerator, msn: msn,
		rep: &RotationReport{MSN: msn, Started: time.Now(), InUse: inUse}}
	if r.regen == nil {
		r.regen = s.Regenerator()
	}
	err = r.run(ctx, inUse)
	r.rep.Finished = time.Now()
	return r.rep, err
}

func checkRotateOptions(msn string, o *RotateOptions) (Name, error) {
	if err := core.CheckMSN("msn", msn); err != nil {
		return "", err
	}
	if !o.SubscriptionKeys && !o.ClientSecret {
		return "", core.Invalid("RotateOptions", "choose SubscriptionKeys, ClientSecret or both")
	}
	if o.Store == nil {
		return "", core.Invalid("RotateOptions.Store", "is required: every new key set must be saved")
	}
	inUse := o.InUse
	if inUse == "" && !o.SubscriptionKeys {
		inUse = SubscriptionKeyPrimary
	}
	if !inUse.IsSubscriptionKey() {
		return "", core.Invalid("RotateOptions.InUse", "must be subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(o.InUse))
	}
	if o.Current != nil {
		if err := checkSet("RotateOptions.Current", o.Current); err != nil {
			return "", err
		}
		if o.Current.MSN != msn {
			return "", core.Invalid("RotateOptions.Current.MSN", "is %q, but the sales unit rotated is %q", o.Current.MSN, msn)
		}
	}
	return inUse, nil
}

type rotation struct {
	s     *Service
	o     RotateOptions
	regen Regenerator
	msn   string
	rep   *RotationReport
}

func (r *rotation) step(a Action, key Name, updatedAt time.Time) {
	st := RotationStep{Action: a, Key: key, At: time.Now(), UpdatedAt: updatedAt}
	r.rep.Steps = append(r.rep.Steps, st)
	if r.o.OnStep != nil {
		r.o.OnStep(st)
	}
}

func (r *rotation) run(ctx context.Context, inUse Name) error {
	var cur Set
	if r.o.Current != nil {
		cur = *r.o.Current
	} else {
		got, err := r.s.Get(ctx, r.msn)
		if err != nil {
			return &RotationError{MSN: r.msn, Action: ActionFetch, Err: err}
		}
		cur = *got
		r.step(ActionFetch, "", cur.UpdatedAt)
	}
	r.rep.Environment, r.rep.UpdatedAt = cur.Environment, cur.UpdatedAt

	// Before anything changes: the set we start from must work with the key in use.
	if err := r.token(ctx, cur, inUse); err != nil {
		return err
	}

	if r.o.SubscriptionKeys {
		old, spare := inUse, inUse.Other()
		next, err := r.regenerate(ctx, cur, spare)
		if err != nil {
			return err
		}
		// The fresh key goes into use: the old one stays valid until it is replaced below.
		if err := r.store(ctx, next, spare, true); err != nil {
			return err
		}
		inUse, cur = spare, next
		r.rep.InUse = inUse

		if next, err = r.regenerate(ctx, cur, old); err != nil {
			return err
		}
		if err := r.store(ctx, next, inUse, false); err != nil {
			return err
		}
		cur = next
	}

	if r.o.ClientSecret {
		// Tokens already issued stay valid after the secret changes: a fresh
		// one proves the set and carries the integration through its switch.
		if r.o.SubscriptionKeys {
			if err := r.token(ctx, cur, inUse); err != nil {
				return err
			}
		}
		next, err := r.regenerate(ctx, cur, ClientSecret)
		if err != nil {
			return err
		}
		if err := r.store(ctx, next, inUse, true); err != nil {
			return err
		}
	}
	return nil
}

// token gets a fresh access token for set with subscription key inUse, outside the cache.
func (r *rotation) token(ctx context.Context, set Set, inUse Name) error {
	_, err := r.s.c.FetchToken(ctx, r.s.credentials(set, inUse), r.s.c.TokenURL(set.Environment))
	if err != nil {
		return &RotationError{MSN: r.msn, Action: ActionToken, Key: inUse, Err: &KeyError{MSN: r.msn, Name: inUse, Err: err}}
	}
	r.step(ActionToken, inUse, time.Time{})
	return nil
}

// regenerate replaces key n through the Regenerator and verifies the new set.
func (r *rotation) regenerate(ctx context.Context, cur Set, n Name) (Set, error) {
	if err := ctx.Err(); err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n, Err: err}
	}
	next, err := r.regen.Regenerate(ctx, Regeneration{Current: cur, Name: n, Verify: r.s.verify})
	if err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n, Err: err}
	}
	if next.MSN != cur.MSN || next.value(n) == cur.value(n) || next.value(n).IsZero() {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n,
			Err: errors.New("the regenerator returned a set whose key did not change (or of another sales unit)")}
	}
	r.rep.Rotated = append(r.rep.Rotated, n)
	r.step(ActionRegenerate, n, next.UpdatedAt)
	if err := checkSet("regenerated set", &next); err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionVerify, Key: n, Unsaved: &next, Err: err}
	}
	if _, err := r.s.verify(ctx, next); err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionVerify, Key: n, Unsaved: &next, Err: err}
	}
	r.step(ActionVerify, n, time.Time{})
	return next, nil
}

// store hands set to Store and, when the integration must change what it
// uses (switching), to Switch.
func (r *rotation) store(ctx context.Context, set Set, inUse Name, switching bool) error {
	if err := r.o.Store(ctx, set, inUse); err != nil {
		return &StoreError{MSN: r.msn, Action: ActionStore, Set: set, InUse: inUse, Err: err}
	}
	r.rep.UpdatedAt = set.UpdatedAt
	r.step(ActionStore, r.rep.Rotated[len(r.rep.Rotated)-1], time.Time{}) // the key new in set, not the one in use
	if switching && r.o.Switch != nil {
		if err := r.o.Switch(ctx, set, inUse); err != nil {
			return &StoreError{MSN: r.msn, Action: ActionSwitch, Set: set, InUse: inUse, Err: err}
		}
		r.step(ActionSwitch, inUse, time.Time{})
	}
	return nil
}
