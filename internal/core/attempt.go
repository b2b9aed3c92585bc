package core

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// attemptGuard bounds each attempt with a context.WithTimeout of its own, as
// hashicorp/vault's API client does: from dialling to the last byte of the
// answer's body, which keeps the attempt's context until it is read to the end
// or closed (http.Client's Timeout does the same at the cost of a goroutine
// per request). It also sets the call's headers as the request leaves (see
// callState.setHeaders). It has no CloseIdleConnections, so
// http.Client.CloseIdleConnections on the SDK's copy leaves the caller's pool alone.
//
// The timer of each attempt is made on the goroutine of the call, so a client
// works inside testing/synctest bubbles (and across them) like any other code.
type attemptGuard struct {
	rt      http.RoundTripper
	timeout time.Duration
	expired *AttemptTimeoutError // the cause of every attempt this guard ended
}

func newAttemptGuard(rt http.RoundTripper, timeout time.Duration) *attemptGuard {
	return &attemptGuard{rt: rt, timeout: timeout, expired: &AttemptTimeoutError{Limit: timeout}}
}

// attemptContext returns the context of an attempt made under ctx: ctx
// itself, with a nil cancel, when ctx's own deadline comes first (it bounds
// the attempt already), or ctx with the attempt timeout.
func (g *attemptGuard) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= g.timeout {
		return ctx, nil
	}
	return context.WithTimeoutCause(ctx, g.timeout, g.expired)
}

func (g *attemptGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	st := stateOf(ctx)
	var cancel context.CancelFunc
	var body *attemptBody
	if st != nil && ctx == st.first {
		// The call's first attempt: send built its request on the attempt's
		// context already, so the request needs no copy, and the state has
		// room for the body.
		cancel, st.firstCancel = st.firstCancel, nil
		body = &st.firstBody
	} else if ctx, cancel = g.attemptContext(ctx); cancel != nil {
		r = r.WithContext(ctx)
		body = new(attemptBody)
	}
	if st != nil {
		st.setHeaders(r.Header)
	}
	if cancel == nil {
		return g.rt.RoundTrip(r)
	}
	resp, err := g.rt.RoundTrip(r)
	if err != nil {
		cancel()
		return nil, g.explain(ctx, err)
	}
	*body = attemptBody{ReadCloser: resp.Body, ctx: ctx, cancel: cancel, guard: g}
	resp.Body = body
	return resp, nil
}

// explain replaces the error of an attempt that its timeout ended with the
// timeout itself, which says what happened ("context canceled" would not).
func (g *attemptGuard) explain(ctx context.Context, err error) error {
	if err != nil && err != io.EOF && errors.Is(context.Cause(ctx), g.expired) {
		return g.expired
	}
	return err
}

// attemptBody is an answer's body read under its attempt's context: reading
// it to the end, or closing it, ends the attempt and stops its timer.
type attemptBody struct {
	io.ReadCloser
	ctx    context.Context
	cancel context.CancelFunc
	guard  *attemptGuard
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		// net/http has put the connection back in its pool before it returns
		// io.EOF: ending the attempt's context now cannot cost it.
		b.cancel()
	}
	return n, b.guard.explain(b.ctx, err)
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// AttemptTimeoutError is an attempt that reached RetryPolicy.AttemptTimeout
// before its answer was complete: no answer (a safe call is retried), or a body
// that stopped coming.
type AttemptTimeoutError struct{ Limit time.Duration }

func (e *AttemptTimeoutError) Error() string {
	return "no complete answer within the attempt timeout of " + e.Limit.String()
}

// Timeout reports true, as net.Error's timeouts do.
func (e *AttemptTimeoutError) Timeout() bool { return true }
