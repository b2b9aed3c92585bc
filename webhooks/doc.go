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
package webhooks
