package vipps

import "time"

// BusinessIdentifier names a merchant: Scheme such as "business:NO:ORG"
// (10-30 characters) and ID such as "987654325" (4-50 digits or '-').
type BusinessIdentifier struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

// RetryPolicy bounds the retries of every call
// ([github.com/vippsportal/sdk/portal.WithRetry]). MaxAttempts counts the
// first attempt. Zero fields take the defaults: 4 attempts, backoff from
// 200 ms to 5 s, a server's Retry-After honoured up to 30 s, 30 s per
// attempt. Only what may pass is retried (no answer, unless a certificate was
// refused, and the statuses of [RetryableStatus]), and only a request that
// may be repeated: a GET, PUT or DELETE, a token request, a POST that carries
// an Idempotency-Key.
type RetryPolicy struct {
	MaxAttempts   int
	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds each attempt from dialling to the last byte of the
	// answer's body, even under context.Background(): a server that never
	// answers, or drips its body, fails that attempt (a safe call is retried).
	// Default 30 s. A WithHTTPClient client's own Timeout applies too: the
	// shorter of the two wins. Requests through
	// [github.com/vippsportal/sdk/portal.Client.HTTPClient] are bounded until
	// their answer's headers arrive; their body is the caller's.
	AttemptTimeout time.Duration
}

// PollEvent is what every waiter reports to its OnPoll callback about one poll,
// in words that need no type assertion. The waiter's own event type embeds it
// and adds the typed record the poll saw
// ([github.com/vippsportal/sdk/salesunit.PollEvent]).
type PollEvent struct {
	Attempt int           // 1 for the first poll
	Elapsed time.Duration // since the wait began
	Kind    string        // what is waited for: "creation", "test unit", "product order"
	ID      string        // its id (creation id, msn, product order id)
	Status  string        // the state this poll saw, such as "PENDING" or "without keys"; "" when the poll failed
	Err     error         // the poll's error when it is one the waiter keeps going on
	Done    bool          // this poll ended the wait: what was waited for is ready
	// NextDelay is how long until the next poll; 0 when the wait ends.
	NextDelay time.Duration
	// Estimated reports that NextDelay follows the server's Retry-After estimate
	// of when the work will be done, rather than the waiter's own schedule.
	Estimated bool
}
