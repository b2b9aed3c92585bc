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

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/vippsportal/sdk/keys"
)

// Codec turns the revealed key set (JSON of keys.RevealedSet) into the bytes
// stored in etcd and back. Seal encrypts, say with a data key from your KMS.
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
	// LeaseTTL bounds how long a dead rotator keeps the lease and a dead
	// replica still counts as live. 0 means 10 seconds.
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

// ErrLeaseNotHeld is Publish without the rotation lease, or after it was lost.
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

// Fleet is a keys.Fleet on etcd. One Fleet holds the lease at most once at a
// time; make one per rotator.
type Fleet struct {
	cli *clientv3.Client
	cfg Config

	mu   sync.Mutex
	lock *concurrency.Mutex // the held lease, nil when not held
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
// LeaseTTL kept alive while held) and fails when ctx ends first.
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
	f.lock = m
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.lock = nil
			f.mu.Unlock()
			_ = s.Close() // revoking the lease deletes the lock key
		})
	}, nil
}

// envelope is the stored value: the key in use in the clear, the set as the codec made it.
type envelope struct {
	InUse keys.Name `json:"inUse"`
	Set   []byte    `json:"set"`
}

// Publish stores set as the next version, only while this Fleet holds the
// lease (checked in the same transaction), and returns the version.
func (f *Fleet) Publish(ctx context.Context, set keys.Set, inUse keys.Name) (int64, error) {
	if !inUse.IsSubscriptionKey() {
		return 0, fmt.Errorf("etcdfleet: inUse must be subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(inUse))
	}
	if set.MSN == "" || set.ClientID == "" || set.ClientSecret.IsZero() || set.SubscriptionKey(inUse).IsZero() {
		return 0, errors.New("etcdfleet: set: msn, clientId, clientSecret and the key in use are required")
	}
	f.mu.Lock()
	m := f.lock
	f.mu.Unlock()
	if m == nil {
		return 0, ErrLeaseNotHeld
	}
	plain, err := json.Marshal(set.Reveal())
	if err != nil {
		return 0, err
	}
	sealed, err := f.cfg.Codec.Seal(ctx, plain)
	if err != nil {
		return 0, fmt.Errorf("etcdfleet: sealing the set: %w", err)
	}
	val, err := json.Marshal(envelope{InUse: inUse, Set: sealed})
	if err != nil {
		return 0, err
	}
	resp, err := f.cli.Txn(ctx).If(m.IsOwner()).Then(clientv3.OpPut(f.setKey(), string(val))).Commit()
	if err != nil {
		return 0, fmt.Errorf("etcdfleet: publishing: %w", err)
	}
	if !resp.Succeeded {
		return 0, ErrLeaseNotHeld
	}
	return resp.Header.Revision, nil
}

// Current reads the published set; version 0 when there is none.
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
