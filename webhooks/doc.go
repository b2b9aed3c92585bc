// Package webhooks manages Vipps webhooks and receives their notifications,
// on the Webhooks API's real endpoints (production and the test environment).
//
// Manage: [Service.Register] (the signing secret comes back once, as a
// [vipps.Secret]), [Service.List] and [Service.Delete], per sales unit or
// partner-wide. Bad input (http, odd ports, user info, malformed or repeated
// event names) is refused before any request.
//
// Verify: Vipps signs every notification with the secret of its
// registration. [Verify] checks a request against the URL that was
// registered and the registration's secrets; [Sign] produces the same headers
// for tests of a receiver.
//
// Receive: [Handler] is an http.Handler for one registration's URL: it reads
// a bounded body, verifies it, decodes ePayment events into [EPaymentEvent]
// (others are kept whole in [Event.Raw]), calls your function and answers
// Vipps: 2xx delivered, anything else delivered again later. The same event
// may arrive more than once; see [Handler] for de-duplication.
//
// Reconcile: [Service.Ensure] compares a declared [Spec] with what Vipps
// holds, returns a [Plan] (readable, and JSON), and applies it: registers what
// is missing, deletes what is stale only under URLs you own, re-registers what
// Vipps removed, and cleans up registrations whose secret was lost to an
// unknown outcome. New secrets reach your store before anything is deleted.
//
// Rotate: [Service.RotateSecret] registers a twin, stores its secret, and
// only then deletes the old registration, so a receiver that verifies with
// both secrets refuses nothing during the switch.
//
// Requests that have required fields are values ([Registration], [Spec],
// [RotateOptions]); a [Handler]'s options are [HandlerOption] functions.
// Bad input is a *[vipps.ValidationError] naming the field, before any
// request.
//
// Secrets are [vipps.Secret] values: they print and encode as a redaction;
// persisting one is an explicit Reveal.
package webhooks
