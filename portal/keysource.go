package portal

import (
	"context"
	"net/http"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/vipps"
)

// WithKeySource makes the client read its key set from src on every call,
// token requests included: a [keys.LiveSource] (which a rotation with a
// [keys.LiveStrategy] updates) or a [keys.FileSource] (which follows a key
// file). A change needs no restart; when Vipps refuses the keys (401
// invalid_client, or the gateway's 401) the client reloads src once and
// retries if the keys changed. It replaces [WithCredentials]. The set's MSN is
// sent as Merchant-Serial-Number. New refuses a nil src (a nil
// *keys.LiveSource or *keys.FileSource too) and a source whose set no request
// could carry with a *[vipps.ValidationError] naming WithKeySource.
func WithKeySource(src keys.Source) Option {
	if src == nil {
		src = nilSource{}
	}
	return func(s *settings) { s.source = src }
}

// nilSource stands for WithKeySource(nil), so that New can refuse it.
type nilSource struct{ keys.Source }

// WithMSN makes the calls made with the returned context (through the
// services or [Client.HTTPClient]) send Merchant-Serial-Number msn instead of
// the key set's: partner keys act for many merchants. A bad MSN (not 4-10
// digits) fails the call before any request with a *[vipps.ValidationError]
// naming WithMSN.
func WithMSN(ctx context.Context, msn string) context.Context { return core.WithMSN(ctx, msn) }

// HTTPClient returns an *http.Client for your own calls to other Vipps APIs
// (ePayment, Recurring, Checkout ...) on the client's base URL. Each request
// gets the live key set's access token (the client's shared cache: one fetch
// for many goroutines), its subscription key, Merchant-Serial-Number (the set's,
// [WithMSN]'s, or a header you set) and the Vipps-System-* headers. On a 401 it
// fetches a new token (reading the key source again) and resends once, when
// the body can be replayed (no body, or http.Request.GetBody set, as
// http.NewRequest does for in-memory bodies).
//
// Credentials go nowhere else: a request to any other scheme, host or port,
// or whose Host field names another host, is refused with a
// *[vipps.ValidationError] before anything is sent. It follows no redirect: the
// request fails with a *[vipps.Error] whose RedirectHost names where the
// redirect pointed (never the rest of its Location).
//
// Each attempt is bounded by [vipps.RetryPolicy].AttemptTimeout until the
// answer's headers arrive; the body is then read under the request's context
// alone, so a download may take longer than an attempt. To bound the whole
// exchange, give the request a context with a deadline (or set Timeout on the
// client given to [WithHTTPClient], which this client keeps). Close every body.
func (c *Client) HTTPClient() *http.Client { return c.core.HTTPClient() }

// UseToken gives the client a token [keys.Service.Rotate] obtained
// ([keys.DrainStrategy]'s HandOff), so that a client built from a key set whose client secret is
// about to change holds a token before it has made a call. A token of other
// keys or of another endpoint, or one that has expired, is refused (a
// *[vipps.ValidationError] naming "token"); a client that holds a valid token
// keeps it.
func (c *Client) UseToken(tok keys.AccessToken) error {
	return c.core.HoldToken("token", core.NewToken(tok.Value, tok.Received, tok.ExpiresIn), tok.IssuedTo, tok.TokenURL)
}

// BaseURL is the root (scheme, host, port) the client calls and the only one
// [Client.HTTPClient] sends credentials to: the environment's host or
// [WithBaseURL]'s.
func (c *Client) BaseURL() string { return c.core.BaseURL() }

// sourceAdapter turns a keys.Source into the core's key source.
type sourceAdapter struct {
	src    keys.Source
	tokens interface {
		HandedToken(clientID string, clientSecret vipps.Secret, tokenURL string) (keys.AccessToken, bool)
	}
}

func credentialsOf(set keys.Set, inUse keys.Name) vipps.Credentials {
	return vipps.Credentials{ClientID: set.ClientID, ClientSecret: set.ClientSecret,
		SubscriptionKey: set.SubscriptionKey(inUse), MSN: set.MSN}
}

func (a *sourceAdapter) Acquire() (vipps.Credentials, func()) {
	set, inUse, done := a.src.Keys()
	if done == nil {
		done = func() {}
	}
	return credentialsOf(set, inUse), done
}

func (a *sourceAdapter) Reload(ctx context.Context) { a.src.Reload(ctx) }

func (a *sourceAdapter) HandedToken(clientID string, clientSecret vipps.Secret, tokenURL string) *core.Token {
	if a.tokens == nil {
		return nil
	}
	t, ok := a.tokens.HandedToken(clientID, clientSecret, tokenURL)
	if !ok {
		return nil
	}
	return core.NewToken(t.Value, t.Received, t.ExpiresIn)
}

// useSource checks the source's first set and puts it in the configuration.
func useSource(s *settings) error {
	switch src := s.source.(type) {
	case nilSource:
		return core.Invalid("WithKeySource", "is nil; give it a keys.Source such as keys.NewLiveSource(set, inUse) or keys.NewFileSource(path)")
	case *keys.LiveSource:
		if src == nil {
			return core.Invalid("WithKeySource", "is a nil *keys.LiveSource; make one with keys.NewLiveSource")
		}
	case *keys.FileSource:
		if src == nil {
			return core.Invalid("WithKeySource", "is a nil *keys.FileSource; make one with keys.NewFileSource")
		}
	}
	set, inUse, done := s.source.Keys()
	if done != nil {
		done()
	}
	switch {
	case !inUse.IsSubscriptionKey():
		return core.Invalid("WithKeySource", "the source's key in use must be subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(inUse))
	case set.ClientID == "":
		return core.Invalid("WithKeySource", "the source's set has no ClientID")
	case set.ClientSecret.IsZero():
		return core.Invalid("WithKeySource", "the source's set has no ClientSecret")
	case set.SubscriptionKey(inUse).IsZero():
		return core.Invalid("WithKeySource", "the source's set has no %s", inUse)
	}
	if err := core.CheckCredentials("WithKeySource", credentialsOf(set, inUse)); err != nil {
		return err
	}
	a := &sourceAdapter{src: s.source}
	a.tokens, _ = s.source.(interface {
		HandedToken(string, vipps.Secret, string) (keys.AccessToken, bool)
	})
	s.hasCreds = true
	s.cfg.Credentials = credentialsOf(set, inUse)
	s.cfg.KeySource = a
	return nil
}
