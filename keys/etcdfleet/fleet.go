package etcdfleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/vippsportal/sdk/keys"
)

// Codec turns the revealed key set (JSON of a [keys.RevealedSet]) into the
// bytes stored in etcd and back. Seal encrypts, say with a data key from your
// KMS; Open decrypts what Seal made. Neither may put the plain bytes in an
// error.
type Codec interface {
	Seal(ctx context.Context, plain []byte) ([]byte, error)
	Open(ctx context.Context, sealed []byte) ([]byte, error)
}

// Plaintext stores the set as plain JSON: anyone who can read the key (or a
// backup of etcd) reads the secrets. Choose it on purpose, with etcd's
// authentication and TLS.
var Plaintext Codec = plaintext{}

type plaintext struct{}

func (plaintext) Seal(_ context.Context, b []byte) ([]byte, error) { return b, nil }
func (plaintext) Open(_ context.Context, b []byte) ([]byte, error) { return b, nil }

// Config places a fleet in etcd.
type Config struct {
	// Prefix holds the fleet's keys, one prefix per sales unit, e.g.
	// "/vipps/keys/123456/". Required; it must end with "/".
	Prefix string
	// Codec is how the set is stored. Required: Plaintext or your own.
	Codec Codec
	// LeaseTTL bounds how long a dead (or paused) rotator keeps the lease and
	// a dead replica still counts as live. etcd counts it in whole seconds
	// (at least its own minimum, about 2 seconds by default). Keep it well
	// above twice the time one regeneration takes: [Fleet.Held] confirms the
	// lease for half of it. 0 means 10 seconds.
	LeaseTTL time.Duration
	// AckTimeout bounds AwaitSwitched. 0 means 30 seconds.
	AckTimeout time.Duration
	// MinReplicas makes AwaitSwitched also wait until at least this many live
	// replicas acknowledged. A replica cut off from etcd loses its lease and
	// stops counting while it may still serve: with a minimum, a fleet that
	// all but vanished from etcd holds the rotation back. 0: no minimum.
	MinReplicas int
	// Logger, when set, gets a replica's failures to apply a version (no secret).
	Logger *slog.Logger
}

// ErrLeaseNotHeld is [Fleet.Publish] or [Fleet.Held] without the rotation
// lease, or after it was lost (expired, revoked, or its lock removed).
var ErrLeaseNotHeld = errors.New("etcdfleet: the rotation lease is not held")

// NotSwitchedError is AwaitSwitched's answer when live replicas did not
// acknowledge a version in time. It names replicas, never keys.
type NotSwitchedError struct {
	Version  int64
	Replicas []string // live replicas still on an older version, sorted
	Switched int      // live replicas that acknowledged Version
	Min      int      // Config.MinReplicas
	Err      error    // why waiting stopped: context.DeadlineExceeded for the bound
}

func (e *NotSwitchedError) Error() string {
	if len(e.Replicas) == 0 {
		return fmt.Sprintf("etcdfleet: only %d live replica(s) acknowledged version %d, at least %d required: %v",
			e.Switched, e.Version, e.Min, e.Err)
	}
	return fmt.Sprintf("etcdfleet: replica(s) %s did not acknowledge version %d: %v",
		strings.Join(e.Replicas, ", "), e.Version, e.Err)
}

// Unwrap returns why waiting stopped.
func (e *NotSwitchedError) Unwrap() error { return e.Err }

// Fleet is a [keys.Fleet] on etcd. One Fleet holds the lease at most once at a
// time; make one per rotator. It is safe for concurrent use.
type Fleet struct {
	cli *clientv3.Client
	cfg Config

	mu      sync.Mutex
	lock    *concurrency.Mutex   // the held lease's lock, nil when not held
	session *concurrency.Session // the lease the lock is bound to
}

var _ keys.Fleet = (*Fleet)(nil)

// New returns the fleet under cfg.Prefix. It sends nothing.
func New(cli *clientv3.Client, cfg Config) (*Fleet, error) {
	if cli == nil {
		return nil, errors.New("etcdfleet: client is required")
	}
	if cfg.Prefix == "" || !strings.HasSuffix(cfg.Prefix, "/") {
		return nil, fmt.Errorf("etcdfleet: Config.Prefix must be set and end with \"/\", got %q", cfg.Prefix)
	}
	if cfg.Codec == nil {
		return nil, errors.New("etcdfleet: Config.Codec is required: etcdfleet.Plaintext or a codec that encrypts")
	}
	if cfg.LeaseTTL < 0 || cfg.AckTimeout < 0 || cfg.MinReplicas < 0 {
		return nil, errors.New("etcdfleet: Config.LeaseTTL, Config.AckTimeout and Config.MinReplicas must not be negative")
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = 30 * time.Second
	}
	return &Fleet{cli: cli, cfg: cfg}, nil
}

func (f *Fleet) setKey() string  { return f.cfg.Prefix + "set" }
func (f *Fleet) lockKey() string { return f.cfg.Prefix + "lock/" }
func (f *Fleet) ackKey() string  { return f.cfg.Prefix + "acks/" }

// ttl is the lease TTL in whole seconds, at least 1.
func (f *Fleet) ttl() int { return max(1, int(f.cfg.LeaseTTL/time.Second)) }

// Acquire waits for the rotation lease (the fleet's lock, bound to a lease of
// LeaseTTL kept alive while held) and fails when ctx ends first. release
// gives it back (revoking the lease, so the next rotator need not wait for
// it to expire); calling it again does nothing.
func (f *Fleet) Acquire(ctx context.Context) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock != nil {
		return nil, errors.New("etcdfleet: this Fleet holds the lease already")
	}
	s, err := concurrency.NewSession(f.cli, concurrency.WithTTL(f.ttl()))
	if err != nil {
		return nil, fmt.Errorf("etcdfleet: starting a lease: %w", err)
	}
	m := concurrency.NewMutex(s, f.lockKey())
	if err := m.Lock(ctx); err != nil {
		_ = s.Close() // revokes the lease: our place in line goes with it
		return nil, fmt.Errorf("etcdfleet: waiting for the rotation lease: %w", err)
	}
	f.lock, f.session = m, s
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.lock, f.session = nil, nil
			f.mu.Unlock()
			_ = s.Close() // revoking the lease deletes the lock key
		})
	}, nil
}

// Held asks etcd, not a local flag, whether this Fleet still holds the
// rotation lease: it renews the lease once (a lease that expired, while the
// process was paused say, is gone and cannot be renewed, whatever the
// session's own keepalive believes) and checks in a linearizable transaction
// that the lock is still this Fleet's. It returns nil only when both succeed
// within half the lease's TTL, so the lease is held for at least that long
// after Held returns: keep LeaseTTL well above the time one regeneration
// takes. Otherwise it returns an error wrapping ErrLeaseNotHeld when the
// lease is gone or taken, or etcd's error when etcd did not answer.
func (f *Fleet) Held(ctx context.Context) error {
	f.mu.Lock()
	m, s := f.lock, f.session
	f.mu.Unlock()
	if m == nil {
		return ErrLeaseNotHeld
	}
	start := time.Now()
	ka, err := f.cli.KeepAliveOnce(ctx, s.Lease())
	switch {
	case errors.Is(err, rpctypes.ErrLeaseNotFound):
		return fmt.Errorf("%w: its lease expired", ErrLeaseNotHeld)
	case err != nil:
		return fmt.Errorf("etcdfleet: confirming the rotation lease: %w", err)
	case ka.TTL <= 0:
		return fmt.Errorf("%w: its lease expired", ErrLeaseNotHeld)
	}
	resp, err := f.cli.Txn(ctx).If(m.IsOwner()).Commit()
	if err != nil {
		return fmt.Errorf("etcdfleet: confirming the rotation lease: %w", err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("%w: its lock was taken or removed", ErrLeaseNotHeld)
	}
	if took, ttl := time.Since(start), time.Duration(ka.TTL)*time.Second; took > ttl/2 {
		return fmt.Errorf("%w for sure: confirming it took %s of its %s lifetime", ErrLeaseNotHeld, took.Round(time.Millisecond), ttl)
	}
	return nil
}

// envelope is the stored value: the key in use in the clear, the set as the codec made it.
type envelope struct {
	InUse keys.Name `json:"inUse"`
	Set   []byte    `json:"set"`
}

// Publish stores set as the next version, only while this Fleet holds the
// lease (checked in the same transaction), and returns the version. A fleet's
// first set is published by [Fleet.PublishFirst], which needs no lease.
func (f *Fleet) Publish(ctx context.Context, set keys.Set, inUse keys.Name) (int64, error) {
	val, err := f.encode(ctx, set, inUse)
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	m := f.lock
	f.mu.Unlock()
	if m == nil {
		return 0, ErrLeaseNotHeld
	}
	resp, err := f.cli.Txn(ctx).If(m.IsOwner()).Then(clientv3.OpPut(f.setKey(), val)).Commit()
	if err != nil {
		return 0, fmt.Errorf("etcdfleet: publishing: %w", err)
	}
	if !resp.Succeeded {
		return 0, ErrLeaseNotHeld
	}
	return resp.Header.Revision, nil
}

// PublishFirst publishes set, with subscription key inUse, as the fleet's
// first version: the set of record that every replica starts from and the
// first rotation replaces. It never replaces a published set (one
// transaction puts it only where there is none), so it needs no lease and is
// safe to run on every deploy: published reports whether this call
// published, and version is the version in force either way.
func (f *Fleet) PublishFirst(ctx context.Context, set keys.Set, inUse keys.Name) (version int64, published bool, err error) {
	val, err := f.encode(ctx, set, inUse)
	if err != nil {
		return 0, false, err
	}
	resp, err := f.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(f.setKey()), "=", 0)).
		Then(clientv3.OpPut(f.setKey(), val)).Else(clientv3.OpGet(f.setKey())).Commit()
	if err != nil {
		return 0, false, fmt.Errorf("etcdfleet: publishing the first set: %w", err)
	}
	if resp.Succeeded {
		return resp.Header.Revision, true, nil
	}
	if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
		return kvs[0].ModRevision, false, nil
	}
	return 0, false, errors.New("etcdfleet: publishing the first set: the set was there and then gone")
}

// encode checks set and makes the stored value of it.
func (f *Fleet) encode(ctx context.Context, set keys.Set, inUse keys.Name) (string, error) {
	if !inUse.IsSubscriptionKey() {
		return "", fmt.Errorf("etcdfleet: inUse must be subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(inUse))
	}
	if set.MSN == "" || set.ClientID == "" || set.ClientSecret.IsZero() || set.SubscriptionKey(inUse).IsZero() {
		return "", errors.New("etcdfleet: set: msn, clientId, clientSecret and the key in use are required")
	}
	plain, err := json.Marshal(set.Reveal())
	if err != nil {
		return "", err
	}
	sealed, err := f.cfg.Codec.Seal(ctx, plain)
	if err != nil {
		return "", fmt.Errorf("etcdfleet: sealing the set: %w", err)
	}
	val, err := json.Marshal(envelope{InUse: inUse, Set: sealed})
	if err != nil {
		return "", err
	}
	return string(val), nil
}

// Current reads the published set, the subscription key in use and the
// version; version 0 (and no error) when nothing was published.
func (f *Fleet) Current(ctx context.Context) (keys.Set, keys.Name, int64, error) {
	resp, err := f.cli.Get(ctx, f.setKey())
	if err != nil {
		return keys.Set{}, "", 0, fmt.Errorf("etcdfleet: reading the set: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return keys.Set{}, "", 0, nil
	}
	kv := resp.Kvs[0]
	set, inUse, err := f.decode(ctx, kv.Value)
	if err != nil {
		return keys.Set{}, "", 0, err
	}
	return set, inUse, kv.ModRevision, nil
}

func (f *Fleet) decode(ctx context.Context, val []byte) (keys.Set, keys.Name, error) {
	var env envelope
	if err := json.Unmarshal(val, &env); err != nil {
		return keys.Set{}, "", errors.New("etcdfleet: the stored value is not a fleet envelope")
	}
	plain, err := f.cfg.Codec.Open(ctx, env.Set)
	if err != nil {
		return keys.Set{}, "", fmt.Errorf("etcdfleet: opening the set: %w", err)
	}
	var rs keys.RevealedSet
	if err := json.Unmarshal(plain, &rs); err != nil {
		// The parse error could quote a secret: say only what failed.
		return keys.Set{}, "", errors.New("etcdfleet: the opened set is not a key set (wrong codec?)")
	}
	if !env.InUse.IsSubscriptionKey() {
		return keys.Set{}, "", fmt.Errorf("etcdfleet: the stored key in use is %q", string(env.InUse))
	}
	return rs.Set(), env.InUse, nil
}

// Replicas returns the live replicas and the version each acknowledged.
func (f *Fleet) Replicas(ctx context.Context) (map[string]int64, error) {
	resp, err := f.cli.Get(ctx, f.ackKey(), clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcdfleet: reading the acknowledgements: %w", err)
	}
	acks := make(map[string]int64, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		acks[strings.TrimPrefix(string(kv.Key), f.ackKey())] = parseVersion(kv.Value)
	}
	return acks, nil
}

func parseVersion(b []byte) int64 {
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// AwaitSwitched returns when every live replica acknowledged version or a
// later one, and at least MinReplicas did: it reads the acknowledgements once, then follows them on a
// watch. A replica whose lease ends (it died) stops counting; one that joins
// counts from then on. After AckTimeout, or when ctx ends, it returns a
// *NotSwitchedError naming the replicas still behind.
func (f *Fleet) AwaitSwitched(ctx context.Context, version int64) error {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.AckTimeout)
	defer cancel()
	resp, err := f.cli.Get(ctx, f.ackKey(), clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("etcdfleet: reading the acknowledgements: %w", err)
	}
	acks := make(map[string]int64, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		acks[string(kv.Key)] = parseVersion(kv.Value)
	}
	behind := func() (names []string, switched int) {
		for k, v := range acks {
			if v < version {
				names = append(names, strings.TrimPrefix(k, f.ackKey()))
			} else {
				switched++
			}
		}
		slices.Sort(names)
		return names, switched
	}
	done := func() bool {
		names, switched := behind()
		return len(names) == 0 && switched >= f.cfg.MinReplicas
	}
	if done() {
		return nil
	}
	wch := f.cli.Watch(clientv3.WithRequireLeader(ctx), f.ackKey(), clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
	for {
		wr, ok := <-wch
		if !ok || wr.Canceled {
			err := ctx.Err()
			if err == nil {
				err = wr.Err()
			}
			if err == nil {
				err = errors.New("the watch ended")
			}
			names, switched := behind()
			return &NotSwitchedError{Version: version, Replicas: names, Switched: switched, Min: f.cfg.MinReplicas, Err: err}
		}
		for _, ev := range wr.Events {
			switch ev.Type {
			case clientv3.EventTypePut:
				acks[string(ev.Kv.Key)] = parseVersion(ev.Kv.Value)
			case clientv3.EventTypeDelete:
				delete(acks, string(ev.Kv.Key))
			}
		}
		if done() {
			return nil
		}
	}
}
