// Package portal is the entry point of the Vipps portal SDK: [New] (or
// [NewFromEnv]) builds a [Client] whose services do in code what people do by
// hand on portal.vippsmobilepay.com (API keys, test sales units, users) and call Vipps'
// Access Token, Management and Webhooks APIs.
//
// # Calls
//
// Every method takes a context first and checks its input before sending
// anything: bad input is a *[vipps.ValidationError] naming the field to fix.
// A method's required request is a value (a [salesunit.TestUnitRequest], a
// [keys.RotateOptions], which has required fields); its options are a
// pointer, where nil means the defaults (a *[vipps.ListOptions], a
// *[salesunit.WaitOptions]). A failed request is a *[vipps.Error]; classify it
// with errors.Is and the sentinels of package vipps ([vipps.ErrNotFound],
// [vipps.ErrForbidden] ...) and read its details with errors.As.
//
// Three context helpers shape one call without changing the client:
// [WithMSN] (the sales unit a partner's keys act for), [WithIdempotencyKey]
// (repeat a POST safely after a crash) and [WithResponse] (the status,
// headers and request id behind a result).
//
// Secrets are [vipps.Secret] values: no printing, log line, error or JSON of
// the SDK shows one.
package portal

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/internal/wiring"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// Client holds one service per group of operations. It is safe for
// concurrent use; build one per key set with [New] or [NewFromEnv] and share
// it. The zero Client is not usable: it has no services, and their calls
// fail with [vipps.ErrUnsupported].
type Client struct {
	SalesUnits    *salesunit.SalesUnitsService    // Management API: sales units
	Merchants     *salesunit.MerchantsService     // Management API: merchants
	ProductOrders *salesunit.ProductOrdersService // Management API: onboarding product orders
	TestUnits     *salesunit.TestUnitsService     // portal: test sales units
	Keys          *keys.Service                   // portal: API keys, verification, rotation
	Users         *users.Service                  // portal: users and their access
	Webhooks      *webhooks.Service               // Webhooks API: register, list, delete, reconcile, rotate secrets

	core *core.Client
}

// Option configures [New] and [NewFromEnv].
type Option func(*settings)

type settings struct {
	cfg      core.Config
	env      vipps.Environment
	baseURL  string
	hasBase  bool // WithBaseURL was given, even with ""
	noPortal bool // WithPortalURL("") was given
	hasCreds bool
	source   keys.Source // WithKeySource
}

// WithCredentials sets the key set the client authenticates with; it or
// [WithKeySource] is required. New refuses a set without a ClientID or
// ClientSecret, or without a SubscriptionKey in the standard flow (a set of
// management keys, [vipps.SpecializedAuth], has none).
func WithCredentials(c vipps.Credentials) Option {
	return func(s *settings) {
		s.hasCreds = true
		s.cfg.Credentials = c
	}
}

// WithEnvironment chooses [vipps.Production] (the default) or [vipps.Test].
// Vipps runs no Management API in the test environment: a Management call
// there fails with [vipps.ErrUnsupported] without a request.
func WithEnvironment(e vipps.Environment) Option { return func(s *settings) { s.env = e } }

// WithBaseURL serves the Access Token, Management and Webhooks APIs from u
// instead of the environment's host (a gateway, the simulator); the
// Management API is then permitted whatever the environment. An empty u is
// an error, not production: choose production with [WithEnvironment]. Plain
// http is refused except to a loopback host (see [WithInsecureHTTP]).
func WithBaseURL(u string) Option { return func(s *settings) { s.baseURL, s.hasBase = u, true } }

// WithPortalURL sets the host root under which /portal/v1 operations (and
// their tokens, at /accesstoken/get) are served. Without it, portal calls
// fail with [vipps.ErrUnsupported] without a request. An empty u is an error.
func WithPortalURL(u string) Option {
	return func(s *settings) { s.cfg.PortalURL, s.noPortal = u, u == "" }
}

// WithSystem fills the Vipps-System-Name, -Version, -Plugin-Name and
// -Plugin-Version headers; each is at most 30 characters (New refuses a
// longer one, naming System.Name ...). Name and version are
// your system's. When both plugin values are empty (with or without WithSystem),
// the SDK names itself as the plugin: vippsportal-sdk-go and its Version, so
// Vipps' support sees what called them; give your own plugin values to replace it.
func WithSystem(name, version, pluginName, pluginVersion string) Option {
	return func(s *settings) {
		s.cfg.System = core.SystemInfo{Name: name, Version: version, PluginName: pluginName, PluginVersion: pluginVersion}
	}
}

// WithHTTPClient sends requests through hc (its Transport, Timeout, proxy
// ...). The SDK uses a copy that follows no redirect, and [Client.Close]
// leaves hc's connections alone.
func WithHTTPClient(hc *http.Client) Option { return func(s *settings) { s.cfg.HTTPClient = hc } }

// WithLogger sends the SDK's events to l at debug level: each attempt and
// retry, and one "vipps call" event that ends every call, with its operation,
// method, path, status, attempts, elapsed time, request_id (as
// [vipps.Response].RequestID) and the error of a failed call. No secret ever
// reaches it.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.cfg.Logger = l } }

// WithRetry replaces the retry policy (see [vipps.RetryPolicy]); zero
// fields keep their defaults.
func WithRetry(p vipps.RetryPolicy) Option { return func(s *settings) { s.cfg.Retry = p } }

// WithInsecureHTTP permits plain http:// to a non-loopback host. Loopback
// (127.0.0.1, ::1, localhost) is always permitted, for the simulator.
func WithInsecureHTTP() Option { return func(s *settings) { s.cfg.AllowInsecureHTTP = true } }

// New builds a Client. It sends nothing: bad settings are refused here with
// a *[vipps.ValidationError] naming the setting to fix (Credentials.ClientID,
// WithKeySource, PortalURL ...).
func New(opts ...Option) (*Client, error) {
	return build(settingsOf(opts))
}

func settingsOf(opts []Option) *settings {
	s := &settings{env: vipps.Production}
	for _, o := range opts {
		o(s)
	}
	return s
}

// build checks s and builds the Client.
func build(s *settings) (*Client, error) {
	if s.source != nil {
		if err := useSource(s); err != nil {
			return nil, err
		}
	}
	if err := checkCredentials(s); err != nil {
		return nil, err
	}
	if s.noPortal {
		return nil, core.Invalid("PortalURL", "is empty; give the host root where /portal/v1 is served, or leave WithPortalURL out")
	}
	if s.env.BaseURL() == "" {
		return nil, core.Invalid("WithEnvironment", "must be vipps.Production or vipps.Test, got %q", string(s.env))
	}
	s.cfg.Environment = s.env
	s.cfg.BaseURL = s.env.BaseURL()
	s.cfg.ManagementAvailable = s.env == vipps.Production
	if s.hasBase {
		s.cfg.BaseURL, s.cfg.Environment, s.cfg.ManagementAvailable = s.baseURL, "", true
	}
	cc, err := core.New(s.cfg)
	if err != nil {
		return nil, err
	}
	// Each domain package registered its services' constructors with
	// internal/wiring, so none exports a constructor taking an internal type.
	c := &Client{core: cc}
	if err := errors.Join(fill(cc, &c.SalesUnits), fill(cc, &c.Merchants), fill(cc, &c.ProductOrders),
		fill(cc, &c.TestUnits), fill(cc, &c.Keys), fill(cc, &c.Users), fill(cc, &c.Webhooks)); err != nil {
		return nil, err
	}
	return c, nil
}

// fill builds *dst with the constructor registered for its type.
func fill[T any](cc *core.Client, dst **T) error {
	v, err := wiring.New[T](cc)
	*dst = v
	return err
}

// Close releases the idle connections of the transport the SDK built for this
// client (none of a client given with [WithHTTPClient]: that pool stays yours).
// It is safe to call more than once; the Client keeps working afterwards. A
// Client is meant to be shared and long-lived: build one per key set and reuse
// it from every goroutine, rather than one per call.
func (c *Client) Close() error { return c.core.Close() }

func checkCredentials(s *settings) error {
	if !s.hasCreds {
		return core.Invalid("Credentials", "are required (use portal.WithCredentials or NewFromEnv)")
	}
	c := s.cfg.Credentials
	if err := core.CheckRequired("Credentials.ClientID", c.ClientID); err != nil {
		return err
	}
	if c.ClientSecret.IsZero() {
		return core.Invalid("Credentials.ClientSecret", "is required")
	}
	if c.SubscriptionKey.IsZero() && !c.Specialized() {
		return core.Invalid("Credentials.SubscriptionKey", "is required (management keys have none: they use the specialized flow)")
	}
	return core.CheckFlow(c)
}

// Environment variables read by [NewFromEnv].
const (
	EnvClientID        = "VIPPS_CLIENT_ID"
	EnvClientSecret    = "VIPPS_CLIENT_SECRET"
	EnvSubscriptionKey = "VIPPS_SUBSCRIPTION_KEY"
	EnvMSN             = "VIPPS_MSN"
	EnvEnvironment     = "VIPPS_ENVIRONMENT" // production (default) or test
	EnvBaseURL         = "VIPPS_BASE_URL"    // overrides the environment
	EnvPortalURL       = "VIPPS_PORTAL_URL"
	EnvTokenFlow       = "VIPPS_TOKEN_FLOW"  // standard (default) or specialized (management keys)
	EnvTokenScope      = "VIPPS_TOKEN_SCOPE" // vipps.Credentials.Scope: space-separated, specialized flow only
)

// NewFromEnv builds a Client from the VIPPS_* environment variables (the
// Env* constants); opts are applied after them, and replace what they set.
// A bad or missing value is a *[vipps.ValidationError] naming its variable
// (VIPPS_CLIENT_SECRET, say) rather than the Go field it fills; a bad URL is
// quoted with any password or query masked.
func NewFromEnv(opts ...Option) (*Client, error) {
	env, err := envChoice(EnvEnvironment, vipps.Production, "production", vipps.Test, "test")
	if err != nil {
		return nil, err
	}
	flow, err := envChoice(EnvTokenFlow, vipps.StandardAuth, "standard", vipps.SpecializedAuth, "specialized")
	if err != nil {
		return nil, err
	}
	e := fromEnv{
		creds: vipps.Credentials{
			Flow:            flow,
			ClientID:        os.Getenv(EnvClientID),
			ClientSecret:    vipps.Secret(os.Getenv(EnvClientSecret)),
			SubscriptionKey: vipps.Secret(os.Getenv(EnvSubscriptionKey)),
			MSN:             os.Getenv(EnvMSN),
			Scope:           strings.TrimSpace(os.Getenv(EnvTokenScope)),
		},
		baseURL:   os.Getenv(EnvBaseURL),
		portalURL: os.Getenv(EnvPortalURL),
	}
	base := []Option{WithCredentials(e.creds), WithEnvironment(env)}
	if e.baseURL != "" {
		base = append(base, WithBaseURL(e.baseURL))
	}
	if e.portalURL != "" {
		base = append(base, WithPortalURL(e.portalURL))
	}
	s := settingsOf(append(base, opts...))
	c, err := build(s)
	var ve *vipps.ValidationError
	if errors.As(err, &ve) {
		if named := e.name(s, ve); named != nil {
			return nil, named
		}
	}
	return c, err
}

// envChoice reads variable name, one of two words in any case (unset or
// empty is the first): the value for that word.
func envChoice[T any](name string, first T, firstWord string, second T, secondWord string) (T, error) {
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(name))); v {
	case "", firstWord:
		return first, nil
	case secondWord:
		return second, nil
	default:
		return first, core.Invalid(name, "must be %s or %s, got %q", firstWord, secondWord, v)
	}
}

// fromEnv is what NewFromEnv read.
type fromEnv struct {
	creds              vipps.Credentials
	baseURL, portalURL string
}

// credentialVars names the variable behind each field of the credentials.
var credentialVars = map[string]string{
	"Credentials.ClientID": EnvClientID, "Credentials.ClientSecret": EnvClientSecret,
	"Credentials.SubscriptionKey": EnvSubscriptionKey, "Credentials.MSN": EnvMSN,
	"Credentials.Flow": EnvTokenFlow, "Credentials.Scope": EnvTokenScope,
}

// name returns ve naming the environment variable its value came from, or
// nil when it came from none (the options given to NewFromEnv may have
// replaced it). A bad URL is quoted, with any password or query masked.
func (e fromEnv) name(s *settings, ve *vipps.ValidationError) error {
	switch {
	case credentialVars[ve.Field] != "" && s.source == nil && s.cfg.Credentials == e.creds:
		return &vipps.ValidationError{Field: credentialVars[ve.Field], Reason: ve.Reason}
	case ve.Field == "BaseURL" && e.baseURL != "" && s.hasBase && s.baseURL == e.baseURL:
		return &vipps.ValidationError{Field: EnvBaseURL, Reason: ve.Reason + ", got " + quoteURL(e.baseURL)}
	case ve.Field == "PortalURL" && e.portalURL != "" && s.cfg.PortalURL == e.portalURL:
		return &vipps.ValidationError{Field: EnvPortalURL, Reason: ve.Reason + ", got " + quoteURL(e.portalURL)}
	}
	return nil
}

// quoteURL quotes a URL for an error: a URL is no secret, but a password or a
// query in it may be one (a subscription key, say), so those are masked.
func quoteURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil { // unparsable: keep what comes before any user info or query
		if i := strings.IndexAny(raw, "@?#"); i >= 0 {
			raw = raw[:i] + "xxxxx"
		}
		return strconv.Quote(raw)
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "xxxxx", false
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "xxxxx", ""
	}
	return strconv.Quote(u.Redacted())
}
