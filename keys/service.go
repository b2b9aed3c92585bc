package keys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/internal/wiring"
	"github.com/vippsportal/sdk/vipps"
)

// Service reads, regenerates, verifies and rotates the API keys of sales units
// ([github.com/vippsportal/sdk/portal.Client]'s Keys; a Service not built by
// [github.com/vippsportal/sdk/portal.New] fails every call with a *[vipps.UnsupportedError]). Get and Regenerate are portal operations
// (a portal URL must be configured); Verify calls only Vipps' token endpoint,
// so it works against Vipps today, and so does Rotate with a [ManualReplacer].
type Service struct{ c *core.Client }

// Built by portal.New through internal/wiring (see salesunit's services.go).
func init() { wiring.Register(func(c *core.Client) *Service { return &Service{c: c} }) }

func (s *Service) client() *core.Client {
	return core.ServiceClient(s, func(s *Service) *core.Client { return s.c })
}

// Get fetches the key set of a test or production sales unit:
// GET /portal/v1/sales-units/{msn}/keys.
//
// It needs a portal user that is an ADMINISTRATOR of the unit's merchant or
// holds the DEVELOPER permission on the unit: other users get
// [vipps.ErrForbidden] (403 keys-hidden, [vipps.ProblemKeysHidden]), other
// keys [vipps.ErrForbidden] (403 not-a-portal-user) or, for management keys,
// [vipps.ErrUnsupported] without a request. A unit of another merchant, or
// none, is [vipps.ErrNotFound]. A new test unit answers 409 keys-not-ready
// (errors.Is(err, [vipps.ErrKeysNotReady]), a *[vipps.Error] with RetryAfter)
// until its keys are issued. An MSN that is not 4-10 digits is refused with a
// *[vipps.ValidationError] before any request.
func (s *Service) Get(ctx context.Context, msn string) (*Set, error) {
	if err := core.CheckMSN("msn", msn); err != nil {
		return nil, err
	}
	return core.Call[Set](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "getKeys",
		Method: http.MethodGet, Path: core.Path("/portal/v1/sales-units/%s/keys", msn)})
}

// regenerateBody is the contract's RegenerateRequest.
type regenerateBody struct {
	Key Name `json:"key"`
}

// Regenerate replaces one key of a sales unit with a new random value and
// returns the whole new set: POST /portal/v1/sales-units/{msn}/keys/regenerate.
//
// The old value stops working at once (tokens already issued stay valid until
// they expire). The call carries an Idempotency-Key, reused on every retry, so
// an answer lost on the way still returns the set of the one regeneration done;
// pass your own key with [github.com/vippsportal/sdk/portal.WithIdempotencyKey] to repeat
// a call safely after a crash. To replace keys without downtime use
// [Service.Rotate].
//
// An msn that is not 4-10 digits, or a name that is not one of the four
// [Name] constants, is a *[vipps.ValidationError] before any request. The
// refusals are [Service.Get]'s: [vipps.ErrForbidden], [vipps.ErrNotFound],
// and [vipps.ErrKeysNotReady] while a new test unit's keys are being issued.
func (s *Service) Regenerate(ctx context.Context, msn string, name Name) (*Set, error) {
	if err := core.CheckMSN("msn", msn); err != nil {
		return nil, err
	}
	if !name.Valid() {
		return nil, core.Invalid("name", "must be clientId, clientSecret, subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(name))
	}
	return core.Call[Set](ctx, s.client(), &core.Request{Group: core.GroupPortal, Operation: "regenerateKey",
		Method: http.MethodPost, Path: core.Path("/portal/v1/sales-units/%s/keys/regenerate", msn),
		Body: regenerateBody{Key: name}, Idempotent: true})
}

// Verification is the outcome of [Service.Verify]: which subscription keys of
// a set got a token with the set's client id and secret. It holds no key value.
type Verification struct {
	MSN         string
	Environment vipps.Environment
	TokenURL    string // the token endpoint asked (.../accesstoken/get): the environment's host, or the client's custom base URL
	PrimaryOK   bool   // a token was issued with the primary subscription key
	SecondaryOK bool   // a token was issued with the secondary subscription key
	// PrimaryErr says why not, when PrimaryOK is false: a *[KeyError] naming
	// the primary (the gateway refused it, or there was no usable answer), or
	// ClientErr when the client id or secret was refused with it.
	PrimaryErr error
	// SecondaryErr is PrimaryErr for the secondary subscription key.
	SecondaryErr error
	// ClientErr, when not nil, is a *[KeyError] on [ClientSecret]: the token
	// endpoint refused the client id or client secret (401 invalid_client).
	// The gateway checks a subscription key before that, so the keys that got
	// this answer passed it: the fault is the client id or secret.
	ClientErr  error
	VerifiedAt time.Time
}

// OK reports whether both subscription keys got a token.
func (v *Verification) OK() bool { return v != nil && v.PrimaryOK && v.SecondaryOK }

// Works reports whether key n was proved to work: a subscription key by its own
// token request, the client id and secret by either of the two.
func (v *Verification) Works(n Name) bool {
	if v == nil {
		return false
	}
	switch n {
	case SubscriptionKeyPrimary:
		return v.PrimaryOK
	case SubscriptionKeySecondary:
		return v.SecondaryOK
	case ClientID, ClientSecret:
		return v.PrimaryOK || v.SecondaryOK
	}
	return false
}

// errFor is the failure that concerns key n.
func (v *Verification) errFor(n Name) error {
	switch n {
	case SubscriptionKeyPrimary:
		return v.PrimaryErr
	case SubscriptionKeySecondary:
		return v.SecondaryErr
	case ClientID, ClientSecret:
		if v.ClientErr != nil {
			return v.ClientErr
		}
		if v.PrimaryErr != nil {
			return v.PrimaryErr
		}
		return v.SecondaryErr
	}
	return nil
}

// String summarises the verification without any key value.
func (v *Verification) String() string {
	if v == nil {
		return "<nil>"
	}
	head := fmt.Sprintf("sales unit %s (%s): ", v.MSN, v.Environment)
	if v.ClientErr != nil {
		head += "the client id or client secret is REFUSED (401 invalid_client); "
	}
	return head + fmt.Sprintf("subscriptionKeyPrimary %s, subscriptionKeySecondary %s",
		v.keyText(v.PrimaryOK, v.PrimaryErr), v.keyText(v.SecondaryOK, v.SecondaryErr))
}

// keyText tells a refused key (FAILS) from one that passed the gateway but
// got no token for the client's fault, and from one the endpoint could not judge.
func (v *Verification) keyText(ok bool, err error) string {
	switch {
	case ok:
		return "works"
	case err != nil && err == v.ClientErr:
		return "passed the gateway"
	case err == nil || rejected(err):
		return "FAILS"
	}
	return "UNVERIFIED (no usable answer)"
}

// KeyError is a key of a set that did not work or could not be verified, or
// a step of a workflow that failed on one key. Its text says "does not work"
// only when the token endpoint refused the key (400/401/403); no answer (a DNS
// or TLS failure, a timeout) or a server error reads "could not be verified".
// A refusal of the client credentials (401 invalid_client) is a KeyError on
// [ClientSecret] whose text names the client id and the client secret, the
// two suspects; a refused subscription key (the gateway's 401) names that
// key. Err holds the cause (a *[vipps.Error] for an answer); errors.As and
// errors.Is see through it.
type KeyError struct {
	MSN  string
	Name Name
	Err  error
}

// Error says which key of which sales unit does not work, or could not be
// verified, and why.
func (e *KeyError) Error() string {
	what := string(e.Name)
	if e.Name == ClientID || e.Name == ClientSecret {
		what = "the client id or client secret"
	}
	if rejected(e.Err) {
		return fmt.Sprintf("keys: %s of sales unit %s does not work: the token endpoint refused it: %v", what, e.MSN, e.Err)
	}
	// No answer (DNS, TLS, a timeout) or a server error says nothing about the key.
	return fmt.Sprintf("keys: %s of sales unit %s could not be verified (no usable answer from the token endpoint; the key may still work): %v", what, e.MSN, e.Err)
}

// Unwrap returns the cause.
func (e *KeyError) Unwrap() error { return e.Err }

// keyError blames the key a token request's failure concerns: the client id
// and secret for the OAuth error invalid_client, else subscription key n.
func keyError(msn string, n Name, err error) *KeyError {
	if clientRefused(err) {
		n = ClientSecret
	}
	return &KeyError{MSN: msn, Name: n, Err: err}
}

// clientRefused reports whether the token endpoint refused the client id or
// secret (401 invalid_client), as opposed to the gateway refusing a
// subscription key (401 GatewayError), which is checked first.
func clientRefused(err error) bool {
	var e *vipps.Error
	return errors.As(err, &e) && e.StatusCode == http.StatusUnauthorized && e.Problem == "invalid_client"
}

// Verify proves a key set with POST /accesstoken/get, once per subscription
// key (primary, then secondary), each with the set's client id and secret, at
// the token endpoint of the set's environment (the client's base URL when it
// is custom), outside the client's token cache. A set that cannot be sent
// (a missing value, a control character in one) is refused with a
// *[vipps.ValidationError] before any request.
//
// The *[Verification] says which keys work. When either does not, the error is
// not nil: it joins a *[KeyError] per failing key, each wrapping the
// *[vipps.Error] (errors.Is(err, [vipps.ErrUnauthorized]) for a refusal). When
// the token endpoint refused the client id or secret (401 invalid_client),
// one KeyError on [ClientSecret] says so instead of blaming the subscription
// keys, which passed the gateway.
func (s *Service) Verify(ctx context.Context, set Set) (*Verification, error) {
	if err := checkSet("set", &set); err != nil {
		return nil, err
	}
	if s.client() == nil {
		return nil, core.NotBuilt("Keys.Verify")
	}
	return s.verify(ctx, set)
}

func (s *Service) verify(ctx context.Context, set Set) (*Verification, error) {
	url := s.c.TokenURL(string(set.Environment))
	v := &Verification{MSN: set.MSN, Environment: set.Environment, TokenURL: core.StandardTokenEndpoint(url)}
	var errs []error
	for _, n := range []Name{SubscriptionKeyPrimary, SubscriptionKeySecondary} {
		var err error
		if _, ferr := s.c.FetchToken(ctx, s.credentials(set, n), url); ferr != nil {
			ke := keyError(set.MSN, n, ferr)
			switch {
			case ke.Name != ClientSecret:
				err = ke
				errs = append(errs, err)
			case v.ClientErr == nil:
				v.ClientErr = ke
				errs = append(errs, ke)
				fallthrough
			default:
				err = v.ClientErr // one error for the client, however many keys met it
			}
		}
		if n == SubscriptionKeyPrimary {
			v.PrimaryOK, v.PrimaryErr = err == nil, err
		} else {
			v.SecondaryOK, v.SecondaryErr = err == nil, err
		}
		if ctx.Err() != nil {
			break
		}
	}
	v.VerifiedAt = time.Now()
	return v, errors.Join(errs...)
}

// credentials are the set's client id and secret with subscription key n.
func (s *Service) credentials(set Set, n Name) vipps.Credentials {
	return vipps.Credentials{ClientID: set.ClientID, ClientSecret: set.ClientSecret,
		SubscriptionKey: set.SubscriptionKey(n), MSN: set.MSN}
}

// checkSet refuses a set that no token request could carry, naming the
// field: a missing value, a control character (CR, LF, NUL ...) in one (it
// would fail every request with "invalid header field value"), an MSN that is
// not 4-10 digits, an unknown environment. Its errors quote no value: a set
// may come from a file where a secret sits in the wrong field.
func checkSet(field string, set *Set) error {
	if set == nil {
		return core.Invalid(field, "is nil")
	}
	if core.CheckMSN(field+".MSN", set.MSN) != nil {
		return core.Invalid(field+".MSN", "must be 4-10 digits")
	}
	if set.Environment != vipps.Production && set.Environment != vipps.Test {
		return core.Invalid(field+".Environment", "must be vipps.Production or vipps.Test")
	}
	for _, f := range []struct {
		name  string
		value string
	}{
		{".ClientID", set.ClientID},
		{".ClientSecret", set.ClientSecret.Reveal()},
		{".SubscriptionKeyPrimary", set.SubscriptionKeyPrimary.Reveal()},
		{".SubscriptionKeySecondary", set.SubscriptionKeySecondary.Reveal()},
	} {
		if f.value == "" {
			return core.Invalid(field+f.name, "is required")
		}
		if err := core.CheckHeaderValue(field+f.name, f.value); err != nil {
			return err
		}
	}
	return nil
}
