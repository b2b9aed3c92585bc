// Package keys reads, regenerates, verifies and rotates the API keys of sales
// units, and keeps the programs that use them working while they change.
//
// A [Set] is the key set of one sales unit: its client id, client secret and
// two interchangeable subscription keys, the secrets held as
// [github.com/vippsportal/sdk/vipps.Secret] so that printing, logging or
// json.Marshal of a Set never shows one. [Set.Reveal] is the one, explicit way
// to write the values (to a secrets manager, or a 0600 key file).
//
// The [Service] ([github.com/vippsportal/sdk/portal.Client]'s Keys) reads a set ([Service.Get]), replaces
// one key ([Service.Regenerate]), proves a set against the token endpoint
// ([Service.Verify]) and rotates keys without downtime ([Service.Rotate]).
// Get and Regenerate are the portal contract's operations; a new test unit
// answers Get with 409 keys-not-ready until its keys exist
// (errors.Is(err, [github.com/vippsportal/sdk/vipps.ErrKeysNotReady])).
// Against Vipps today, where no API regenerates keys, a [ManualReplacer]
// lets an operator press the portal's button inside the same verified
// rotation.
//
// Live keys: a [Source] gives every call of a client built with
// [github.com/vippsportal/sdk/portal.WithKeySource] the set to use now. [LiveSource] is in memory and
// counts the calls in flight per key; [FileSource] follows a key file
// ([KeyFile]). How a rotation's new keys reach the integration is its
// [Strategy]: [LiveStrategy] (one process reading a LiveSource),
// [DrainStrategy] (a store the integration switches from, with bounded
// waits) or [FleetStrategy] (many replicas sharing a [Fleet], such as
// [github.com/vippsportal/sdk/keys/etcdfleet] on etcd). Each strategy documents
// what the integration must do for no call to fail during a rotation.
package keys
