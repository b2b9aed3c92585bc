package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vippsportal/sdk/webhooks"
)

// receiver is the program's webhook endpoint: a webhooks.Handler for the
// registered URL, verifying with a webhooks.Keyring whose secrets change
// during a rotation, handing each event it accepts to the program once.
type receiver struct {
	ring    *webhooks.Keyring
	log     *slog.Logger
	srv     *http.Server
	served  chan struct{} // closed when Serve returned
	handler http.Handler
	events  chan webhooks.Event

	mu   sync.Mutex
	seen map[string]bool // the events accepted, by dedupKey
}

// startReceiver serves notifications for url on ln. Refused notifications
// are logged on logs (why, never a secret).
func startReceiver(ln net.Listener, url string, logs io.Writer) *receiver {
	// A notification more than 5 minutes from this machine's clock is
	// refused (a replay of a captured one). No secret yet: nothing verifies.
	r := &receiver{ring: webhooks.NewKeyring(webhooks.Key{URL: url, MaxSkew: 5 * time.Minute}),
		log: slog.New(slog.NewTextHandler(logs, nil)), served: make(chan struct{}),
		events: make(chan webhooks.Event, 16), seen: map[string]bool{}}
	r.handler = webhooks.Handler(r.ring, r.accept, webhooks.WithLogger(r.log))
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(r.served)
		_ = r.srv.Serve(ln)
	}()
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.handler.ServeHTTP(w, req)
}

// accept takes each event once: Vipps may deliver one more than once, and
// during a rotation delivers it to both registrations. An event the program
// cannot take now is answered 500, so Vipps delivers it again later.
func (r *receiver) accept(_ context.Context, ev webhooks.Event) error {
	key := dedupKey(ev)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[key] {
		return nil
	}
	select {
	case r.events <- ev:
		r.seen[key] = true
		return nil
	default:
		return errors.New("too many events waiting to be read")
	}
}

// dedupKey identifies an event across deliveries: an ePayment event's
// reference and name, or another's whole body.
func dedupKey(ev webhooks.Event) string {
	if ev.EPayment != nil {
		return ev.EPayment.DedupKey()
	}
	return string(ev.Name) + " " + string(ev.Raw)
}

// next returns the next event accepted, or ctx's error.
func (r *receiver) next(ctx context.Context) (webhooks.Event, error) {
	select {
	case ev := <-r.events:
		return ev, nil
	case <-ctx.Done():
		return webhooks.Event{}, context.Cause(ctx)
	}
}

// stop stops serving, letting a notification being answered finish (for at
// most 10 seconds).
func (r *receiver) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r.srv.Shutdown(ctx) != nil {
		_ = r.srv.Close()
	}
	<-r.served
}
