package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/vippsportal/sdk/vipps"
)

// Errors of net/http that another attempt cannot cure: the same messages
// retryablehttp's own policy recognises.
var (
	redirectsErrorRe     = regexp.MustCompile(`stopped after \d+ redirects\z`)
	schemeErrorRe        = regexp.MustCompile(`unsupported protocol scheme`)
	invalidHeaderErrorRe = regexp.MustCompile(`invalid header`)
	badLocationErrorRe   = regexp.MustCompile(`failed to parse Location header`) // a redirect, and a broken one
	notTrustedErrorRe    = regexp.MustCompile(`certificate is not trusted`)
)

// retryableStatus is the one list of statuses worth another attempt.
func retryableStatus(code int) bool { return vipps.RetryableStatus(code) }

// checkRetry is retryablehttp's CheckRetry: the request travels in ctx.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateOf(ctx)
	if st == nil {
		return false, err
	}
	// The caller's context, not the attempt's: an attempt that ran out of time
	// is worth another one, and the caller's deadline is the one a wait must meet.
	ctx = st.ctx
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	retry, err := c.shouldRetry(ctx, st, resp, err)
	if retry {
		st.retryFrom()
	}
	return retry, err
}

// retryFrom makes the call's state the request's context again before
// retryablehttp waits for the next attempt: the wait then ends with the
// caller's context, not with the attempt that just ended.
func (st *callState) retryFrom() {
	if st.req != nil && st.req.Context() != st.ctx {
		st.req.Request = st.req.Request.WithContext(st.ctx)
	}
}

func (c *Client) shouldRetry(ctx context.Context, st *callState, resp *http.Response, err error) (bool, error) {
	if err != nil {
		st.noAnswer = true
		retry := st.retryable && retryableTransportError(err)
		if st.logger != nil {
			st.log(ctx, "vipps no answer", slog.Bool("retry", retry), slog.String("error", st.redact()(err.Error())))
		}
		return retry, nil
	}
	if !st.retryable || !retryableStatus(resp.StatusCode) {
		return false, nil
	}
	// The parsed wait is logged, never the raw header: a server may echo anything there.
	wait := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	st.log(ctx, "vipps retryable answer", slog.Int("status", resp.StatusCode), slog.Duration("retry_after", wait))
	if wait > 0 {
		// A wait longer than we may, or past the caller's deadline, fails now
		// with the server's answer (and its RetryAfter) instead of sleeping in vain.
		if wait > c.maxRetryA {
			return false, nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			return false, nil
		}
	}
	return true, nil
}

func retryableTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &invalidCert), errors.As(err, &recordErr):
		return false
	}
	msg := err.Error()
	return !redirectsErrorRe.MatchString(msg) && !schemeErrorRe.MatchString(msg) &&
		!invalidHeaderErrorRe.MatchString(msg) && !notTrustedErrorRe.MatchString(msg) && !badLocationErrorRe.MatchString(msg)
}

// backoff is retryablehttp's Backoff: the server's Retry-After when it sent one
// (checkRetry has already refused one that is too long), else exponential
// backoff with full jitter, capped.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); wait > 0 {
			return wait
		}
	}
	return FullJitter(minWait, maxWait, attempt)
}

// FullJitter is a random wait in [0, min(maxWait, minWait*2^attempt)].
func FullJitter(minWait, maxWait time.Duration, attempt int) time.Duration {
	ceiling := minWait
	for i := 0; i < attempt && ceiling < maxWait; i++ {
		ceiling *= 2
	}
	if ceiling > maxWait {
		ceiling = maxWait
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// onAttempt is retryablehttp's RequestLogHook: it counts attempts and logs them.
func (c *Client) onAttempt(_ retryablehttp.Logger, req *http.Request, i int) {
	st := stateOf(req.Context())
	if st == nil {
		return
	}
	st.attempts = i + 1
	st.log(req.Context(), "vipps request")
}

// log writes a debug event about this call. Only the operation, method, path
// (never the query or a header) and the given attributes are logged.
func (st *callState) log(ctx context.Context, msg string, attrs ...slog.Attr) {
	if st.logger == nil || !st.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs = append([]slog.Attr{slog.String("operation", st.operation), slog.String("method", st.method),
		slog.String("path", st.path), slog.Int("attempt", st.attempts)}, attrs...)
	st.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// traceCall prepares the one debug event that ends each call, when the
// logger takes debug events: it returns ctx carrying a holder of the call's
// answer (the caller's own holder, if it gave one; see WithResponse) and end,
// which logs the operation, method, path, status, attempts, elapsed time and
// request id (vipps.Response's rule), and the error's text, which holds no
// secret. Without a logger, end does nothing and ctx is unchanged.
func (c *Client) traceCall(ctx context.Context, r *Request) (context.Context, func(error)) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return ctx, noEnd
	}
	meta := responseOf(ctx)
	if meta == nil {
		meta = new(vipps.Response)
		ctx = WithResponse(ctx, meta)
	}
	start := time.Now()
	return ctx, func(err error) {
		attrs := []slog.Attr{slog.String("operation", r.Operation), slog.String("method", r.Method), slog.String("path", r.Path),
			slog.Int("status", meta.StatusCode), slog.Int("attempts", meta.Attempts),
			slog.Duration("elapsed", time.Since(start)), slog.String("request_id", meta.RequestID)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "vipps call", attrs...)
	}
}

func noEnd(error) {}
