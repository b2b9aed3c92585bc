// Package portaltest is an in-memory simulator of the SDK's whole wire
// contract (portal/openapi.yaml: the Access Token API, the Management API,
// the portal operations and the Webhooks API), for tests and for running
// the SDK locally without Vipps. [NewServer] starts one on a loopback port,
// as httptest.NewServer does; examples/simulator runs it as a standalone
// server.
//
// # Principals
//
// It serves the contract's principals: a sales unit's own keys
// ([Server.UnitCredentials]), a portal user's API client
// ([Server.UserCredentials], [Server.AdminClient]), a partner's API client
// ([Server.PartnerCredentials]) and the partner's management keys
// ([Server.ManagementCredentials], [Server.ManagementClient]), which get their
// tokens from POST /miami/v1/token, send no subscription key and reach the
// Management API only. Each is a [vipps.Credentials], ready for
// [Server.Client].
//
// # Driving it
//
// Time is the server's clock: [WithClock] and a [ManualClock] make every
// delay, expiry and retry move only when the test says. Creations, keys,
// product orders and invited users move on demand ([Server.CompleteCreation],
// [Server.IssueKeys], [Server.SetOrderStatus], [Server.ActivateUser]). A
// [Fault] makes chosen operations (named by the Op* constants) answer an
// error, wait, or do their work and drop the connection; the request log
// ([Server.Requests]) and [Server.Effects] tell a test what arrived and what
// was done. Every answer carries an X-Request-Id the log records.
//
// # Webhooks
//
// Registrations made over the Webhooks API receive signed notifications that
// a test sends with [Server.Notify] (the standalone simulator takes them at
// [NotifyPath]). They are delivered as the contract says: retried with
// growing delays for 7 days, in order per registration and reference, and a
// registration failing for 14 days is deleted, all on the server's clock:
// with a clock of the test's own, [Server.RunDueDeliveries] makes the
// attempts due, so a test never sleeps. [Server.Deliveries] records each
// attempt; [WithWebhookTransport] keeps them in memory and
// [WithLocalWebhooks] lets them reach a receiver on this machine.
//
// The simulator never encodes with the SDK's types: a [vipps.Secret] would
// print redacted. Its memory follows what is live (tokens, stored answers,
// the newest requests), not the number of requests it served.
package portaltest
