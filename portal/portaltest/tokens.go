package portaltest

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// tokenLifetime is the contract's expires_in of a standard token;
// managementTokenLifetime that of a specialized one (15 minutes).
const (
	tokenLifetime           = 3600 * time.Second
	managementTokenLifetime = 900 * time.Second
)

// ctToken is the Content-Type of fetchToken's 200, as the contract gives it.
const ctToken = "application/json;charset=UTF-8"

var reBasic = regexp.MustCompile(`^Basic [A-Za-z0-9+/]+=*$`)

type gatewayErrorJSON struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
}

type oauthErrorJSON struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	ErrorCodes       []int  `json:"error_codes,omitempty"`
	TraceID          string `json:"trace_id,omitempty"`
	CorrelationID    string `json:"correlation_id,omitempty"`
}

type accessTokenJSON struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
}

// managementTokenJSON is the contract's ManagementToken; expires_in is the
// number 900, as Vipps sends it.
type managementTokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// invalidClient is the token endpoints' 401 for client credentials they do
// not know, in Azure AD's words (error code 7000215: invalid client secret).
func invalidClient(description string) *response {
	return jsonResponse(http.StatusUnauthorized, ctPortal, oauthErrorJSON{Error: "invalid_client",
		ErrorDescription: description, ErrorCodes: []int{7000215}})
}

// gateway is the API gateway's subscription key check.
func (s *Server) gateway(rq *request) *response {
	k := rq.r.Header.Get("Ocp-Apim-Subscription-Key")
	if k == "" {
		return jsonResponse(http.StatusUnauthorized, ctPortal, gatewayErrorJSON{401,
			"Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."})
	}
	if !s.st.liveSubscriptionKey(k) {
		return jsonResponse(http.StatusUnauthorized, ctPortal, gatewayErrorJSON{401,
			"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."})
	}
	return nil
}

// authenticate resolves the bearer token to a principal.
func (s *Server) authenticate(rq *request) *apiError {
	h := rq.r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return newProblem(http.StatusUnauthorized, pInvalidToken, "a bearer token is required")
	}
	t := s.st.tokens[strings.TrimSpace(tok)]
	if t == nil || !rq.now.Before(t.expiresAt) {
		return newProblem(http.StatusUnauthorized, pInvalidToken, "the access token is unknown or expired")
	}
	if !s.st.exists(t.who) {
		return newProblem(http.StatusUnauthorized, pTokenRevoked, "the access token's API client was removed")
	}
	rq.who = t.who
	return nil
}

// getAccessToken serves POST /accesstoken/get.
func (s *Server) getAccessToken(rq *request) *response {
	if e := s.gateway(rq); e != nil {
		return e
	}
	h := rq.r.Header
	if e := checkHeaders(h); e != nil {
		return rq.fail(e)
	}
	id, secret := h.Get("client_id"), h.Get("client_secret")
	if id == "" {
		return rq.fail(badRequest("client_id", "the client_id header is required"))
	}
	if secret == "" {
		return rq.fail(badRequest("client_secret", "the client_secret header is required"))
	}
	if e := rq.bodyLimit(); e != nil {
		return rq.fail(e)
	}
	who, ok := s.st.principalFor(id, secret)
	if !ok {
		return invalidClient("The client_id or client_secret is not valid.")
	}
	tok := s.issueToken(who, rq.now.Add(tokenLifetime), false)
	exp := rq.now.Add(tokenLifetime)
	return jsonResponse(http.StatusOK, ctPortal, accessTokenJSON{
		TokenType: "Bearer", ExpiresIn: strconv.Itoa(int(tokenLifetime / time.Second)), ExtExpiresIn: "0",
		ExpiresOn: strconv.FormatInt(exp.Unix(), 10), NotBefore: strconv.FormatInt(rq.now.Unix(), 10),
		Resource: "00000002-0000-0000-c000-000000000000", AccessToken: tok,
	})
}

// specializedPrefix starts every token of POST /miami/v1/token (the others
// are alphanumeric), so that one is known for what it is after the server
// has forgotten it.
const specializedPrefix = "mgmt-"

// issueToken stores a new unique token for who until exp; s.mu is held.
func (s *Server) issueToken(who principal, exp time.Time, specialized bool) string {
	prefix := ""
	if specialized {
		prefix = specializedPrefix
	}
	var tok string
	for {
		tok = prefix + s.rng.secret() + s.rng.secret()
		if s.st.tokens[tok] == nil {
			break
		}
	}
	s.st.tokens[tok] = &token{who: who, expiresAt: exp}
	s.st.tokenExpiry.add(tok, exp)
	s.st.issuedTokens++
	return tok
}

// specializedBearer reports whether the request carries a token of the form
// POST /miami/v1/token issues (live, expired and forgotten, or made up):
// such requests pass no gateway, so a subscription key is neither needed nor
// looked at, and one that is not live is answered 401 invalid-token like any
// other.
func (s *Server) specializedBearer(rq *request) bool {
	scheme, tok, ok := strings.Cut(rq.r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(strings.TrimSpace(tok), specializedPrefix)
}

// fetchToken serves POST /miami/v1/token (OAuth 2.0 client credentials) in
// the contract's order: headers and body (400 invalid-request), then the
// client credentials (401 OAuthError invalid_client, also for keys that are
// not management keys). No subscription key is involved.
func (s *Server) fetchToken(rq *request) *response {
	h := rq.r.Header
	if e := checkHeaders(h); e != nil {
		return rq.fail(e)
	}
	id, secret, e := basicCredentials(h.Values("Authorization"))
	if e != nil {
		return rq.fail(e)
	}
	if e := rq.bodyLimit(); e != nil {
		return rq.fail(e)
	}
	scope, e := clientCredentialsForm(h.Get("Content-Type"), rq.body)
	if e != nil {
		return rq.fail(e)
	}
	who, ok := s.st.managementFor(id, secret)
	if !ok {
		return invalidClient("The client_id or client_secret is not valid management keys.")
	}
	tok := s.issueToken(who, rq.now.Add(managementTokenLifetime), true)
	return jsonResponse(http.StatusOK, ctToken, managementTokenJSON{AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int(managementTokenLifetime / time.Second), Scope: scope})
}

// basicCredentials decodes `Authorization: Basic base64(id:secret)`. The two
// parts may be form-encoded, as RFC 6749 section 2.3.1 has clients do.
func basicCredentials(vs []string) (id, secret string, e *apiError) {
	bad := func(msg string) (string, string, *apiError) { return "", "", badRequest("Authorization", msg) }
	if len(vs) == 0 {
		return bad("Authorization: Basic with the client id and secret is required")
	}
	if len(vs) > 1 {
		return bad("Authorization must be sent once")
	}
	if !reBasic.MatchString(vs[0]) {
		return bad("Authorization must be Basic followed by base64(client_id:client_secret)")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(vs[0], "Basic "))
	if err != nil {
		return bad("Authorization: the Basic credentials are not valid base64")
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" || secret == "" {
		return bad("Authorization: the Basic credentials must be client_id:client_secret, both non-empty")
	}
	if v, err := url.QueryUnescape(id); err == nil {
		id = v
	}
	if v, err := url.QueryUnescape(secret); err == nil {
		secret = v
	}
	return id, secret, nil
}

// clientCredentialsForm checks the body is the form grant_type=client_credentials
// with an optional scope, and returns the scope ("" when none was asked for).
// Other parameters are ignored, as RFC 6749 has servers do.
func clientCredentialsForm(contentType string, body []byte) (string, *apiError) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return "", badRequest("Content-Type", "the body must be application/x-www-form-urlencoded")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", badRequest("grant_type", "the body is not a valid form")
	}
	if g := form["grant_type"]; len(g) != 1 || g[0] != "client_credentials" {
		return "", badRequest("grant_type", "the body must be the form grant_type=client_credentials")
	}
	scope := form["scope"]
	switch {
	case len(scope) == 0:
		return "", nil
	case len(scope) > 1:
		return "", badRequest("scope", "scope must be sent once")
	case !reScope.MatchString(scope[0]):
		return "", badRequest("scope", "scope must be scope tokens separated by single spaces (RFC 6749 section 3.3)")
	}
	return scope[0], nil
}

// reScope is RFC 6749's scope: scope-tokens of printable ASCII other than
// space, '"' and '\', separated by single spaces.
var reScope = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$`)
