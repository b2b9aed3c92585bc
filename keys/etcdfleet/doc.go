// Package etcdfleet is a keys.Fleet on etcd: many replicas of an integration
// share one key set of a sales unit, and keys.Service.RotateFleet rotates it
// without any replica losing a call.
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
// A Replica watches the set, hands every new version to its Applier (a
// keys.LiveSource, say) and acknowledges the version once the Applier has
// returned, that is once the replica uses the new set and its calls on the
// old one have finished. AwaitSwitched waits, on a watch, until every live
// replica has acknowledged, for at most Config.AckTimeout, and otherwise
// returns a *NotSwitchedError naming the replicas that have not.
//
// Security: etcd is not a secret manager. The set is written as the Codec
// makes it: Plaintext writes the secrets readable to anyone who can read the
// key, its backups and snapshots. Give a Codec that encrypts (with a key from
// your KMS), or at least run etcd with client TLS and authentication and a role
// that may read only Prefix. Nothing here logs a secret.
package etcdfleet
