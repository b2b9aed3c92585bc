package portaltest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// tokenLifetime is the contract's expires_in.
const tokenLifetime = 3600 * time.Second

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
		return jsonResponse(http.StatusUnauthorized, ctPortal, oauthErrorJSON{Error: "invalid_client",
			ErrorDescription: "The client_id or client_secret is not valid.", ErrorCodes: []int{7000215}})
	}
	var tok string
	for {
		tok = s.rng.secret() + s.rng.secret()
		if s.st.tokens[tok] == nil {
			break
		}
	}
	exp := rq.now.Add(tokenLifetime)
	s.st.tokens[tok] = &token{who: who, expiresAt: exp}
	s.st.issuedTokens++
	return jsonResponse(http.StatusOK, ctPortal, accessTokenJSON{
		TokenType: "Bearer", ExpiresIn: strconv.Itoa(int(tokenLifetime / time.Second)), ExtExpiresIn: "0",
		ExpiresOn: strconv.FormatInt(exp.Unix(), 10), NotBefore: strconv.FormatInt(rq.now.Unix(), 10),
		Resource: "00000002-0000-0000-c000-000000000000", AccessToken: tok,
	})
}
