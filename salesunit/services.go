// Package salesunit holds the services for sales units: the Management API's
// sales units, merchants and product orders (production only at Vipps), and the
// portal's test sales units (a modelled API; see the module's README).
//
// Build the services with portal.New; each method takes a context first,
// checks its input before sending anything (a *vipps.ValidationError naming
// the field), and returns the core's errors unchanged, so errors.Is with the
// portal sentinels (vipps.ErrNotFound, vipps.ErrForbidden ...) classifies them.
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

// SalesUnitsService reads production sales units (Management API).
type SalesUnitsService struct{ c *core.Client }

// MerchantsService reads merchants (Management API).
type MerchantsService struct{ c *core.Client }

// ProductOrdersService prefills and follows product orders (Management API, partners).
type ProductOrdersService struct{ c *core.Client }

// TestUnitsService orders and reads test sales units (portal operations).
//
// It has no update method on purpose: a test sales unit can never be changed
// once it exists (the contract answers PATCH with 405 test-sales-unit-immutable).
// To get other options or another name, Create a new unit.
type TestUnitsService struct{ c *core.Client }

// portal.New builds the services through internal/wiring, so that no
// exported constructor takes an internal type.
func init() {
	wiring.Register(func(c *core.Client) *SalesUnitsService { return &SalesUnitsService{c: c} })
	wiring.Register(func(c *core.Client) *MerchantsService { return &MerchantsService{c: c} })
	wiring.Register(func(c *core.Client) *ProductOrdersService { return &ProductOrdersService{c: c} })
	wiring.Register(func(c *core.Client) *TestUnitsService { return &TestUnitsService{c: c} })
}

// service is any of the package's services; each holds only its client.
type service interface {
	*SalesUnitsService | *MerchantsService | *ProductOrdersService | *TestUnitsService
}

// clientOf is the client of s, or nil when s is nil (a service portal.New
// did not build): core.Client.Do then answers core.NotBuilt instead of
// panicking. The services share their one field, so one conversion serves
// them all.
func clientOf[S service](s S) *core.Client {
	if p := (*struct{ c *core.Client })(s); p != nil {
		return p.c
	}
	return nil
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

// PollEvent reports one poll of a waiter to WaitOptions.OnPoll: the part every
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

// WaitOptions shape a waiter (TestUnitsService.WaitUntilReady,
// ProductOrdersService.WaitUntilCompleted). A nil *WaitOptions, or a zero
// field, takes the default: polls start 2 s apart and grow by half each time
// to 20 s (with jitter ±20%), and the wait gives up after 10 minutes with a
// *vipps.WaitTimeoutError (vipps.ErrWaitTimeout).
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
	// issued (TestUnit.KeysReady), so that reading them cannot answer keys-not-ready.
	// WaitUntilCompleted ignores it.
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

// PrintProgress returns an OnPoll callback that writes one line per poll to w,
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
