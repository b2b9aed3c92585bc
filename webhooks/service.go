package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/internal/wiring"
	"github.com/vippsportal/sdk/vipps"
)

// Limits of the contract.
const (
	maxURLLen  = 2048
	maxEvents  = 50
	webhooksAt = "/webhooks/v1/webhooks"
)

// Service registers, lists and deletes webhooks (the Webhooks API, in
// production and in the test environment), and builds on them: [Service.Ensure]
// reconciles a declared set of registrations, [Service.RotateSecret] replaces a
// registration's secret without refusing a notification.
//
// Every call acts in the scope of its context: the sales unit of
// [github.com/vippsportal/sdk/portal.WithMSN](ctx, msn), else the client's
// MSN; a partner's client without an MSN acts partner-wide (registrations
// that cover every sales unit connected to the partner, now and later). A
// sales unit's own keys reach only that unit, a partner's the units
// connected to it: any other MSN is [vipps.ErrForbidden]. Portal users' keys
// are refused too ([vipps.ErrForbidden], 403 forbidden), and management keys
// without a request ([vipps.ErrUnsupported]).
//
// As in every package of the SDK, a call may also fail with
// [vipps.ErrUnsupported] (a Service portal.New did not build),
// [vipps.ErrUnauthorized], [vipps.ErrRateLimited], [vipps.ErrServer] or
// [vipps.ErrTransport].
type Service struct{ c *core.Client }

// Built by portal.New through internal/wiring (see salesunit's services.go).
func init() { wiring.Register(func(c *core.Client) *Service { return &Service{c: c} }) }

func (s *Service) client() *core.Client {
	return core.ServiceClient(s, func(s *Service) *core.Client { return s.c })
}

// Registration asks Vipps to send notifications of Events to URL.
type Registration struct {
	// URL receives the notifications: an absolute https URL without user
	// info or fragment, on the default port, 443 or 8080, at most 2048
	// characters. Verify notifications against it exactly as written here.
	URL string
	// Events are 1-50 distinct event names ([Catalog], or names Vipps added
	// since; see [EventName.Valid]). At most 25 registrations of one scope
	// may hold the same event.
	Events []EventName
	// AllowLocalHTTP permits an http URL on a loopback host (127.0.0.1, ::1,
	// localhost) on any port, for a simulator delivering to a receiver on
	// the same machine. Vipps itself refuses such URLs.
	AllowLocalHTTP bool
}

// Registered is a new registration and its signing secret, which Vipps shows
// this once: keep it where your receiver reads its [Key]. Printing it or
// encoding it as JSON shows no secret ([vipps.Secret] redacts); store
// Secret.Reveal() on purpose.
type Registered struct {
	ID     string       `json:"id"`
	Secret vipps.Secret `json:"secret"`
	URL    string       `json:"url"`
	Events []EventName  `json:"events"`
	// MSN is the sales unit the registration belongs to; "" when it is
	// partner-wide.
	MSN string `json:"msn"`
}

// Webhook is a registration as [Service.List] reads it: never with its secret.
type Webhook struct {
	ID     string      `json:"id"`
	URL    string      `json:"url"`
	Events []EventName `json:"events"`
}

// registerBody is the contract's WebhookRegistration.
type registerBody struct {
	URL    string      `json:"url"`
	Events []EventName `json:"events"`
}

// Register asks Vipps to send notifications of r.Events to r.URL:
// POST /webhooks/v1/webhooks. The answer's secret is shown only this once.
//
// A registration that breaks a rule of [Registration] is a
// *[vipps.ValidationError] before any request, naming the field
// (Registration.URL, Registration.Events[2] ...). The call carries an
// Idempotency-Key (the context's, from
// [github.com/vippsportal/sdk/portal.WithIdempotencyKey], or a new one),
// reused on every retry: when the outcome is unknown, the error's
// *[vipps.Error] holds it, and repeating the call with that key answers the
// same id and secret. Without such a repeat, a registration whose
// answer was lost has a secret nobody knows: [Service.Ensure] finds and
// removes it. A scope where 25 registrations already hold one of the events
// answers 400 webhook-limit-reached ([vipps.ErrBadRequest],
// [vipps.ProblemWebhookLimitReached]).
func (s *Service) Register(ctx context.Context, r Registration) (*Registered, error) {
	if err := checkRegistration("Registration", r.URL, r.Events, r.AllowLocalHTTP); err != nil {
		return nil, err
	}
	return s.register(ctx, r.URL, r.Events)
}

func (s *Service) register(ctx context.Context, u string, events []EventName) (*Registered, error) {
	if err := core.CheckContext(ctx); err != nil {
		return nil, err
	}
	key := core.IdempotencyKeyFrom(ctx)
	if key == "" {
		key = core.NewIdempotencyKey()
		ctx = core.WithIdempotencyKey(ctx, key)
	}
	req := &core.Request{Group: core.GroupWebhooks, Operation: "registerWebhook", Method: http.MethodPost,
		Path: webhooksAt, Body: registerBody{URL: u, Events: events}, Idempotent: true}
	var out struct {
		ID     string       `json:"id"`
		Secret vipps.Secret `json:"secret"`
	}
	if _, err := s.client().Do(ctx, req, &out); err != nil {
		return nil, err
	}
	if out.ID == "" || out.Secret.IsZero() {
		// Registered or not, nobody can verify with what came back: an unknown outcome.
		return nil, &vipps.Error{StatusCode: http.StatusCreated, Operation: req.Operation, Method: req.Method, Path: req.Path,
			Err: errors.New("the answer holds no id or no secret"), IdempotencyKey: key}
	}
	return &Registered{ID: out.ID, Secret: out.Secret, URL: u, Events: slices.Clone(events), MSN: s.client().MSN(ctx)}, nil
}

// webhookList is the contract's answer to getAllWebhooks.
type webhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// List reads every registration of the scope: GET /webhooks/v1/webhooks.
// Secrets are never listed. The answer is the whole list (an empty one when
// the scope has none).
func (s *Service) List(ctx context.Context) ([]Webhook, error) {
	out, err := core.Call[webhookList](ctx, s.client(), &core.Request{Group: core.GroupWebhooks, Operation: "getAllWebhooks",
		Method: http.MethodGet, Path: webhooksAt})
	if err != nil {
		return nil, err
	}
	if out.Webhooks == nil {
		return []Webhook{}, nil
	}
	return out.Webhooks, nil
}

// Delete removes one registration of the scope: DELETE /webhooks/v1/webhooks/{id}.
// An id that is not a UUID is a *[vipps.ValidationError] naming "id".
// Another scope's id, or one already deleted, is a 404 ([vipps.ErrNotFound]);
// a retry after a lost answer that finds it gone reports success.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := core.CheckUUID("id", id); err != nil {
		return err
	}
	_, err := s.client().Do(ctx, &core.Request{Group: core.GroupWebhooks, Operation: "deleteWebhook",
		Method: http.MethodDelete, Path: core.Path(webhooksAt+"/%s", id)}, nil)
	return err
}

// checkRegistration refuses what Vipps would refuse, naming field+".URL" or
// field+".Events[i]".
func checkRegistration(field, u string, events []EventName, allowLocalHTTP bool) error {
	if err := checkURL(field+".URL", u, allowLocalHTTP); err != nil {
		return err
	}
	return checkEvents(field+".Events", events)
}

func checkURL(field, raw string, allowLocalHTTP bool) error {
	if raw == "" {
		return core.Invalid(field, "is required")
	}
	if n := utf8.RuneCountInString(raw); n > maxURLLen {
		return core.Invalid(field, "is %d characters; at most %d are allowed", n, maxURLLen)
	}
	if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return core.Invalid(field, "must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return core.Invalid(field, "must be an absolute https URL such as https://example.com/vipps/webhooks")
	}
	if u.User != nil {
		return core.Invalid(field, "must not carry user info")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return core.Invalid(field, "must not carry a fragment")
	}
	local := u.Scheme == "http" && allowLocalHTTP && core.IsLoopback(u.Hostname())
	switch {
	case u.Scheme == "https":
	case local:
		return checkPort(field, u, nil) // any port of a local receiver
	case u.Scheme == "http" && core.IsLoopback(u.Hostname()):
		return core.Invalid(field, "uses http; Vipps accepts only https (set AllowLocalHTTP for a simulator delivering to this machine)")
	default:
		return core.Invalid(field, "must use https, got %q", u.Scheme)
	}
	return checkPort(field, u, []string{"443", "8080"})
}

// checkPort refuses a malformed port, and one outside allowed when that is not nil.
func checkPort(field string, u *url.URL, allowed []string) error {
	port := u.Port()
	if strings.HasSuffix(u.Host, ":") {
		return core.Invalid(field, "has an empty port")
	}
	if port == "" {
		return nil
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return core.Invalid(field, "has a port outside 1-65535")
	}
	if allowed != nil && !slices.Contains(allowed, port) {
		return core.Invalid(field, "uses port %s; Vipps delivers only to the default port, 443 or 8080", port)
	}
	return nil
}

func checkEvents(field string, events []EventName) error {
	switch {
	case len(events) == 0:
		return core.Invalid(field, "must name at least one event (see webhooks.Catalog)")
	case len(events) > maxEvents:
		return core.Invalid(field, "names %d events; at most %d are allowed (register the rest separately)", len(events), maxEvents)
	}
	for i, e := range events {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !e.Valid() {
			return core.Invalid(f, "%q is not an event name such as %s", string(e), EPaymentAuthorized)
		}
		if j := slices.Index(events[:i], e); j >= 0 {
			return core.Invalid(f, "repeats %s[%d] (%s)", field, j, e)
		}
	}
	return nil
}
