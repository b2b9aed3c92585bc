package portaltest

import (
	"net/http"
	"time"
)

// Option configures a simulator ([NewServer], [Start]).
type Option func(*config)

type config struct {
	seed              Seed
	seedSet           bool
	provisioningDelay time.Duration
	keysDelay         time.Duration
	manual            bool
	now               func() time.Time
	clockSet          bool
	orderStep         time.Duration
	randSeed          int64
	randSeeded        bool
	logLimit          int
	onRequest         func(LoggedRequest)
	localWebhooks     bool
	webhookTransport  http.RoundTripper
	notifyEndpoint    bool
}

// WithSeed sets the starting state (default: [DefaultSeed]). A seed that
// breaks a rule of [LoadSeed] makes [Start] fail and [NewServer] panic.
func WithSeed(seed Seed) Option { return func(c *config) { c.seed, c.seedSet = seed, true } }

// WithProvisioningDelay makes a creation COMPLETED d after it was posted, on
// the server clock. With 0 (the default) the 202 says PENDING and the next read
// says COMPLETED. While PENDING, the 202 and each read carry Retry-After: the
// time left until d has passed, in whole seconds rounded up, at least 1.
func WithProvisioningDelay(d time.Duration) Option {
	return func(c *config) { c.provisioningDelay = d }
}

// WithKeysDelay makes a new unit's keys ready d after its completion
// (default 0); until then reading them answers 409 keys-not-ready. A negative
// d is refused by [NewServer] and [Start].
func WithKeysDelay(d time.Duration) Option { return func(c *config) { c.keysDelay = d } }

// WithManualProvisioning keeps creations PENDING until
// [Server.CompleteCreation] or [Server.CompleteAll], and keys unready until
// [Server.IssueKeys]. No completion time is known
// then, so a pending creation's Retry-After says 1 (second), the least the
// contract allows.
func WithManualProvisioning() Option { return func(c *config) { c.manual = true } }

// WithClock sets the clock used for every time the server reads. With a
// clock of your own (a [ManualClock], say) webhook notifications are
// delivered only when the test calls [Server.RunDueDeliveries]: nothing
// happens behind its back, and a test never sleeps. With the real clock (no
// WithClock) one goroutine delivers them as they fall due.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now, c.clockSet = now, true }
}

// WithOrderStep moves each prefilled product order one status every d
// (RECEIVED, MERCHANT_VIEWED, ORDER_SUBMITTED, COMPLETED) on the server
// clock; 0 leaves them where they are (move one with [Server.SetOrderStatus]).
func WithOrderStep(d time.Duration) Option { return func(c *config) { c.orderStep = d } }

// WithRandSeed makes generated values (ids, keys, secrets) and fault
// probabilities deterministic.
func WithRandSeed(n int64) Option { return func(c *config) { c.randSeed, c.randSeeded = n, true } }

// WithRequestLogLimit keeps only the newest n requests in the request log
// ([Server.Requests], [Server.RequestsOf]) and the delivery log
// ([Server.Deliveries]), so memory stays flat over a long run; 0 means
// [DefaultRequestLogLimit], a negative n is refused by [NewServer] and [Start].
func WithRequestLogLimit(n int) Option { return func(c *config) { c.logLimit = n } }

// WithRequestHook calls f with each request's log entry once it is answered
// (or dropped), outside the server's lock, from the request's goroutine: f
// must be safe for concurrent use and should be quick. Secret header values
// are redacted in the entry, as in the log. examples/simulator -v uses it.
func WithRequestHook(f func(LoggedRequest)) Option { return func(c *config) { c.onRequest = f } }

// WithLocalWebhooks lets registerWebhook ([OpRegisterWebhook]) accept http
// and https URLs on a
// loopback host (127.0.0.1, ::1, localhost) on any port, so notifications can
// reach a receiver on the developer's machine (an httptest.Server, say).
// Vipps never does; without this option such a URL is a 400, as there.
func WithLocalWebhooks() Option { return func(c *config) { c.localWebhooks = true } }

// WithWebhookTransport sends notifications through rt instead of the
// network, so a test can receive them in memory at any registered URL
// (https on port 443 included). The delivering client still follows no
// redirect and gives each attempt 10 seconds. The simulator never closes
// rt's connections: they are the caller's.
func WithWebhookTransport(rt http.RoundTripper) Option {
	return func(c *config) { c.webhookTransport = rt }
}

// WithNotifyEndpoint serves POST [NotifyPath] (/_simulator/notifications)
// on the server's own address, for the standalone simulator (examples/simulator): a JSON body
// {"msn": "123456", "event": "epayments.payment.captured.v1", "payload": {...}}
// is handed to [Server.Notify] and answered 202 with the number of
// registrations it goes to, 404 when none holds the event, 400 when the body
// is not such an object. Not part of the contract: without this option the
// path is a 404 like any other.
func WithNotifyEndpoint() Option { return func(c *config) { c.notifyEndpoint = true } }
