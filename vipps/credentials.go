package vipps

// AuthFlow names how a key set gets its access tokens.
type AuthFlow string

// The two token flows ([Credentials].Flow).
const (
	// StandardAuth is the Access Token API: POST /accesstoken/get with the keys in
	// headers; every request also carries the subscription key. "" means the same.
	StandardAuth AuthFlow = "standard"
	// SpecializedAuth is the flow of a partner's management keys: POST
	// /miami/v1/token (OAuth 2.0 client credentials, HTTP Basic), 15-minute
	// tokens, no subscription key; such keys reach only the Management API.
	SpecializedAuth AuthFlow = "specialized"
)

// Credentials are the key set a client authenticates with: a sales unit's own
// keys, a portal user's API client or a partner's keys (standard flow), or a
// partner's management keys (Flow: [SpecializedAuth], no subscription key).
// Secrets print redacted ([Secret]).
type Credentials struct {
	ClientID        string
	ClientSecret    Secret
	SubscriptionKey Secret   // Ocp-Apim-Subscription-Key; must be empty with SpecializedAuth
	MSN             string   // sent as Merchant-Serial-Number when set (4-10 digits)
	Flow            AuthFlow // "" or StandardAuth: the standard flow
	// Scope is the access asked for with the specialized flow: space-separated
	// scope tokens (RFC 6749 section 3.3), such as "donations:read", sent as the
	// token request's scope field; "" asks for none. Vipps asks for one with
	// some keys. The standard flow takes none: a Scope there is refused.
	Scope string
}

// Specialized reports whether the key set uses the specialized flow.
func (c Credentials) Specialized() bool { return c.Flow == SpecializedAuth }

// Environment is one of Vipps' two environments.
type Environment string

// Vipps' two environments ([github.com/vippsportal/sdk/portal.WithEnvironment]).
const (
	// Production is https://api.vipps.no: the Access Token API and the Management API.
	Production Environment = "production"
	// Test is https://apitest.vipps.no, where Vipps runs no Management API: a
	// Management call there is refused without a request.
	Test Environment = "test"
)

// Vipps' two hosts.
const (
	ProductionURL = "https://api.vipps.no"
	TestURL       = "https://apitest.vipps.no"
)

// String returns "production" or "test".
func (e Environment) String() string { return string(e) }

// BaseURL returns the environment's host root, or "" for an unknown environment.
func (e Environment) BaseURL() string {
	switch e {
	case Production:
		return ProductionURL
	case Test:
		return TestURL
	}
	return ""
}
