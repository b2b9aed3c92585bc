// Package portal is the entry point of the Vipps portal SDK: New builds a Client
// whose services do in code what people do by hand on portal.vipps.no (API keys,
// test sales units, users) and call Vipps' Management API and Access Token API.
package portal

import (
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal/vipps"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
)

// Version is the SDK's version, sent in the User-Agent header.
const Version = core.Version

// Credentials are the key set the client authenticates with (see vipps.Credentials).
type Credentials = vipps.Credentials

// AuthFlow names a key set's token flow: StandardAuth (the default, also "") or SpecializedAuth.
type AuthFlow = vipps.AuthFlow

// The two token flows.
const (
	// StandardAuth: POST /accesstoken/get, keys in headers, every request carries the subscription key.
	StandardAuth = vipps.StandardAuth
	// SpecializedAuth: a partner's management keys. Tokens from POST /miami/v1/token
	// (HTTP Basic, 15 minutes), no subscription key, the Management API only: a
	// portal call is refused without a request (ErrUnsupported).
	SpecializedAuth = vipps.SpecializedAuth
)

// Environment is one of Vipps' two environments.
type Environment = vipps.Environment

const (
	// Production is https://api.vipps.no: the Access Token API and the Management API.
	Production = vipps.Production
	// Test is https://apitest.vipps.no, where Vipps runs no Management API: a
	// Management call there is refused without a request.
	Test = vipps.Test
)

// Client holds one service per group of operations. It is safe for concurrent use.
type Client struct {
	SalesUnits    *salesunit.SalesUnitsService    // Management API: sales units
	Merchants     *salesunit.MerchantsService     // Management API: merchants
	ProductOrders *salesunit.ProductOrdersService // Management API: onboarding product orders
	TestUnits     *salesunit.TestUnitsService     // portal: test sales units
	Keys          *keys.Service                   // portal: API keys, verification, rotation
	Users         *users.Service                  // portal: users and their access

	core *core.Client
}

// Option configures New.
type Option func(*settings)

type settings struct {
	cfg      core.Config
	env      Environment
	baseURL  string
	hasCreds bool
}

// WithCredentials sets the key set the client authenticates with.
func WithCredentials(c Credentials) Option {
	return func(s *settings) {
		s.hasCreds = true
		s.cfg.Credentials = c
	}
}

// WithEnvironment chooses Production (the default) or Test.
func WithEnvironment(e Environment) Option { return func(s *settings) { s.env = e } }

// WithBaseURL serves the Access Token API and the Management API from u instead
// of the environment's host (a gateway, the simulator). Every group is permitted.
func WithBaseURL(u string) Option { return func(s *settings) { s.baseURL = u } }

// WithPortalURL sets the host root under which /portal/v1 operations (and their
// tokens, at /accesstoken/get) are served. Without it, portal calls are refused.
func WithPortalURL(u string) Option { return func(s *settings) { s.cfg.PortalURL = u } }

// WithSystem fills the Vipps-System-Name, -Version, -Plugin-Name and
// -Plugin-Version headers; each is at most 30 characters. Name and version are
// your system's. When both plugin values are empty (with or without WithSystem),
// the SDK names itself as the plugin: vippsportal-sdk-go and its Version, so
// Vipps' support sees what called them; give your own plugin values to replace it.
func WithSystem(name, version, pluginName, pluginVersion string) Option {
	return func(s *settings) {
		s.cfg.System = core.SystemInfo{Name: name, Version: version, PluginName: pluginName, PluginVersion: pluginVersion}
	}
}

// WithHTTPClient sends requests through hc (its Transport, Timeout, proxy ...).
func WithHTTPClient(hc *http.Client) Option { return func(s *settings) { s.cfg.HTTPClient = hc } }

// WithLogger sends the SDK's events (attempts, retries) to l at debug level.
// No secret ever reaches it.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.cfg.Logger = l } }

// WithRetry replaces the retry policy; zero fields keep their defaults.
func WithRetry(p RetryPolicy) Option { return func(s *settings) { s.cfg.Retry = p } }

// WithInsecureHTTP permits plain http:// to a non-loopback host. Loopback
// (127.0.0.1, ::1, localhost) is always permitted, for the simulator.
func WithInsecureHTTP() Option { return func(s *settings) { s.cfg.AllowInsecureHTTP = true } }

// New builds a Client. It sends nothing: bad settings are refused here with an
// error naming the setting.
func New(opts ...Option) (*Client, error) {
	s := &settings{env: Production}
	for _, o := range opts {
		o(s)
	}
	if err := checkCredentials(s); err != nil {
		return nil, err
	}
	if s.env.BaseURL() == "" {
		return nil, core.Invalid("WithEnvironment", "must be portal.Production or portal.Test, got %q", string(s.env))
	}
	s.cfg.Environment = s.env
	s.cfg.BaseURL = s.env.BaseURL()
	s.cfg.ManagementAvailable = s.env == Production
	if s.baseURL != "" {
		s.cfg.BaseURL, s.cfg.Environment, s.cfg.ManagementAvailable = s.baseURL, "", true
	}
	cc, err := core.New(s.cfg)
	if err != nil {
		return nil, err
	}
	return &Client{
		SalesUnits:    salesunit.NewSalesUnitsService(cc),
		Merchants:     salesunit.NewMerchantsService(cc),
		ProductOrders: salesunit.NewProductOrdersService(cc),
		TestUnits:     salesunit.NewTestUnitsService(cc),
		Keys:          keys.NewService(cc),
		Users:         users.NewService(cc),
		core:          cc,
	}, nil
}

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
		return core.Invalid("Credentials.SubscriptionKey", "is required (management keys have none: set Flow: portal.SpecializedAuth)")
	}
	return core.CheckFlow(c)
}

// Environment variables read by NewFromEnv.
const (
	EnvClientID        = "VIPPS_CLIENT_ID"
	EnvClientSecret    = "VIPPS_CLIENT_SECRET"
	EnvSubscriptionKey = "VIPPS_SUBSCRIPTION_KEY"
	EnvMSN             = "VIPPS_MSN"
	EnvEnvironment     = "VIPPS_ENVIRONMENT" // production (default) or test
	EnvBaseURL         = "VIPPS_BASE_URL"    // overrides the environment
	EnvPortalURL       = "VIPPS_PORTAL_URL"
	EnvTokenFlow       = "VIPPS_TOKEN_FLOW" // standard (default) or specialized (management keys)
)

// NewFromEnv builds a Client from the VIPPS_* environment variables; opts are
// applied after them.
func NewFromEnv(opts ...Option) (*Client, error) {
	env := Production
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvEnvironment))); v {
	case "", "production":
	case "test":
		env = Test
	default:
		return nil, core.Invalid(EnvEnvironment, "must be production or test, got %q", v)
	}
	flow := StandardAuth
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvTokenFlow))); v {
	case "", "standard":
	case "specialized":
		flow = SpecializedAuth
	default:
		return nil, core.Invalid(EnvTokenFlow, "must be standard or specialized, got %q", v)
	}
	base := []Option{
		WithCredentials(Credentials{
			Flow:            flow,
			ClientID:        os.Getenv(EnvClientID),
			ClientSecret:    keys.Secret(os.Getenv(EnvClientSecret)),
			SubscriptionKey: keys.Secret(os.Getenv(EnvSubscriptionKey)),
			MSN:             os.Getenv(EnvMSN),
		}),
		WithEnvironment(env),
	}
	if u := os.Getenv(EnvBaseURL); u != "" {
		base = append(base, WithBaseURL(u))
	}
	if u := os.Getenv(EnvPortalURL); u != "" {
		base = append(base, WithPortalURL(u))
	}
	return New(append(base, opts...)...)
}

// EnvConfigured reports whether VIPPS_CLIENT_ID is set: examples use it to choose
// between real credentials and the embedded simulator.
func EnvConfigured() bool { return os.Getenv(EnvClientID) != "" }
