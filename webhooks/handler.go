package webhooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Handler defaults.
const (
	// DefaultMaxBodyBytes bounds a notification's body: Vipps' events are a
	// few hundred bytes.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultTimeout bounds the function a Handler calls, well inside the 10
	// seconds Vipps waits for an answer before it counts the delivery failed.
	DefaultTimeout = 8 * time.Second
	// DefaultSecretWait bounds how long a Handler serving a [Keyring] holds a
	// notification whose signature matches no secret, waiting for the secret
	// a rotation is adding.
	DefaultSecretWait = 5 * time.Second
)

// HandlerOption configures a [Handler].
type HandlerOption func(*handler)

// WithMaxBodyBytes bounds the body a Handler reads (default
// [DefaultMaxBodyBytes]); a larger one is answered 413 unread. n <= 0 keeps
// the default.
func WithMaxBodyBytes(n int64) HandlerOption {
	return func(h *handler) {
		if n > 0 {
			h.maxBody = n
		}
	}
}

// WithTimeout bounds the context the Handler's function gets (default
// [DefaultTimeout]). d <= 0 keeps the default.
func WithTimeout(d time.Duration) HandlerOption {
	return func(h *handler) {
		if d > 0 {
			h.timeout = d
		}
	}
}

// WithSecretWait bounds how long a Handler whose [KeySource] can change (a
// [*Keyring]) holds a notification signed with a secret it does not hold yet,
// waiting for the key to change, before it refuses it (default
// [DefaultSecretWait]; Vipps waits 10 seconds for an answer). d < 0 refuses at
// once. Each such notification holds its request for up to d: a forged one
// too, so keep d short.
func WithSecretWait(d time.Duration) HandlerOption {
	return func(h *handler) {
		if d != 0 {
			h.secretWait = max(d, 0)
		}
	}
}

// WithLogger makes a Handler log every notification it refuses (at warn
// level: method, size, reason) and every failure of its function (at error
// level, with the function's error text). It logs no secret, signature,
// content hash or body.
func WithLogger(l *slog.Logger) HandlerOption { return func(h *handler) { h.logger = l } }

// Handler receives the notifications of one registration (the URL and
// secrets of keys: a [Key], or a [*Keyring] that a secret rotation changes
// while the Handler serves) and hands each authentic one to fn:
//
//   - anything but POST is answered 405 (with Allow: POST);
//   - a body over the bound ([WithMaxBodyBytes], 1 MiB by default) is 413;
//   - a notification that [Verify] refuses is 401 (an unusable key, 500);
//     with a Keyring, one whose signature matches no secret is held up to
//     [WithSecretWait] for the Keyring to change first;
//   - an authentic body that is not a JSON object, or an ePayment
//     notification that does not decode, is 400 (Vipps delivers it again
//     for days, so it is not lost: a fixed receiver takes it);
//   - fn's error is 500, so Vipps delivers the notification again later;
//   - otherwise the answer is 200.
//
// No answer has a body: nothing of the request is echoed. fn runs on the
// request's goroutine with a context bounded by [WithTimeout]; keep it
// quick (record the event, work on it elsewhere).
//
// Vipps delivers an event more than once at times (a retry after an answer
// that was lost, say): fn must tolerate duplicates. Key ePayment events on
// [EPaymentEvent.DedupKey] (the payment's reference and the event's name),
// and skip a key already processed. Notifications about one reference
// arrive in order, and a failing one holds back the later ones of that
// reference until it succeeds or Vipps gives up (after 7 days).
//
// Handler panics if fn is nil, as http.Handle does with a nil handler.
func Handler(keys KeySource, fn func(context.Context, Event) error, opts ...HandlerOption) http.Handler {
	if fn == nil {
		panic("webhooks: Handler needs a function to call")
	}
	if keys == nil {
		panic("webhooks: Handler needs a key to verify with")
	}
	if k, ok := keys.(Key); ok {
		k.Secrets = slices.Clone(k.Secrets) // the caller's slice may change later
		keys = k
	}
	h := &handler{keys: keys, fn: fn, maxBody: DefaultMaxBodyBytes, timeout: DefaultTimeout, secretWait: DefaultSecretWait}
	for _, o := range opts {
		o(h)
	}
	return h
}

type handler struct {
	keys       KeySource
	fn         func(context.Context, Event) error
	maxBody    int64
	timeout    time.Duration
	secretWait time.Duration
	logger     *slog.Logger
}

// changing is a KeySource that says when it changes (a *Keyring).
type changing interface{ Changed() <-chan struct{} }

// verify checks the notification against the current key; with a key that
// can change, a signature that matches no secret waits for a change (a
// rotation's new secret on its way) up to secretWait, or the request's end.
func (h *handler) verify(r *http.Request, body []byte) error {
	src, canChange := h.keys.(changing)
	if !canChange || h.secretWait <= 0 {
		key := h.keys.CurrentKey()
		return verify(r.Header, body, &key)
	}
	deadline := time.NewTimer(h.secretWait)
	defer deadline.Stop()
	for {
		changed := src.Changed() // before reading the key, so no change is missed
		key := h.keys.CurrentKey()
		err := verify(r.Header, body, &key)
		if na, ok := errors.AsType[*NotAuthenticError](err); !ok || na.Reason != ReasonSignature {
			return err
		}
		select {
		case <-changed:
		case <-deadline.C:
			return err
		case <-r.Context().Done():
			return err
		}
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, "the method is not POST")
		return
	}
	if r.ContentLength > h.maxBody {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, "the body is larger than the handler's bound")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, "the body is larger than the handler's bound")
			return
		}
		h.refuse(w, r, http.StatusBadRequest, "the body could not be read")
		return
	}
	if err := h.verify(r, body); err != nil {
		status := http.StatusUnauthorized
		if na, ok := errors.AsType[*NotAuthenticError](err); ok && na.Reason == ReasonUnusableKey {
			status = http.StatusInternalServerError // ours to fix; Vipps retries meanwhile
		}
		h.refuse(w, r, status, err.Error())
		return
	}
	ev, err := decodeEvent(body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, "an authentic notification that does not decode: "+err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	if err := h.fn(ctx, ev); err != nil {
		if h.logger != nil {
			h.logger.LogAttrs(r.Context(), slog.LevelError, "webhooks: the handler's function failed; Vipps will deliver the notification again",
				slog.String("event", string(ev.Name)), slog.String("error", err.Error()))
		}
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// refuse answers status with no body and logs why.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	if h.logger != nil {
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "webhooks: notification refused",
			slog.Int("status", status), slog.String("reason", why), slog.String("method", r.Method),
			slog.Int64("contentLength", r.ContentLength), slog.String("remoteAddr", r.RemoteAddr))
	}
	w.WriteHeader(status)
}
