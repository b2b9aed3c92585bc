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
	// SubscriptionKeys (the key NOT in use is replaced first) unless Live is
	// given ("" then means Live's); with only ClientSecret, "" means
	// SubscriptionKeyPrimary.
	InUse Name

	// Current is the set the integration holds now. nil means: Live's set when
	// Live is given, else read it with Get (a portal operation). With a
	// ManualRegenerator pass the keys you hold.
	Current *Set

	// Store persists a new set together with the subscription key the
	// integration is to use. It is called after every change, only with sets
	// that were verified. When it fails the workflow stops and the *StoreError
	// carries the set, so nothing is lost. Required unless Live is set.
	Store func(ctx context.Context, set Set, inUse Name) error

	// Live is the source the integration reads its keys from
	// (portal.WithKeySource): Rotate puts every new set into it right after
	// Store, and, knowing its requests in flight, regenerates a subscription key
	// that was in use only once every request carrying it has its answer; before
	// replacing the client secret it hands Live the token it just obtained, and
	// waits for the requests begun before, so no client asks for a token with
	// the old secret. This is how a rotation loses no call (see Drain for the
	// pattern without a live source).
	Live *LiveSource

	// HandOff, without Live, receives the token Rotate obtained with set (the
	// set in force) just before it replaces the client secret: give it to the
	// client that uses set (portal.Client.UseToken), so that it holds a token
	// while the secret changes even if it has made no call yet. Live gets the
	// token without this. An error stops the rotation before the secret changes.
	HandOff func(ctx context.Context, set Set, tok AccessToken) error

	// Drain, without Live, is how long Rotate waits after the integration
	// switched away from a subscription key before it regenerates that key,
	// and after the last Store before it replaces the client secret: the
	// requests sent with the old key finish meanwhile, and a client your Store
	// swapped in gets its token while the old secret still works. Rotate cannot
	// see those requests, so choose Drain longer than your longest call
	// (retries included). 0 means DefaultDrain; a negative value, no wait (only
	// when nothing uses the keys during the rotation).
	//
	// With Live, Drain bounds each wait for requests in flight instead (0:
	// DefaultMaxDrain); past it Rotate stops with a *DrainError and regenerates
	// nothing more (every set so far is stored).
	Drain time.Duration

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
	ActionDrain      Action = "drain"      // waited for the requests that carried the key (Took says how long)
)

// DefaultDrain is RotateOptions.Drain's default without a live source.
const DefaultDrain = 10 * time.Second

// RotationStep is one step of a rotation. It names keys, never values.
type RotationStep struct {
	Action Action
	// Key is the key concerned: the one replaced (regenerate, verify; store:
	// the key new in the stored set), the one the token was obtained with
	// (token), or the key in use (switch).
	Key       Name
	At        time.Time     // when the step finished
	UpdatedAt time.Time     `json:",omitzero"` // the set's updatedAt after a regeneration
	Took      time.Duration `json:",omitzero"` // how long a drain waited
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
	MSN         string
	Environment vipps.Environment
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
// *vipps.Error, a *KeyError ...).
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
// verify, Store (and Switch) with the fresh one in use, drain (wait until no
// request carries the old key), replace the other, verify, Store. The client
// secret is one: get a fresh token with the current set (it proves the set and
// the integration keeps working on its token), hand it to the integration
// (Live) or give a client Store swapped in time to get its own (Drain),
// replace the secret, verify the new set, Store, Switch. With both, the
// subscription keys go first. Every set is verified before it is stored.
//
// Zero failed calls: give the integration's client portal.WithKeySource(live)
// and Rotate RotateOptions.Live: live. Rotate then knows the requests in
// flight per key and waits exactly as long as they take (drain steps in the
// report say how long). Without a live source (a Store that swaps in a client
// built from the new set), Rotate waits Drain, a bound it cannot check, and
// hands its token to HandOff (portal.Client.UseToken).
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
	if o.Store == nil && o.Live == nil {
		return "", core.Invalid("RotateOptions.Store", "is required (or Live): every new key set must be saved")
	}
	if o.Live != nil {
		// The live source holds what the integration uses: it is the current
		// set and key in use unless they are given, and must agree when they are.
		set, n := o.Live.Current()
		switch {
		case set.MSN != msn:
			return "", core.Invalid("RotateOptions.Live", "holds the keys of sales unit %q, but the sales unit rotated is %q", set.MSN, msn)
		case o.InUse == "":
			o.InUse = n
		case o.InUse != n:
			return "", core.Invalid("RotateOptions.InUse", "is %s, but the live source's key in use is %s", o.InUse, n)
		}
		if o.Current == nil {
			o.Current = &set
		}
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
	first  AccessToken // the token of the first token step
	stored bool        // a set was stored in this rotation
	s      *Service
	o      RotateOptions
	regen  Regenerator
	msn    string
	rep    *RotationReport
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
		if err := r.drain(ctx, old); err != nil {
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
		// The integration must hold a token before the secret changes: hand it
		// this one (live source), or give a client Store swapped in time to get its own.
		if r.o.Live != nil || r.o.HandOff != nil || r.stored {
			if err := r.handOff(ctx, cur, tok); err != nil {
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
func (r *rotation) token(ctx context.Context, set Set, inUse Name) (AccessToken, error) {
	url := r.s.c.TokenURL(string(set.Environment))
	t, err := r.s.c.FetchToken(ctx, r.s.credentials(set, inUse), url)
	if err != nil {
		return AccessToken{}, &RotationError{MSN: r.msn, Action: ActionToken, Key: inUse, Err: &KeyError{MSN: r.msn, Name: inUse, Err: err}}
	}
	r.step(ActionToken, inUse, time.Time{})
	tok := AccessToken{Value: t.AccessToken, Received: t.Received, ExpiresIn: t.ExpiresIn, TokenURL: url,
		issuedTo: fingerprint(set.ClientID, set.ClientSecret)}
	if r.first.Value.IsZero() {
		r.first = tok
	}
	return tok, nil
}

// drain waits until the requests carrying subscription key n, which the
// integration no longer uses, have their answers: counted with a live source,
// for RotateOptions.Drain without one.
func (r *rotation) drain(ctx context.Context, n Name) error {
	if r.o.Live != nil {
		took, err := r.o.Live.Drain(ctx, n, r.o.Drain)
		if err != nil {
			return &RotationError{MSN: r.msn, Action: ActionDrain, Key: n, Err: err}
		}
		r.stepTook(ActionDrain, n, time.Time{}, took)
		return nil
	}
	return r.wait(ctx, n)
}

// handOff gives the live source the token obtained with set before the client
// secret changes, and waits for the requests begun before it; without a live
// source it waits RotateOptions.Drain.
func (r *rotation) handOff(ctx context.Context, set Set, tok AccessToken) error {
	if r.o.Live != nil {
		took, err := r.o.Live.handOff(ctx, tok, r.o.Drain)
		if err != nil {
			return &RotationError{MSN: r.msn, Action: ActionDrain, Key: ClientSecret, Err: err}
		}
		r.stepTook(ActionDrain, ClientSecret, time.Time{}, took)
		return nil
	}
	if r.o.HandOff != nil {
		if err := r.o.HandOff(ctx, set, tok); err != nil {
			return &RotationError{MSN: r.msn, Action: ActionToken, Key: ClientSecret, Err: err}
		}
	}
	return r.wait(ctx, ClientSecret)
}

// wait is the bounded drain of the pattern without a live source.
func (r *rotation) wait(ctx context.Context, n Name) error {
	d := r.o.Drain
	if d == 0 {
		d = DefaultDrain
	}
	if d < 0 {
		return nil
	}
	start := time.Now()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return &RotationError{MSN: r.msn, Action: ActionDrain, Key: n, Err: ctx.Err()}
	}
	r.stepTook(ActionDrain, n, time.Time{}, time.Since(start))
	return nil
}

// regenerate replaces key n through the Regenerator and verifies the new set.
func (r *rotation) regenerate(ctx context.Context, cur Set, n Name) (Set, error) {
	if err := ctx.Err(); err != nil {
		return Set{}, &RotationError{MSN: r.msn, Action: ActionRegenerate, Key: n, Err: err}
	}
	// Each regeneration is its own call: a caller's Idempotency-Key gets one derived per key.
	next, err := r.regen.Regenerate(core.StepIdempotencyKey(ctx, "regenerate-"+string(n)), Regeneration{Current: cur, Name: n, Verify: r.s.verify})
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
	if r.o.Store != nil {
		if err := r.o.Store(ctx, set, inUse); err != nil {
			return &StoreError{MSN: r.msn, Action: ActionStore, Set: set, InUse: inUse, Err: err}
		}
	}
	if r.o.Live != nil {
		// The switch itself; the wait for the old key's requests is the drain step.
		if _, err := r.o.Live.put(set, inUse); err != nil {
			return &StoreError{MSN: r.msn, Action: ActionStore, Set: set, InUse: inUse, Err: err}
		}
	}
	r.rep.UpdatedAt = set.UpdatedAt
	r.stored = true
	r.step(ActionStore, r.rep.Rotated[len(r.rep.Rotated)-1], time.Time{}) // the key new in set, not the one in use
	if switching && r.o.Switch != nil {
		if err := r.o.Switch(ctx, set, inUse); err != nil {
			return &StoreError{MSN: r.msn, Action: ActionSwitch, Set: set, InUse: inUse, Err: err}
		}
		r.step(ActionSwitch, inUse, time.Time{})
	}
	return nil
}
