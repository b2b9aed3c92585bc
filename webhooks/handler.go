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

// WithLogger makes a Handler log every notification it refuses (at warn
// level: method, size, reason) and every failure of its function (at error
// level, with the function's error text). It logs no secret, signature,
// content hash or body.
func WithLogger(l *slog.Logger) HandlerOption { return func(h *handler) { h.logger = l } }

// Handler receives the notifications of one registration (the URL and
// secrets of key) and hands each authentic one to fn:
//
//   - anything but POST is answered 405 (with Allow: POST);
//   - a body over the bound ([WithMaxBodyBytes], 1 MiB by default) is 413;
//   - a notification that [Verify] refuses is 401 (an unusable key, 500);
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
func Handler(key Key, fn func(context.Context, Event) error, opts ...HandlerOption) http.Handler {
	if fn == nil {
		panic("webhooks: Handler needs a function to call")
	}
	key.Secrets = slices.Clone(key.Secrets) // the caller's slice may change later
	h := &handler{key: key, fn: fn, maxBody: DefaultMaxBodyBytes, timeout: DefaultTimeout}
	for _, o := range opts {
		o(h)
	}
	return h
}

type handler struct {
	key     Key
	fn      func(context.Context, Event) error
	maxBody int64
	timeout time.Duration
	logger  *slog.Logger
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
	if err := verify(r.Header, body, &h.key); err != nil {
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
