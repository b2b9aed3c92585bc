// Package etcdfleet is a [keys.Fleet] on etcd: many replicas of an integration
// share one key set of a sales unit, and [keys.Service.Rotate] with a
// [keys.FleetStrategy] rotates it without any replica losing a call.
//
// Under Config.Prefix it keeps:
//
//	<prefix>set          the key set and the subscription key in use; its
//	                     ModRevision is the version
//	<prefix>lock/...     the rotation lease (a concurrency.Mutex on a session lease):
//	                     one rotator at a time, others wait in line
//	<prefix>acks/<name>  the version replica <name> has switched to, bound to
//	                     the replica's lease: a replica that dies stops counting
//
// The first set: before the first replica starts, publish the set of record
// (from your secrets manager) with [Fleet.PublishFirst]. It never replaces a
// set, so a deploy job can run it every time; rotations then publish every
// new version with [Fleet.Publish], under the lease.
//
// A [Replica] watches the set, hands every new version to its [Applier] (the
// [keys.LiveSource] its portal client reads, say) and acknowledges the
// version once the Applier has returned, that is once the replica uses the
// new set and its calls on the old one have finished. [Fleet.AwaitSwitched]
// waits, on a watch, until every live replica has acknowledged, for at most
// Config.AckTimeout, and otherwise returns a *[NotSwitchedError] naming the
// replicas that have not.
//
// Fencing: a rotator can lose its lease without noticing (paused by a GC or
// a stopped VM past LeaseTTL) while another takes it and rotates. Rotate asks
// [Fleet.Held] right before every regeneration, and Held asks etcd, so the
// paused rotator regenerates nothing when it resumes; [Fleet.Publish] checks
// the lease in the same transaction as its write.
//
// Security: etcd is not a secret manager. The set is written as the Codec
// makes it: [Plaintext] writes the secrets readable to anyone who can read the
// key, its backups and snapshots. Give a [Codec] that encrypts (with a key
// from your KMS), or at least run etcd with client TLS and authentication and
// a role that may read only Prefix. Nothing here logs a secret.
package etcdfleet
