package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// Spec declares the registrations that must exist, for [Service.Ensure]. It
// is a value, not a pointer of options: Store is required unless DryRun.
type Spec struct {
	// Webhooks are the registrations to have, each in its scope.
	Webhooks []Desired
	// OwnedPrefixes are URL prefixes the spec owns (plain string prefixes:
	// end one with "/" to own a path): a registration under one of them in
	// a scope Ensure reconciles, and not declared, is deleted. Registrations
	// elsewhere are never touched, except those of a declared URL (see
	// [Service.Ensure]).
	OwnedPrefixes []string
	// Scopes are further scopes to reconcile although no Webhooks entry
	// names them (to delete what is left under OwnedPrefixes after their
	// last declaration was removed): MSNs, or "" for the call's own scope.
	Scopes []string
	// SecretsHeld are the ids of the registrations whose secrets you hold
	// (those Store received, and any you registered yourself). A
	// registration of a declared URL and events whose id is not here has a
	// secret nobody can verify with (lost to an unknown outcome of a
	// register, say): Ensure registers a replacement, stores it, then
	// deletes it.
	SecretsHeld []string
	// Store keeps a new registration's secret (with its scope, id, URL and
	// events) where your receiver finds it; Ensure calls it right after each
	// register and before anything is deleted. An error stops Ensure: the
	// registration whose secret was not stored is deleted again and nothing
	// else is. Required unless DryRun.
	Store func(ctx context.Context, r *Registered) error
	// DryRun computes and returns the plan without changing anything (it
	// only lists).
	DryRun bool
	// AllowLocalHTTP permits declared http URLs on a loopback host, as
	// [Registration.AllowLocalHTTP] does.
	AllowLocalHTTP bool
}

// Desired is one registration a [Spec] declares.
type Desired struct {
	// MSN is the sales unit it belongs to; "" means the call's own scope
	// ([github.com/vippsportal/sdk/portal.WithMSN]'s, else the client's MSN,
	// else partner-wide).
	MSN    string
	URL    string
	Events []EventName
}

// Op is what a plan does with one registration.
type Op string

// The operations of a [Plan].
const (
	OpRegister Op = "register" // register it (missing, or replacing one whose secret is not held)
	OpDelete   Op = "delete"   // delete it (stale, duplicate, or its secret is not held)
	OpKeep     Op = "keep"     // it is as declared
)

// Action is one step of a [Plan]. It never holds a secret.
type Action struct {
	Op     Op          `json:"op"`
	Scope  string      `json:"scope"` // the sales unit's MSN, or "partner-wide"
	ID     string      `json:"id,omitempty"`
	URL    string      `json:"url"`
	Events []EventName `json:"events"` // sorted
	Reason string      `json:"reason"`
	// Done is true once the step was carried out (a register's ID is then the new one).
	Done bool `json:"done"`

	msn string // the scope as a call sends it: "" for partner-wide
}

// Plan is what [Service.Ensure] found and did: registrations to register,
// to delete and to keep, by scope. String prints it for people; it encodes
// as JSON for programs. Neither shows a secret.
type Plan struct {
	Actions []Action `json:"actions"`
	DryRun  bool     `json:"dryRun"`
}

// Changes counts the registers and deletes of the plan: 0 when everything
// is as declared.
func (p *Plan) Changes() int {
	if p == nil {
		return 0
	}
	n := 0
	for _, a := range p.Actions {
		if a.Op != OpKeep {
			n++
		}
	}
	return n
}

const partnerWideScope = "partner-wide"

// String lists the plan one registration a line, by scope, in a stable order:
//
//	webhooks plan (dry run): 1 to register, 1 to delete, 1 to keep
//	scope 123456:
//	  + register https://example.com/vipps [epayments.payment.captured.v1] (missing)
//	  - delete 0b52e5bd-… https://example.com/old [epayments.payment.captured.v1] (not declared; under owned prefix https://example.com/)
//	  = keep 9a2b3c4d-… https://example.com/vipps [epayments.payment.authorized.v1]
//
// Carried-out steps end in "done".
func (p *Plan) String() string {
	if p == nil {
		return "webhooks plan: <nil>"
	}
	count := map[Op]int{}
	for _, a := range p.Actions {
		count[a.Op]++
	}
	var b strings.Builder
	b.WriteString("webhooks plan")
	if p.DryRun {
		b.WriteString(" (dry run)")
	}
	fmt.Fprintf(&b, ": %d to register, %d to delete, %d to keep\n", count[OpRegister], count[OpDelete], count[OpKeep])
	scope := "\x00"
	for _, a := range p.Actions {
		if a.Scope != scope {
			scope = a.Scope
			fmt.Fprintf(&b, "scope %s:\n", scope)
		}
		sign := map[Op]string{OpRegister: "+", OpDelete: "-", OpKeep: "="}[a.Op]
		fmt.Fprintf(&b, "  %s %s", sign, a.Op)
		if a.ID != "" {
			b.WriteString(" " + a.ID)
		}
		fmt.Fprintf(&b, " %s %v", a.URL, a.Events)
		if a.Reason != "" {
			b.WriteString(" (" + a.Reason + ")")
		}
		if a.Done {
			b.WriteString(" done")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Ensure makes the registrations of spec exist and removes what it owns and
// does not declare: it lists each scope concerned (GET /webhooks/v1/webhooks),
// computes a [Plan], and unless spec.DryRun applies it.
//
// A declared registration (scope, URL and the same set of events) is kept
// when one exists whose secret you hold (spec.SecretsHeld); otherwise one is
// registered, whether it is missing or Vipps removed it (after 14 days of
// failed deliveries, say). Deleted are, in the scopes reconciled: other
// registrations of a declared URL (other events, duplicates, and those
// whose secret nobody holds), and registrations under spec.OwnedPrefixes
// that are not declared. Everything else is left alone.
//
// Order: every register first, each followed at once by spec.Store; then the
// deletes. So a receiver never misses a secret it needs: by the time a
// registration whose secret is lost is deleted, its replacement is
// registered and stored. A failed register or Store stops Ensure before any
// delete (a registration whose secret Store refused is deleted again); a
// failed delete does not stop the others. The plan returned with an error
// says what was done.
//
// Bad input is a *[vipps.ValidationError] before any request, naming the
// field (Spec.Store, Spec.Webhooks[1].URL ...). A failed Store is a
// *[StoreError]; a scope where 25 registrations already hold an event
// declared there answers the register 400 webhook-limit-reached
// ([vipps.ErrBadRequest], [vipps.ProblemWebhookLimitReached]), and the error
// says what to free. Listing or deleting fails with a *[vipps.Error]
// ([vipps.ErrForbidden] for a scope the keys do not reach).
func (s *Service) Ensure(ctx context.Context, spec Spec) (*Plan, error) {
	if err := core.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := checkSpec(&spec); err != nil {
		return nil, err
	}
	c := s.client()
	own := c.MSN(ctx)
	resolve := func(msn string) string { return cmp.Or(msn, own) }
	desired := map[string][]Desired{}
	var scopes []string
	addScope := func(msn string) {
		if !slices.Contains(scopes, msn) {
			scopes = append(scopes, msn)
		}
	}
	for i, d := range spec.Webhooks {
		msn := resolve(d.MSN)
		for _, prev := range desired[msn] {
			if prev.URL == d.URL && sameEvents(prev.Events, d.Events) {
				return nil, core.Invalid(fmt.Sprintf("Spec.Webhooks[%d]", i), "declares %s %v in scope %s a second time", d.URL, d.Events, scopeName(msn))
			}
		}
		desired[msn] = append(desired[msn], d)
		addScope(msn)
	}
	for _, msn := range spec.Scopes {
		addScope(resolve(msn))
	}
	slices.SortFunc(scopes, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) })

	plan := &Plan{DryRun: spec.DryRun}
	for _, msn := range scopes {
		existing, err := s.List(scoped(ctx, msn))
		if err != nil {
			return plan, fmt.Errorf("webhooks: Ensure: listing scope %s: %w", scopeName(msn), err)
		}
		plan.Actions = append(plan.Actions, planScope(msn, desired[msn], existing, &spec)...)
	}
	sortActions(plan.Actions)
	if spec.DryRun {
		return plan, nil
	}
	return plan, s.apply(ctx, plan, spec.Store)
}

// scoped is ctx for calls in the scope msn ("" leaves ctx as it is: the call's own scope).
func scoped(ctx context.Context, msn string) context.Context {
	if msn == "" {
		return ctx
	}
	return core.WithMSN(ctx, msn)
}

func scopeName(msn string) string { return cmp.Or(msn, partnerWideScope) }

// planScope decides about one scope's registrations.
func planScope(msn string, want []Desired, existing []Webhook, spec *Spec) []Action {
	scope := scopeName(msn)
	action := func(op Op, id, u string, events []EventName, reason string) Action {
		ev := slices.Clone(events)
		slices.Sort(ev)
		return Action{Op: op, Scope: scope, ID: id, URL: u, Events: ev, Reason: reason, msn: msn}
	}
	var out []Action
	claimed := make([]bool, len(existing))
	keptFor := make([]string, len(want)) // the id kept for each declaration
	for i, d := range want {
		matches := 0
		for j, w := range existing {
			if claimed[j] || w.URL != d.URL || !sameEvents(w.Events, d.Events) {
				continue
			}
			matches++
			if slices.Contains(spec.SecretsHeld, w.ID) {
				claimed[j], keptFor[i] = true, w.ID
				out = append(out, action(OpKeep, w.ID, w.URL, w.Events, ""))
				break
			}
		}
		switch {
		case keptFor[i] != "":
		case matches > 0:
			out = append(out, action(OpRegister, "", d.URL, d.Events, "replaces one whose secret nobody holds"))
		default:
			out = append(out, action(OpRegister, "", d.URL, d.Events, "missing"))
		}
	}
	for j, w := range existing {
		if claimed[j] {
			continue
		}
		match := slices.IndexFunc(want, func(d Desired) bool { return d.URL == w.URL && sameEvents(d.Events, w.Events) })
		urlDeclared := slices.ContainsFunc(want, func(d Desired) bool { return d.URL == w.URL })
		switch {
		case match >= 0 && !slices.Contains(spec.SecretsHeld, w.ID):
			out = append(out, action(OpDelete, w.ID, w.URL, w.Events, "nobody holds its secret"))
		case match >= 0:
			out = append(out, action(OpDelete, w.ID, w.URL, w.Events, "duplicate of "+keptFor[match]))
		case urlDeclared:
			out = append(out, action(OpDelete, w.ID, w.URL, w.Events, "a declared URL with other events"))
		default:
			if p := ownedPrefix(spec.OwnedPrefixes, w.URL); p != "" {
				out = append(out, action(OpDelete, w.ID, w.URL, w.Events, "not declared; under owned prefix "+p))
			}
		}
	}
	return out
}

func ownedPrefix(prefixes []string, u string) string {
	for _, p := range prefixes {
		if strings.HasPrefix(u, p) {
			return p
		}
	}
	return ""
}

// sameEvents compares two sets of events (order does not matter).
func sameEvents(a, b []EventName) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// sortActions orders a plan for reading and applying: by scope (partner-wide
// first), then registers, deletes, keeps, each by URL, events and id.
func sortActions(actions []Action) {
	rank := map[Op]int{OpRegister: 0, OpDelete: 1, OpKeep: 2}
	slices.SortStableFunc(actions, func(a, b Action) int {
		return cmp.Or(
			cmp.Compare(len(a.msn), len(b.msn)), cmp.Compare(a.msn, b.msn),
			cmp.Compare(rank[a.Op], rank[b.Op]),
			cmp.Compare(a.URL, b.URL),
			slices.Compare(a.Events, b.Events),
			cmp.Compare(a.ID, b.ID))
	})
}

// apply registers and stores, then deletes.
func (s *Service) apply(ctx context.Context, plan *Plan, store func(context.Context, *Registered) error) error {
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Op != OpRegister {
			continue
		}
		// A caller's key yields one key per declaration (not per position in
		// the plan, which changes between runs): repeating Ensure with the
		// same key replays each register instead of refusing it.
		step := fmt.Sprintf("ensure %s %s %v", a.msn, a.URL, a.Events)
		reg, err := s.register(core.StepIdempotencyKey(scoped(ctx, a.msn), step), a.URL, a.Events)
		if err != nil {
			return limitHint(fmt.Sprintf("Ensure: registering %s %v in scope %s", a.URL, a.Events, a.Scope), err,
				"nothing was deleted; delete registrations this scope no longer needs (Service.List, Service.Delete) and run Ensure again")
		}
		a.ID = reg.ID
		if err := store(ctx, reg); err != nil {
			return &StoreError{Registered: reg, Err: err, Undo: s.Delete(scoped(ctx, a.msn), reg.ID)}
		}
		a.Done = true
		spareReplayed(plan.Actions, a.msn, reg.ID)
	}
	var errs []error
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Op != OpDelete {
			continue
		}
		err := s.Delete(scoped(ctx, a.msn), a.ID)
		if err != nil && !errors.Is(err, vipps.ErrNotFound) { // gone already is what we wanted
			errs = append(errs, fmt.Errorf("webhooks: Ensure: deleting %s in scope %s: %w", a.ID, a.Scope, err))
			continue
		}
		a.Done = true
	}
	return errors.Join(errs...)
}

// spareReplayed keeps a registration the plan meant to delete as one whose
// secret nobody holds, when a replayed register (the caller's
// Idempotency-Key, repeated after a crash) has just returned and stored it.
func spareReplayed(actions []Action, msn, id string) {
	for i := range actions {
		if a := &actions[i]; a.Op == OpDelete && a.msn == msn && a.ID == id {
			a.Op, a.Reason = OpKeep, "its secret came back in a replayed register and was stored"
		}
	}
}

// StoreError is a Store that failed after a register ([Service.Ensure],
// [Service.RotateSecret]): the new registration's secret was not kept, so
// the registration was deleted again, and nothing was deleted besides. Undo is
// that delete's error: when it is not nil, the registration Registered.ID
// still exists with a secret nobody holds; delete it (or run Ensure, which
// finds it). Neither the text nor JSON shows the secret.
type StoreError struct {
	Registered *Registered
	Err        error
	Undo       error
}

// Error says the secret was not stored, and whether the registration was
// deleted again or still exists.
func (e *StoreError) Error() string {
	r := e.Registered
	if e.Undo != nil {
		return fmt.Sprintf("webhooks: storing the secret of new registration %s (%s) failed: %v; deleting it again failed too, so it still exists with a secret nobody holds (delete it, or run Ensure): %v", r.ID, r.URL, e.Err, e.Undo)
	}
	return fmt.Sprintf("webhooks: storing the secret of new registration %s (%s) failed, so it was deleted again: %v", r.ID, r.URL, e.Err)
}

// Unwrap returns the store's error, and the undo's when there is one.
func (e *StoreError) Unwrap() []error {
	if e.Undo == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Undo}
}

// limitHint explains a 400 webhook-limit-reached: what happened and what to do.
func limitHint(what string, err error, todo string) error {
	if e, ok := errors.AsType[*vipps.Error](err); ok && e.StatusCode == http.StatusBadRequest && e.Problem == vipps.ProblemWebhookLimitReached {
		return fmt.Errorf("webhooks: %s: the scope already holds 25 registrations of one of these events (%s); %s: %w", what, vipps.ProblemWebhookLimitReached, todo, err)
	}
	return fmt.Errorf("webhooks: %s: %w", what, err)
}

// checkSpec refuses a spec Ensure cannot carry out, naming the field.
func checkSpec(spec *Spec) error {
	if spec.Store == nil && !spec.DryRun {
		return core.Invalid("Spec.Store", "is required (new secrets must go somewhere), unless DryRun")
	}
	for i, d := range spec.Webhooks {
		f := fmt.Sprintf("Spec.Webhooks[%d]", i)
		if d.MSN != "" {
			if err := core.CheckMSN(f+".MSN", d.MSN); err != nil {
				return err
			}
		}
		if err := checkRegistration(f, d.URL, d.Events, spec.AllowLocalHTTP); err != nil {
			return err
		}
	}
	for i, p := range spec.OwnedPrefixes {
		host, _, ok := splitURL(p)
		if !ok || host == "" {
			return core.Invalid(fmt.Sprintf("Spec.OwnedPrefixes[%d]", i), "must be an absolute URL prefix such as https://example.com/vipps/, got %q", p)
		}
	}
	for i, msn := range spec.Scopes {
		if msn != "" {
			if err := core.CheckMSN(fmt.Sprintf("Spec.Scopes[%d]", i), msn); err != nil {
				return err
			}
		}
	}
	return nil
}
