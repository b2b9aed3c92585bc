// Package salesunit holds the services for sales units: the Management API's
// sales units, merchants and product orders (production only at Vipps), and the
// portal's test sales units (a modelled API; see the module's README).
//
// Use the services of a client from [github.com/vippsportal/sdk/portal.New]
// (its SalesUnits, Merchants, ProductOrders and TestUnits). Each method takes
// a context first; a required request is a value ([TestUnitRequest],
// [ProductOrderRequest]), options are a pointer where nil means the defaults
// (*[vipps.ListOptions], *[CreationListOptions], *[WaitOptions]).
//
// # Errors
//
// Every method may return:
//   - a *[vipps.ValidationError] ([vipps.ErrInvalidInput]) naming the field
//     to fix, before any request;
//   - a *[vipps.UnsupportedError] ([vipps.ErrUnsupported]), before any
//     request: a Management call in the test environment (Vipps runs the
//     Management API in production only), a portal call on a client without
//     a portal URL, a call on a service portal.New did not build;
//   - a *[vipps.Error] for an answer that refused the call: errors.Is with
//     [vipps.ErrUnauthorized] (keys or token refused), [vipps.ErrRateLimited],
//     [vipps.ErrServer], or [vipps.ErrTransport] when no answer came, after
//     the retries of [vipps.RetryPolicy].
//
// Each method names the refusals particular to it.
package salesunit

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/internal/wiring"
	"github.com/vippsportal/sdk/vipps"
)

// SalesUnitsService reads production sales units (Management API). Unit
// keys and portal users reach their merchant's units (a user other than an
// ADMINISTRATOR only those it holds a permission on); a partner reaches the
// units connected to it.
type SalesUnitsService struct{ c *core.Client }

// MerchantsService reads merchants (Management API): unit keys and portal
// users their own merchant, a partner any merchant with a unit connected to
// it.
type MerchantsService struct{ c *core.Client }

// ProductOrdersService prefills and follows product orders (Management API).
// Only a partner may use it (its API client or its management keys, which
// share its orders and price packages); every other caller gets
// [vipps.ErrForbidden].
type ProductOrdersService struct{ c *core.Client }

// TestUnitsService orders and reads test sales units (portal operations).
// Only portal users may use it: a unit's or a partner's keys get
// [vipps.ErrForbidden] (403 not-a-portal-user), management keys
// [vipps.ErrUnsupported] before any request.
//
// It has no update method on purpose: a test sales unit can never be changed
// once it exists (the contract answers PATCH with 405 test-sales-unit-immutable).
// To get other options or another name, [TestUnitsService.Create] a new unit.
type TestUnitsService struct{ c *core.Client }

// portal.New builds the services through internal/wiring, so that no
// exported constructor takes an internal type.
func init() {
	wiring.Register(func(c *core.Client) *SalesUnitsService { return &SalesUnitsService{c: c} })
	wiring.Register(func(c *core.Client) *MerchantsService { return &MerchantsService{c: c} })
	wiring.Register(func(c *core.Client) *ProductOrdersService { return &ProductOrdersService{c: c} })
	wiring.Register(func(c *core.Client) *TestUnitsService { return &TestUnitsService{c: c} })
}

// Each service's client is nil when the service is (see core.ServiceClient).
func (s *SalesUnitsService) client() *core.Client {
	return core.ServiceClient(s, func(s *SalesUnitsService) *core.Client { return s.c })
}

func (s *MerchantsService) client() *core.Client {
	return core.ServiceClient(s, func(s *MerchantsService) *core.Client { return s.c })
}

func (s *ProductOrdersService) client() *core.Client {
	return core.ServiceClient(s, func(s *ProductOrdersService) *core.Client { return s.c })
}

func (s *TestUnitsService) client() *core.Client {
	return core.ServiceClient(s, func(s *TestUnitsService) *core.Client { return s.c })
}

// MSNInfo is a sales unit as the Management API lists it. Vipps sends msn as
// a JSON string or a number; both decode into MSN.
type MSNInfo struct {
	MSN  string `json:"msn"`
	Name string `json:"name"`
}

// UnmarshalJSON accepts msn as a string or a number.
func (m *MSNInfo) UnmarshalJSON(b []byte) error {
	type plain MSNInfo
	v := struct {
		*plain
		MSN lenientMSN `json:"msn"`
	}{plain: (*plain)(m)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	m.MSN = string(v.MSN)
	return nil
}

// CaptureType is how a sales unit captures payments.
type CaptureType string

// Capture types of the contract.
const (
	CaptureReserve       CaptureType = "ReserveCapture"
	CaptureDirect        CaptureType = "DirectCapture"
	CaptureNotApplicable CaptureType = "NotApplicable"
)

// Configuration is a sales unit's configuration. Every field may be absent from
// the answer, and absence does not mean false: a nil pointer (or an empty
// CaptureType) means "not told", so check for nil before reading a value.
type Configuration struct {
	PaymentAllowed               *bool       `json:"paymentAllowed,omitempty"`
	CaptureType                  CaptureType `json:"captureType,omitempty"`
	SkipLandingPageAllowed       *bool       `json:"skipLandingPageAllowed,omitempty"`
	RecurringAllowed             *bool       `json:"recurringAllowed,omitempty"`
	PartialCaptureAllowed        *bool       `json:"partialCaptureAllowed,omitempty"`
	LateCaptureAllowed           *bool       `json:"lateCaptureAllowed,omitempty"`
	LandingPagePhoneNumberLocked *bool       `json:"landingPagePhoneNumberLocked,omitempty"`
	LongLivingPaymentAllowed     *bool       `json:"longLivingPaymentAllowed,omitempty"`
	CreditCardPaymentAllowed     *bool       `json:"creditCardPaymentAllowed,omitempty"`
}

// PollEvent reports one poll of a waiter to [WaitOptions].OnPoll: the part every
// waiter shares (attempt, elapsed time, what is waited for and its state in
// words, the error the wait keeps going on, the delay until the next poll), and
// the record the poll saw, typed. Exactly one record field is set on a poll
// that succeeded; none on one that failed.
type PollEvent struct {
	vipps.PollEvent
	Creation *Creation     // WaitUntilReady, until the creation has completed
	Unit     *TestUnit     // WaitUntilReady, once the creation has completed
	Order    *ProductOrder // WaitUntilCompleted
}

// WaitOptions shape a waiter ([TestUnitsService.WaitUntilReady],
// [ProductOrdersService.WaitUntilCompleted]). A nil *WaitOptions, or a zero
// field, takes the default: polls start 2 s apart and grow by half each time
// to 20 s (with jitter ±20%), and the wait gives up after 10 minutes with a
// *[vipps.WaitTimeoutError] ([vipps.ErrWaitTimeout]). A negative duration is
// refused with a *[vipps.ValidationError] naming it (WaitOptions.Timeout ...).
//
// When a pending creation's answer carries the server's estimate of when it
// will be done (Retry-After), the next poll is then instead (at least MinDelay
// later, never past Timeout), so the unit is seen about when it is ready with a
// handful of polls. A Retry-After on an error answer (429, 503, keys-not-ready)
// is the least wait before the next poll.
//
// Timeout bounds the whole wait, the poll in flight included: the poll's
// request ends at the bound. Delays below 100 ms are raised to 100 ms.
type WaitOptions struct {
	MinDelay time.Duration // first delay between polls; default 2 s, at least 100 ms
	MaxDelay time.Duration // delays grow to this; default 20 s
	Timeout  time.Duration // bound on the whole wait; default 10 min
	// WaitForKeys makes WaitUntilReady also wait until the new unit's keys are
	// issued (TestUnit.KeysReady), so that reading them cannot answer
	// keys-not-ready. WaitUntilCompleted ignores it.
	WaitForKeys bool
	// OnPoll, when set, is called after every poll (for progress reports; see
	// PrintProgress). It runs on the waiter's goroutine: keep it quick.
	OnPoll func(PollEvent)
}

// pollOptions turns o into the core's options for a waiter of kind/id whose
// polls see T; event adds T's typed record to an event.
func pollOptions[T any](o *WaitOptions, kind, id string, event func(*PollEvent, T)) (core.PollOptions[T], error) {
	po := core.PollOptions[T]{Kind: kind, ID: id}
	if o == nil {
		return po, nil
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"WaitOptions.MinDelay", o.MinDelay}, {"WaitOptions.MaxDelay", o.MaxDelay}, {"WaitOptions.Timeout", o.Timeout}} {
		if d.v < 0 {
			return po, core.Invalid(d.field, "must not be negative (0 takes the default), got %s", d.v)
		}
	}
	po.MinDelay, po.MaxDelay, po.Timeout = o.MinDelay, o.MaxDelay, o.Timeout
	if on := o.OnPoll; on != nil {
		po.OnPoll = func(ev vipps.PollEvent, v T) {
			e := PollEvent{PollEvent: ev}
			if ev.Err == nil {
				event(&e, v)
			}
			on(e)
		}
	}
	return po, nil
}

// PrintProgress returns a [WaitOptions].OnPoll callback that writes one line per poll to w,
// such as
//
//	creation 8a11afb7-…: PENDING after 2s (poll 1); next poll in 2m1s (server's estimate)
//	creation 8a11afb7-…: COMPLETED after 2m3s (poll 2): ready
//
// It writes ids, states, delays and error texts (which the SDK keeps free of
// secrets), never a key. Write errors are ignored.
func PrintProgress(w io.Writer) func(PollEvent) {
	return func(ev PollEvent) {
		state := ev.Status
		if ev.Err != nil {
			state = "poll failed (" + ev.Err.Error() + ")"
		}
		line := fmt.Sprintf("%s %s: %s after %s (poll %d)", ev.Kind, ev.ID, state, ev.Elapsed.Round(100*time.Millisecond), ev.Attempt)
		switch {
		case ev.Done:
			line += ": ready"
		case ev.NextDelay > 0 && ev.Estimated:
			line += fmt.Sprintf("; next poll in %s (server's estimate)", ev.NextDelay.Round(100*time.Millisecond))
		case ev.NextDelay > 0:
			line += fmt.Sprintf("; next poll in %s", ev.NextDelay.Round(100*time.Millisecond))
		default:
			line += ": giving up"
		}
		_, _ = fmt.Fprintln(w, line)
	}
}

// matchAll reports whether s has min-max bytes, each accepted by ok.
func matchAll(s string, minLen, maxLen int, ok func(byte) bool) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
