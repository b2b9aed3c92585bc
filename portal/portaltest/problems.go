package portaltest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// problemBase prefixes every Problem type URI; the last segment is the name.
const problemBase = "https://portal-sdk.invalid/problems/"

// Problem names of the contract.
const (
	pInvalidRequest     = "invalid-request"
	pInvalidPageToken   = "invalid-page-token"
	pBodyTooLarge       = "body-too-large"
	pInvalidToken       = "invalid-token"
	pTokenRevoked       = "token-revoked"
	pNotAPortalUser     = "not-a-portal-user"
	pAdminRequired      = "administrator-required"
	pForbidden          = "forbidden"
	pKeysHidden         = "keys-hidden"
	pNotFound           = "not-found"
	pMethodNotAllowed   = "method-not-allowed"
	pImmutable          = "test-sales-unit-immutable"
	pIdempotencyReused  = "idempotency-key-reused"
	pKeysNotReady       = "keys-not-ready"
	pUserExists         = "user-exists"
	pLastAdministrator  = "last-administrator"
	pOrderSubmitted     = "order-submitted"
	pWebhookLimit       = "webhook-limit-reached"
	pRateLimited        = "rate-limited"
	pProvisioningFailed = "provisioning-failed"
	pInternal           = "internal"
	pUnavailable        = "unavailable"
)

var problemTitles = map[string]string{
	pInvalidRequest:     "Invalid request",
	pInvalidPageToken:   "Invalid page token",
	pBodyTooLarge:       "Request body too large",
	pInvalidToken:       "Invalid or expired access token",
	pTokenRevoked:       "Access token revoked",
	pNotAPortalUser:     "Not a portal user",
	pAdminRequired:      "Administrator required",
	pForbidden:          "Forbidden",
	pKeysHidden:         "Keys hidden",
	pNotFound:           "Not found",
	pMethodNotAllowed:   "Method not allowed",
	pImmutable:          "Test sales unit cannot be changed",
	pIdempotencyReused:  "Idempotency key reused with a different body",
	pKeysNotReady:       "Keys not ready",
	pUserExists:         "User exists",
	pLastAdministrator:  "Last administrator",
	pOrderSubmitted:     "Order submitted",
	pWebhookLimit:       "Webhook limit reached",
	pRateLimited:        "Too many requests",
	pProvisioningFailed: "Provisioning failed",
	pInternal:           "Internal server error",
	pUnavailable:        "Service unavailable",
}

// problemJSON is the wire Problem.
type problemJSON struct {
	Type         string       `json:"type"`
	Title        string       `json:"title"`
	Status       int          `json:"status"`
	Detail       string       `json:"detail"`
	Instance     string       `json:"instance"`
	ExtraDetails []extraEntry `json:"extraDetails,omitempty"`
}

type extraEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// apiError is a refusal on its way to becoming a Problem answer.
type apiError struct {
	status     int
	name       string
	detail     string
	extra      []extraEntry
	retryAfter int // seconds; 0 = no header
}

func (e *apiError) Error() string { return e.name + ": " + e.detail }

func newProblem(status int, name, detail string) *apiError {
	return &apiError{status: status, name: name, detail: detail}
}

func badRequest(field, detail string) *apiError {
	e := newProblem(http.StatusBadRequest, pInvalidRequest, detail)
	if field != "" {
		e.extra = []extraEntry{{Key: "field", Value: field}}
	}
	return e
}

func notFound(what string) *apiError {
	return newProblem(http.StatusNotFound, pNotFound, what+" not found")
}

func problemValue(name string, status int, detail, instance string) problemJSON {
	title := problemTitles[name]
	if title == "" {
		title = http.StatusText(status)
	}
	return problemJSON{Type: problemBase + name, Title: title, Status: status, Detail: detail, Instance: instance}
}

// problemResponse renders an apiError for the request path.
func problemResponse(e *apiError, instance string) *response {
	p := problemValue(e.name, e.status, e.detail, instance)
	p.ExtraDetails = e.extra
	r := jsonResponse(e.status, "application/problem+json", p)
	if e.retryAfter > 0 {
		r.header.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	return r
}

// response is an answer built in memory, so that it can be stored for
// idempotent replay, or thrown away by DropAfterWork.
type response struct {
	status   int
	header   http.Header
	body     []byte
	replayed bool
	problem  string // the Problem name of a refusal
}

func jsonResponse(status int, contentType string, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		panic("portaltest: encode: " + err.Error())
	}
	h := http.Header{}
	h.Set("Content-Type", contentType)
	return &response{status: status, header: h, body: b}
}

func emptyResponse(status int) *response {
	return &response{status: status, header: http.Header{}}
}

const (
	ctManagement = "application/json;charset=UTF-8"
	ctPortal     = "application/json"
)

func (r *response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = append([]string(nil), v...)
	}
	if r.body != nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	w.WriteHeader(r.status)
	if r.body != nil {
		_, _ = w.Write(r.body)
	}
}

func (r *response) clone() *response {
	return &response{status: r.status, header: r.header.Clone(), body: append([]byte(nil), r.body...), replayed: r.replayed, problem: r.problem}
}
