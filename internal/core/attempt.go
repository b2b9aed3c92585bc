package core

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// attemptGuard passes each attempt to its transport under its own deadline,
// which covers the answer's body until it is read or closed (http.Client's
// Timeout does the same at the cost of a goroutine per request). It has no
// CloseIdleConnections, so http.Client.CloseIdleConnections on the SDK's copy
// leaves the caller's pool alone.
type attemptGuard struct {
	rt      http.RoundTripper
	timeout time.Duration
	clock   attemptClock
	// clockInBubble lets tests drive the shared clock inside a synctest bubble.
	clockInBubble bool
}

func newAttemptGuard(rt http.RoundTripper, timeout time.Duration) *attemptGuard {
	return &attemptGuard{rt: rt, timeout: timeout, clock: attemptClock{timeout: timeout}}
}

func (g *attemptGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if st := stateOf(ctx); st != nil {
		st.setHeaders(r.Header)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= g.timeout {
		return g.rt.RoundTrip(r) // the caller's deadline comes first: it bounds the attempt
	}
	// A call's first attempt is the context send gave its request: no copy of
	// the request, no allocation. Every other attempt is a context of its own.
	a, first := ctx.(*attempt)
	if !first || !a.begin() {
		a, first = &attempt{Context: ctx}, false
		a.begin()
	}
	a.timeout = g.timeout
	if a.Context.Done() != nil {
		a.unhook = context.AfterFunc(a.Context, func() { a.end(a.Context.Err()) })
	}
	// The client's one clock serves every attempt begun outside a synctest
	// bubble. Inside one (time.Now carries no monotonic reading there), each
	// attempt has a timer of its own: a timer made in a bubble must not be
	// touched from outside it, and a client may be shared across bubbles.
	if now := time.Now(); g.onClock(now) {
		g.clock.add(a, now)
	} else {
		a.timer = time.AfterFunc(g.timeout, a.fire)
	}
	if !first {
		r = r.WithContext(a)
	}
	resp, err := g.rt.RoundTrip(r)
	if err != nil {
		a.stop()
		if a.fired.Load() {
			err = &AttemptTimeoutError{Limit: g.timeout}
		}
		return nil, err
	}
	a.body = resp.Body
	resp.Body = a
	return resp, nil
}

// onClock reports whether an attempt begun at now goes on the client's clock:
// outside a synctest bubble, where time.Now carries a monotonic reading.
func (g *attemptGuard) onClock(now time.Time) bool {
	return now != now.Round(0) || g.clockInBubble
}

// attempt is one attempt's context (the call's, ended early when the
// attempt's time is up) and the body of its answer: one allocation for both.
// Until it begins it is the call's context unchanged.
type attempt struct {
	context.Context // the call's
	mu              sync.Mutex
	guarded         bool          // begun: from here on it has a done and an error of its own
	done            chan struct{} // made on first use, or closedChan when the attempt ended first
	err             error         // set once, when the attempt ends
	unhook          func() bool   // stops following the call's context, when it has a Done
	timer           *time.Timer   // its own timer, or nil when the client's clock watches it
	timeout         time.Duration
	fired           atomic.Bool
	body            io.ReadCloser
	after           []*afterFunc // contexts derived from the attempt, to cancel when it ends

	// On the client's clock (guarded by the clock's lock).
	clock      *attemptClock
	deadline   time.Time
	prev, next *attempt
	linked     bool
}

// begin makes the attempt guarded; false if it already was (a retry).
func (a *attempt) begin() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.guarded {
		return false
	}
	a.guarded = true
	return true
}

// closedChan is the Done of an attempt that ended before anyone asked for it.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Done is made on first use, as context's own cancelCtx does: a transport
// that never waits on it costs no channel.
func (a *attempt) Done() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.guarded {
		return a.Context.Done()
	}
	if a.done == nil {
		if a.err != nil {
			a.done = closedChan
		} else {
			a.done = make(chan struct{})
		}
	}
	return a.done
}

func (a *attempt) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.guarded {
		return a.Context.Err()
	}
	return a.err
}

// end closes the attempt with err (the call's context error, or Canceled when
// the attempt's time is up or its answer is done with).
func (a *attempt) end(err error) {
	a.mu.Lock()
	if a.err != nil {
		a.mu.Unlock()
		return
	}
	a.err = err
	if a.done != nil {
		close(a.done)
	}
	after := a.after
	a.after = nil
	a.mu.Unlock()
	for _, w := range after {
		go w.f()
	}
}

// AfterFunc is what package context looks for on a parent it does not know:
// without it, every context derived from the attempt (net/http's Transport
// derives one for each request) would cost a goroutine that waits for the
// attempt to end. f runs in its own goroutine once the attempt ends, as with
// context.AfterFunc; stop unregisters it.
func (a *attempt) AfterFunc(f func()) (stop func() bool) {
	a.mu.Lock()
	if !a.guarded {
		a.mu.Unlock()
		return context.AfterFunc(a.Context, f)
	}
	if a.err != nil {
		a.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	w := &afterFunc{a: a, f: f}
	a.after = append(a.after, w)
	a.mu.Unlock()
	return w.stop
}

// afterFunc is one function registered with attempt.AfterFunc.
type afterFunc struct {
	a *attempt
	f func()
}

func (w *afterFunc) stop() bool {
	w.a.mu.Lock()
	defer w.a.mu.Unlock()
	for i, x := range w.a.after {
		if x == w {
			w.a.after = append(w.a.after[:i], w.a.after[i+1:]...)
			return true
		}
	}
	return false
}

func (a *attempt) fire() { a.fired.Store(true); a.end(context.Canceled) }

func (a *attempt) stop() {
	if a.timer != nil {
		a.timer.Stop()
	} else if a.clock != nil {
		a.clock.remove(a)
	}
	if a.unhook != nil {
		a.unhook()
	}
	a.end(context.Canceled)
}

func (a *attempt) Read(p []byte) (int, error) {
	n, err := a.body.Read(p)
	if err != nil && err != io.EOF && a.fired.Load() {
		err = &AttemptTimeoutError{Limit: a.timeout}
	}
	return n, err
}

func (a *attempt) Close() error {
	a.stop()
	return a.body.Close()
}

// attemptClock ends the attempts of one client that outlive its attempt
// timeout, with one timer for all of them instead of one per attempt. Every
// attempt has the same timeout, so deadlines come in the order attempts
// begin: a list in that order, whose head is the next one due, is all it
// takes. The timer is armed for the head; when it fires it ends what is due
// and re-arms for the new head, so it fires about once per timeout while
// attempts are in flight, and never when none are.
type attemptClock struct {
	timeout    time.Duration
	mu         sync.Mutex
	head, tail *attempt
	timer      *time.Timer
	armed      bool
}

func (k *attemptClock) add(a *attempt, now time.Time) {
	a.clock, a.deadline = k, now.Add(k.timeout)
	k.mu.Lock()
	defer k.mu.Unlock()
	// Begun a moment before one already listed (preempted before the lock): walk back.
	at := k.tail
	for at != nil && at.deadline.After(a.deadline) {
		at = at.prev
	}
	a.prev, a.linked = at, true
	if at == nil {
		a.next, k.head = k.head, a
	} else {
		a.next, at.next = at.next, a
	}
	if a.next == nil {
		k.tail = a
	} else {
		a.next.prev = a
	}
	if !k.armed {
		k.arm(k.head.deadline.Sub(now))
	}
}

func (k *attemptClock) remove(a *attempt) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.unlink(a)
}

func (k *attemptClock) unlink(a *attempt) {
	if !a.linked {
		return
	}
	if a.prev == nil {
		k.head = a.next
	} else {
		a.prev.next = a.next
	}
	if a.next == nil {
		k.tail = a.prev
	} else {
		a.next.prev = a.prev
	}
	a.prev, a.next, a.linked = nil, nil, false
}

// arm sets the timer to fire in d; the lock is held.
func (k *attemptClock) arm(d time.Duration) {
	if k.timer == nil {
		k.timer = time.AfterFunc(d, k.tick)
	} else {
		k.timer.Reset(d)
	}
	k.armed = true
}

// tick ends every attempt that is due and re-arms for the next one.
func (k *attemptClock) tick() {
	var due []*attempt
	k.mu.Lock()
	now := time.Now()
	for k.head != nil && !now.Before(k.head.deadline) {
		a := k.head
		k.unlink(a)
		due = append(due, a)
	}
	k.armed = false
	if k.head != nil {
		k.arm(k.head.deadline.Sub(now))
	}
	k.mu.Unlock()
	for _, a := range due {
		a.fire()
	}
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
