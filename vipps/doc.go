// Package vipps is the shared vocabulary of the Vipps portal SDK: the error
// types and their sentinels ([Error], [ErrNotFound] ...), [Secret],
// [Credentials], [Environment], [RetryPolicy], [BusinessIdentifier], the
// listing types ([ListOptions], [Page]), the waiters' [PollEvent] and the
// answer behind a call ([Response]). Every package of the SDK uses these types
// under this one name; none re-exports them.
//
// It imports nothing of the SDK. Build a client with
// [github.com/vippsportal/sdk/portal.New]; this package has nothing to
// construct.
package vipps
