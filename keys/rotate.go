package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// RotateOptions is a rotation for [Service.Rotate]: what it replaces, where
// every new set is stored, and the [Strategy] by which the new keys reach the
// integration. It is a value, not a pointer where nil means the defaults,
// because it has required fields: Strategy always; SubscriptionKeys,
// ClientSecret or both; Store, except with a [FleetStrategy]; InUse with
// SubscriptionKeys under a [DrainStrategy]. A missing one is a
// *[vipps.ValidationError] naming it (RotateOptions.Store ...).
type RotateOptions struct {
	// SubscriptionKeys replaces both subscription keys, one at a time, with a
	// switch of the integration to the fresh one in between.
	SubscriptionKeys bool
	// ClientSecret replaces the client secret after a fresh token was obtained
	// with the current set, so the integration keeps working on its token
	// while it switches.
	ClientSecret bool

	// Strategy is how the new keys reach the integration and what Rotate
	// waits for before it regenerates a key the integration used:
	// [LiveStrategy], [DrainStrategy] or [FleetStrategy]. Required.
	Strategy Strategy

	// InUse is the subscription key the integration uses now:
	// SubscriptionKeyPrimary or SubscriptionKeySecondary (the key NOT in use is
	// replaced first). "" means the strategy's: the live source's key in use
	// ([LiveStrategy]) or the fleet's ([FleetStrategy]); with a [DrainStrategy]
	// it is then required with SubscriptionKeys and means
	// SubscriptionKeyPrimary with only ClientSecret.
	InUse Name

	// Current is the set the integration holds now. nil means the strategy's
	// (the live source's set; with a [FleetStrategy] it must be nil: the
	// fleet's set), else Rotate reads it with [Service.Get] (a portal
	// operation). With a [ManualReplacer] pass the keys you hold.
	//
	// Pass the set the integration really uses: a [FileSource]'s Current may
	// be up to its CheckEvery old (call [FileSource.Reload] first, or pass the
	// set you wrote). Rotate proves the set with a token request before it
	// changes anything, but a set that is stale yet still valid (its spare key
	// already replaced elsewhere) is not caught.
	Current *Set

	// Store persists a new set together with the subscription key the
	// integration is to use: the set of record, in your secrets manager or a
	// 0600 file. Required with a [LiveStrategy] (a live source is memory) and
	// a [DrainStrategy]; optional with a [FleetStrategy], whose published set
	// is already durable (when given, Store runs before the set is published,
	// so a published set is always saved in your store too). It is called
	// after every change, only with sets that were verified. When it fails
	// the workflow stops and the *[StoreError] carries the set, so nothing is
	// lost.
	Store func(ctx context.Context, set Set, inUse Name) error

	// Switch, when set, makes the running integration use set with
	// subscription key inUse (reload its client, say). It is called right
	// after the Store that changes the key in use or the client secret, and
	// before the next regeneration. nil means the Store (or the strategy's
	// source or fleet) is the switch. It must be nil with a [FleetStrategy].
	Switch func(ctx context.Context, set Set, inUse Name) error

	// Replacer replaces one key. nil means [Service.Regenerate] (the portal
	// contract's regenerateKey). Use a *[ManualReplacer] against Vipps today.
	Replacer Replacer

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
	ActionSwitch     Action = "switch"     // Switch accepted the set, or every live replica of the fleet acknowledged it
	ActionDrain      Action = "drain"      // waited for the requests that carried the key (Took says how long)
)

// RotationStep is one step of a rotation. It names keys, never values.
type RotationStep struct {
	Action Action `json:"action"`
	// Key is the key concerned: the one replaced (regenerate, verify; store:
	// the key new in the stored set), the one the token was obtained with
	// (token), or the key in use (switch).
	Key       Name          `json:"key"`
	At        time.Time     `json:"at"`                 // when the step finished
	UpdatedAt time.Time     `json:"updatedAt,omitzero"` // the set's updatedAt after a regeneration
	Took      time.Duration `json:"tookNanos,omitzero"` // how long a drain waited
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

// Drains returns the drain steps of the report: which key, how long each took.
// A [FleetStrategy] rotation has none (the replicas' acknowledgements are its drains).
func (r *RotationReport) Drains() []RotationStep {
	var out []RotationStep
	for _, st := range r.Steps {
		if st.Action == ActionDrain {
			out = append(out, st)
		}
	}
	return out
}

// RotationReport is what a rotation did and when. It names keys and times,
// never values: printing it or json.Marshal of it shows no secret value.
type RotationReport struct {
	MSN         string            `json:"msn"`
	Environment vipps.Environment `json:"environment"`
	Started     time.Time         `json:"started"`
	Finished    time.Time         `json:"finished"`
	Rotated     []Name            `json:"rotated"`   // keys replaced, in order
	InUse       Name              `json:"inUse"`     // the subscription key the integration uses at the end
	UpdatedAt   time.Time         `json:"updatedAt"` // updatedAt of the last set stored
	Steps       []RotationStep    `json:"steps"`
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

// StoreError is a rotation that stopped where a new set was to be stored or
// switched to: Action [ActionStore] when [RotateOptions.Store] failed or the
// strategy could not take the set (a [LiveSource] refusing it, a [Fleet]
// refusing to publish it), [ActionSwitch] when [RotateOptions.Switch] failed
// or a fleet's replicas did not acknowledge it in time. Set is the newest
// set, already in force at Vipps and verified: with ActionStore save it, the
// value it replaced may no longer work. errors.As finds it in Rotate's error;
// Err is the cause.
type StoreError struct {
	MSN    string
	Action Action // ActionStore or ActionSwitch
	Set    Set    // the new set (printing it shows no secret)
	InUse  Name   // the subscription key the integration was to use
	Err    error
}

// Error says which set could not be stored or switched to, and why.
func (e *StoreError) Error() string {
	if e.Action == ActionSwitch {
		return fmt.Sprintf("keys: switching sales unit %s to its new key set failed (it was stored; the error carries it): %v", e.MSN, e.Err)
	}
	return fmt.Sprintf("keys: storing the new key set of sales unit %s failed (the error carries it: save it): %v", e.MSN, e.Err)
}

// Unwrap returns the cause.
func (e *StoreError) Unwrap() error { return e.Err }

// RotationError is a rotation that stopped at a step other than storing or
// switching (those are a [StoreError]). When a key had changed and the newest
// set had not been stored, Unsaved holds it: save it, the value it replaced
// may no longer work. Err is the cause (a *[vipps.Error], a *[KeyError], a
// *[DrainError], a [Fleet]'s error ...).
type RotationError struct {
	MSN     string
	Action  Action
	Key     Name
	Unsaved *Set
	Err     error
}

// Error names the step and key the rotation stopped at, and why.
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

// UnsavedSet finds, in an error of [Service.Rotate], the newest key set that
// did not reach the store (from a *[StoreError] or a *[RotationError]), so a
// caller can save it by other means.
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
// GET /portal/v1/sales-units/{msn}/keys (only when no current set is known),
// POST /accesstoken/get and the [Replacer] (by default POST
// /portal/v1/sales-units/{msn}/keys/regenerate).
//
// Subscription keys are interchangeable, so: replace the one not in use,
// verify, Store (and switch) with the fresh one in use, drain (wait until no
// request carries the old key), replace the other, verify, Store. The client
// secret is one: get a fresh token with the current set (it proves the set and
// the integration keeps working on its token), make sure the integration holds
// a token, replace the secret, verify the new set, Store, switch. With both,
// the subscription keys go first. Every set is verified before it is stored.
// How the integration switches and what Rotate waits for is the
// [RotateOptions.Strategy]: each strategy documents what the integration must
// do for no call to fail.
//
// Bad options are refused with a *[vipps.ValidationError] naming the field
// before anything is sent. The report is returned even on error, with the
// steps done. An error after a key changed carries the newest set (see
// [StoreError], [RotationError] and [UnsavedSet]). Do not run two rotations
// of one unit at once ([FleetStrategy] makes sure of it across processes).
func (s *Service) Rotate(ctx context.Context, msn string, o RotateOptions) (*RotationReport, error) {
	inUse, err := checkRotateOptions(ctx, msn, &o)
	if err != nil {
		return nil, err
	}
	if s.client() == nil {
		return nil, core.NotBuilt("Keys.Rotate")
	}
	r := &rotation{s: s, o: o, replacer: o.Replacer, msn: msn, inUse: inUse,
		rep: &RotationReport{MSN: msn, Started: time.Now(), InUse: inUse}}
	if r.replacer == nil {
		r.replacer = s.portalReplacer()
	}
	stop, err := o.Strategy.start(ctx, r)
	if err == nil {
		if stop != nil {
			defer stop()
		}
		err = r.run(ctx)
	}
	r.rep.Finished = time.Now()
	return r.rep, err
}

func checkRotateOptions(ctx context.Context, msn string, o *RotateOptions) (Name, error) {
	if err := core.CheckContext(ctx); err != nil {
		return "", err
	}
	if err := core.CheckMSN("msn", msn); err != nil {
		return "", err
	}
	switch o.Strategy.(type) {
	case LiveStrategy, DrainStrategy, FleetStrategy:
	case nil:
		return "", core.Invalid("RotateOptions.Strategy", "is required: keys.LiveStrategy, keys.DrainStrategy or keys.FleetStrategy")
	default: // a pointer to one (nil, say)
		return "", core.Invalid("RotateOptions.Strategy", "must be a keys.LiveStrategy, keys.DrainStrategy or keys.FleetStrategy value, got %T", o.Strategy)
	}
	if !o.SubscriptionKeys && !o.ClientSecret {
		return "", core.Invalid("RotateOptions", "choose SubscriptionKeys, ClientSecret or both")
	}
	if _, fleet := o.Strategy.(FleetStrategy); o.Store == nil && !fleet {
		return "", core.Invalid("RotateOptions.Store", "is required: every new key set must be saved (only a FleetStrategy's published set needs no Store)")
	}
	if err := o.Strategy.check(msn, o); err != nil {
		return "", err
	}
	inUse := o.InUse
	if inUse == "" {
		if _, fleet := o.Strategy.(FleetStrategy); fleet {
			return "", nil // the fleet's, read once its lease is held
		}
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
	first     AccessToken // the token of the first token step
	stored    bool        // a set was stored in this rotation
	published int64       // the fleet's version of the last set published
	s         *Service
	o         RotateOptions
	replacer  Replacer
	msn       string
	inUse     Name
	rep       *RotationReport
}

func (r *rotation) step(a Action, key Name, updatedAt time.Time) {
	r.stepTook(a, key, updatedAt, 0)
}

func (r *rotation) stepTook(a Action, key Name, updatedAt time.Time, took time.Duration) {
	st := RotationStep{Action: a, Key: key, At: time.Now(), UpdatedAt: updatedAt, Took: took}
	r.rep.Steps = append(r.rep.Steps, st)
	if r.o.OnStep != nil {
		r.o.OnStep(st)
	}
}

func (r *rotation) run(ctx context.Context) error {
	inUse := r.inUse
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
	if _, err := r.token(ctx, cur, inUse); err != nil {
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

		// The old key is regenerated only once no request carries it any more.
		if err := r.o.Strategy.drain(ctx, r, old); err != nil {
			return err
		}
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
		tok := r.first
		if r.o.SubscriptionKeys {
			var err error
			if tok, err = r.token(ctx, cur, inUse); err != nil {
				return err
			}
		}
		// The integration must hold a token before the secret changes.
		if err := r.o.Strategy.handOff(ctx, r, cur, tok); err != nil {
			return err
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
func (r *rotation) token(ctx context.Context, set Set, inUse Name) (AccessToken, error) {
	url := r.s.c.TokenURL(string(set.Environment))
	t, err := r.s.c.FetchToken(ctx, r.s.credentials(set, inUse), url)
	if err != nil {
		return AccessToken{}, &RotationError{MSN: r.msn, Action: ActionToken, Key: inUse, Err: keyError(r.msn, inUse, err)}
	}
	r.step(ActionToken, inUse, time.Time{})
	tok := AccessToken{Value: t.AccessToken, Received: t.Received, ExpiresIn: t.ExpiresIn, TokenURL: url,
		issuedTo: fingerprint(set.ClientID, set.ClientSecret)}
	if r.first.Value.IsZero() {
		r.first = tok
	}
	return tok, nil
}

// regenerate replaces key n through the Replacer and verifies the new set.
func (r *rotation) regenerate(ctx context.Context, cur Set, n Name) (Set, error) {
	if err := ctx.Err(); err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n, Err: err}
	}
	// The last moment to find out that this rotator may no longer change keys.
	if err := r.o.Strategy.fence(ctx); err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n, Err: err}
	}
	// Each regeneration is its own call: a caller's Idempotency-Key gets one derived per key.
	next, err := r.replacer.Replace(core.StepIdempotencyKey(ctx, "regenerate-"+string(n)), Replacement{Current: cur, Name: n, Verify: r.s.verify})
	if err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n, Err: err}
	}
	if next.MSN != cur.MSN || next.value(n) == cur.value(n) || next.value(n).IsZero() {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n,
			Err: errors.New("the replacer returned a set whose key did not change (or of another sales unit)")}
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

// store hands set to Store and the strategy and, when the integration must
// change what it uses (switching), to Switch and the strategy's wait.
func (r *rotation) store(ctx context.Context, set Set, inUse Name, switching bool) error {
	if r.o.Store != nil {
		if err := r.o.Store(ctx, set, inUse); err != nil {
			return &StoreError{MSN: r.msn, Action: ActionStore, Set: set, InUse: inUse, Err: err}
		}
	}
	if err := r.o.Strategy.put(ctx, r, set, inUse); err != nil {
		return &StoreError{MSN: r.msn, Action: ActionStore, Set: set, InUse: inUse, Err: err}
	}
	r.rep.UpdatedAt = set.UpdatedAt
	r.stored = true
	r.step(ActionStore, r.rep.Rotated[len(r.rep.Rotated)-1], time.Time{}) // the key new in set, not the one in use
	if !switching {
		return nil
	}
	switched := false
	if r.o.Switch != nil {
		if err := r.o.Switch(ctx, set, inUse); err != nil {
			return &StoreError{MSN: r.msn, Action: ActionSwitch, Set: set, InUse: inUse, Err: err}
		}
		switched = true
	}
	waited, err := r.o.Strategy.settle(ctx, r)
	if err != nil {
		return &StoreError{MSN: r.msn, Action: ActionSwitch, Set: set, InUse: inUse, Err: err}
	}
	if switched || waited {
		r.step(ActionSwitch, inUse, time.Time{})
	}
	return nil
}
