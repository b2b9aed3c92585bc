package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EventName names a kind of notification, such as "epayments.payment.captured.v1".
// The constants below are Vipps' catalog; names Vipps adds later are just as
// valid (see [EventName.Valid]) and pass through the SDK whole.
type EventName string

// The ePayment API's events. Their notifications decode into [EPaymentEvent].
const (
	EPaymentCreated    EventName = "epayments.payment.created.v1"
	EPaymentAborted    EventName = "epayments.payment.aborted.v1"
	EPaymentExpired    EventName = "epayments.payment.expired.v1"
	EPaymentCancelled  EventName = "epayments.payment.cancelled.v1"
	EPaymentCaptured   EventName = "epayments.payment.captured.v1"
	EPaymentRefunded   EventName = "epayments.payment.refunded.v1"
	EPaymentAuthorized EventName = "epayments.payment.authorized.v1"
	EPaymentTerminated EventName = "epayments.payment.terminated.v1"
)

// The Recurring API's events (Vipps spells "canceled" with one l here). Their
// notifications are kept whole in [Event.Raw].
const (
	RecurringAgreementActivated   EventName = "recurring.agreement-activated.v1"
	RecurringAgreementRejected    EventName = "recurring.agreement-rejected.v1"
	RecurringAgreementStopped     EventName = "recurring.agreement-stopped.v1"
	RecurringAgreementExpired     EventName = "recurring.agreement-expired.v1"
	RecurringChargeReserved       EventName = "recurring.charge-reserved.v1"
	RecurringChargeCaptured       EventName = "recurring.charge-captured.v1"
	RecurringChargeCanceled       EventName = "recurring.charge-canceled.v1"
	RecurringChargeRefunded       EventName = "recurring.charge-refunded.v1"
	RecurringChargeFailed         EventName = "recurring.charge-failed.v1"
	RecurringChargeCreationFailed EventName = "recurring.charge-creation-failed.v1"
)

// UserCheckedIn is the QR API's check-in event; its notifications are kept whole.
const UserCheckedIn EventName = "user.checked-in.v1"

// Catalog returns every event name of Vipps' catalog as the contract lists
// it, in a new slice: ePayment, then Recurring, then QR.
func Catalog() []EventName {
	return []EventName{
		EPaymentCreated, EPaymentAborted, EPaymentExpired, EPaymentCancelled,
		EPaymentCaptured, EPaymentRefunded, EPaymentAuthorized, EPaymentTerminated,
		RecurringAgreementActivated, RecurringAgreementRejected, RecurringAgreementStopped, RecurringAgreementExpired,
		RecurringChargeReserved, RecurringChargeCaptured, RecurringChargeCanceled, RecurringChargeRefunded,
		RecurringChargeFailed, RecurringChargeCreationFailed,
		UserCheckedIn,
	}
}

// Known reports whether n is in [Catalog].
func (n EventName) Known() bool {
	for _, k := range Catalog() {
		if n == k {
			return true
		}
	}
	return false
}

// Valid reports whether n has the form of a Vipps event name: two or more
// dot-separated words of lowercase letters, digits and inner '-', then a
// version "v<N>" ("epayments.payment.created.v1", "user.checked-in.v1"). It
// catches typos before a request; names Vipps adds later are valid, and
// Vipps itself refuses a well-formed name it does not know.
func (n EventName) Valid() bool {
	parts := strings.Split(string(n), ".")
	if len(parts) < 3 {
		return false
	}
	version := parts[len(parts)-1]
	if len(version) < 2 || version[0] != 'v' || !digits(version[1:]) {
		return false
	}
	for _, w := range parts[:len(parts)-1] {
		if !word(w) {
			return false
		}
	}
	return true
}

// EPayment reports whether n is an ePayment event ("epayments.payment.*"),
// whose notifications decode into [EPaymentEvent].
func (n EventName) EPayment() bool { return strings.HasPrefix(string(n), ePaymentPrefix) }

const ePaymentPrefix = "epayments.payment."

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// word is lowercase letters and digits, with '-' only inside.
func word(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Event is one verified notification as [Handler] hands it over.
type Event struct {
	// Name is the event's name: for ePayment notifications built from their
	// "name" field (AUTHORIZED is [EPaymentAuthorized]), for others their
	// "eventType" field; "" when the body says neither.
	Name EventName
	// Raw is the notification's body exactly as it arrived (and as it was
	// signed): decode what the SDK does not type, such as Recurring events,
	// from here.
	Raw json.RawMessage
	// EPayment is the typed ePayment notification; nil for any other event.
	EPayment *EPaymentEvent
}

// EPaymentEvent is an ePayment notification (the contract's EPaymentEvent).
// Fields Vipps adds are ignored here and kept in [Event.Raw].
type EPaymentEvent struct {
	MSN          string    `json:"msn"`
	Reference    string    `json:"reference"`
	PSPReference string    `json:"pspReference"`
	Name         string    `json:"name"` // CREATED, ABORTED, EXPIRED, CANCELLED, CAPTURED, REFUNDED, AUTHORIZED, TERMINATED
	Amount       Amount    `json:"amount"`
	Timestamp    time.Time `json:"timestamp"`
	// IdempotencyKey is the key of the ePayment request that caused the
	// event; "" when Vipps sent none (missing or null on some events).
	IdempotencyKey string `json:"idempotencyKey"`
	Success        bool   `json:"success"`
}

// Amount is a sum in minor units (øre, cents): Value 35000 in NOK is 350 kroner.
type Amount struct {
	Currency string `json:"currency"` // NOK, DKK, EUR
	Value    int64  `json:"value"`
}

// DedupKey is what identifies this event across Vipps' repeated deliveries:
// the payment's reference and the event's name. Vipps may deliver one event
// more than once; process each key once.
func (e *EPaymentEvent) DedupKey() string { return e.Reference + "/" + e.Name }

// eventProbe reads the fields that decide what a notification is, whatever
// their JSON types (a Recurring body may hold an "amount" or "name" of
// another shape than ePayment's).
type eventProbe struct {
	EventType json.RawMessage `json:"eventType"`
	Name      json.RawMessage `json:"name"`
	Reference json.RawMessage `json:"reference"`
}

// decodeEvent builds the Event of a verified body.
func decodeEvent(body []byte) (Event, error) {
	ev := Event{Raw: json.RawMessage(body)}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return ev, errors.New("the body is not a JSON object")
	}
	var p eventProbe
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("the body is not a JSON object: %w", err)
	}
	if t, ok := jsonString(p.EventType); ok {
		ev.Name = EventName(t)
	}
	name, isName := jsonString(p.Name)
	_, isRef := jsonString(p.Reference)
	epayment := ev.Name.EPayment() || ev.Name == "" && isName && isRef && name != ""
	if !epayment {
		return ev, nil
	}
	var e EPaymentEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return ev, fmt.Errorf("an ePayment notification that does not decode: %w", err)
	}
	if ev.Name == "" {
		ev.Name = EventName(ePaymentPrefix + strings.ToLower(e.Name) + ".v1")
	}
	ev.EPayment = &e
	return ev, nil
}

// jsonString decodes raw when it is a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
