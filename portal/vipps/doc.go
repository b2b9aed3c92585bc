// Package vipps holds the types that every package of the Vipps portal SDK
// shares: the error types and their sentinels, Secret, RetryPolicy,
// BusinessIdentifier, the waiters' events, the page of a listing (Page) and
// the answer behind a call (Response, see portal.WithResponse). It imports nothing of the SDK,
// so its documentation shows every field; portal, salesunit, keys and users
// re-export these types under their own names (portal.Error is vipps.Error).
//
// Build a client with package portal; this package has nothing to construct.
package vipps
