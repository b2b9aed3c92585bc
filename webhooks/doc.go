// Package webhooks verifies the notifications of Vipps' Webhooks API.
//
// Vipps signs every notification with the secret of the registration it
// belongs to: [Verify] checks such a request against the URL that was
// registered and the registration's secrets, and [Sign] produces the same
// headers for tests of a receiver.
package webhooks
