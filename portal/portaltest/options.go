package portaltest

import "time"

// Option configures a simulator.
type Option func(*config)

type config struct {
	seed              Seed
	seedSet           bool
	provisioningDelay time.Duration
	keysDelay         time.Duration
	manual            bool
	now               func() time.Time
	orderStep         time.Duration
	randSeed          int64
	randSeeded        bool
	logLimit          int
	onRequest         func(LoggedRequest)
}

// WithSeed sets the starting state (default: DefaultSeed()).
func WithSeed(seed Seed) Option { return func(c *config) { c.seed, c.seedSet = seed, true } }

// WithProvisioningDelay makes a creation COMPLETE d after it was posted, on
// the server clock. With 0 (the default) the 202 says PENDING and the next read
// says COMPLETED. While PENDING, the 202 and each read carry Retry-After: the
// time left until d has passed, in whole seconds rounded up, at least 1.
func WithProvisioningDelay(d time.Duration) Option {
	return func(c *config) { c.provisioningDelay = d }
}

// WithKeysDelay makes a new unit's keys ready d after its completion (default 0).
func WithKeysDelay(d time.Duration) Option { return func(c *config) { c.keysDelay = d } }

// WithManualProvisioning keeps creations PENDING until CompleteCreation or
// CompleteAll, and keys unready until IssueKeys. No completion time is known
// then, so a pending creation's Retry-After says 1 (second), the least the
// contract allows.
func WithManualProvisioning() Option { return func(c *config) { c.manual = true } }

// WithClock sets the clock used for every time the server reads.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithOrderStep moves each prefilled product order one status every d
// (RECEIVED, MERCHANT_VIEWED, ORDER_SUBMITTED, COMPLETED); 0 leaves them.
func WithOrderStep(d time.Duration) Option { return func(c *config) { c.orderStep = d } }

// WithRandSeed makes generated values and fault probabilities deterministic.
func WithRandSeed(n int64) Option { return func(c *config) { c.randSeed, c.randSeeded = n, true } }

// WithRequestLogLimit keeps only the newest n requests in the request log
// (Requests, RequestsOf), so memory stays flat over a long run; 0 means
// DefaultRequestLogLimit, a negative n is refused by NewServer and Start.
func WithRequestLogLimit(n int) Option { return func(c *config) { c.logLimit = n } }

// WithRequestHook calls f with each request's log entry once it is answered
// (or dropped), outside the server's lock, from the request's goroutine: f
// must be safe for concurrent use and should be quick. Secret header values
// are redacted in the entry, as in the log. examples/simulator -v uses it.
func WithRequestHook(f func(LoggedRequest)) Option { return func(c *config) { c.onRequest = f } }
