package etcdfleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/vippsportal/sdk/keys"
)

// Applier makes a replica use a new set. Store must return only once the
// replica uses set with subscription key inUse and its calls on the previous
// set have finished: the acknowledgement that follows lets the rotator
// regenerate the old key. It should also leave the replica holding an access
// token for the new set (a client that has made one call with it), since the
// client secret may change next. [keys.LiveSource.Store] fits for a replica
// whose portal client reads the source (portal.WithKeySource) and calls
// steadily; for one that may sit idle, make one call after Store before
// returning.
type Applier interface {
	Store(ctx context.Context, set keys.Set, inUse keys.Name) error
}

// Replica follows the fleet's set for one running copy of the integration.
type Replica struct {
	f    *Fleet
	name string
	a    Applier

	// OnAck, when set, is called after each acknowledgement is written.
	OnAck func(version int64)
}

// Replica returns the replica name of this fleet, applying to a. name must
// be unique among the live replicas (a pod name, say) and hold no "/".
func (f *Fleet) Replica(name string, a Applier) (*Replica, error) {
	if name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("etcdfleet: replica name must be non-empty without \"/\", got %q", name)
	}
	if a == nil {
		return nil, errors.New("etcdfleet: replica applier is required")
	}
	return &Replica{f: f, name: name, a: a}, nil
}

// Run joins the fleet and follows it until ctx ends (then it returns nil and
// its acknowledgement goes with its lease) or the lease is lost. It applies
// the current set, acknowledges it on a key bound to its own lease, and then
// applies and acknowledges every new version it sees on a watch. A version it
// cannot apply is logged and not acknowledged: the replica stays live and
// behind, so a rotation waiting for it stops rather than regenerate a key the
// replica may still use.
//
// Run returns an error when it can no longer follow the fleet (its lease was
// lost, the watch broke, etcd refused). Its acknowledgement is then gone, so
// the replica no longer holds a rotation back: call Run again at once (it
// rejoins with the current set) or stop serving with these keys.
func (r *Replica) Run(ctx context.Context) error {
	f := r.f
	// Not bound to ctx: Close must still revoke the lease after ctx ended, so
	// the acknowledgement goes at once rather than after LeaseTTL.
	s, err := concurrency.NewSession(f.cli, concurrency.WithTTL(f.ttl()))
	if err != nil {
		return fmt.Errorf("etcdfleet: replica %s: starting its lease: %w", r.name, err)
	}
	defer func() { _ = s.Close() }()
	ackKey := f.ackKey() + r.name

	resp, err := f.cli.Get(ctx, f.setKey())
	if err != nil {
		return fmt.Errorf("etcdfleet: replica %s: reading the set: %w", r.name, err)
	}
	var acked int64
	if len(resp.Kvs) > 0 {
		kv := resp.Kvs[0]
		set, inUse, err := f.decode(ctx, kv.Value)
		if err == nil {
			err = r.a.Store(ctx, set, inUse)
		}
		if err != nil {
			return fmt.Errorf("etcdfleet: replica %s: applying version %d: %w", r.name, kv.ModRevision, err)
		}
		acked = kv.ModRevision
	}
	join, err := f.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(ackKey), "=", 0)).
		Then(clientv3.OpPut(ackKey, strconv.FormatInt(acked, 10), clientv3.WithLease(s.Lease()))).Commit()
	if err != nil {
		return fmt.Errorf("etcdfleet: replica %s: joining: %w", r.name, err)
	}
	if !join.Succeeded {
		return fmt.Errorf("etcdfleet: replica name %s is taken by a live replica", r.name)
	}
	if r.OnAck != nil {
		r.OnAck(acked)
	}

	wch := f.cli.Watch(clientv3.WithRequireLeader(ctx), f.setKey(), clientv3.WithRev(resp.Header.Revision+1))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.Done():
			return fmt.Errorf("etcdfleet: replica %s lost its lease", r.name)
		case wr, ok := <-wch:
			if !ok || wr.Canceled {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("etcdfleet: replica %s: the watch ended: %v", r.name, wr.Err())
			}
			for _, ev := range wr.Events {
				if ev.Type != clientv3.EventTypePut {
					continue
				}
				if err := r.apply(ctx, s, ackKey, ev.Kv.Value, ev.Kv.ModRevision); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					if f.cfg.Logger != nil {
						f.cfg.Logger.Error("etcdfleet: replica did not switch", "replica", r.name, "version", ev.Kv.ModRevision, "err", err)
					}
				}
			}
		}
	}
}

func (r *Replica) apply(ctx context.Context, s *concurrency.Session, ackKey string, val []byte, version int64) error {
	set, inUse, err := r.f.decode(ctx, val)
	if err != nil {
		return err
	}
	if err := r.a.Store(ctx, set, inUse); err != nil {
		return err
	}
	if _, err := r.f.cli.Put(ctx, ackKey, strconv.FormatInt(version, 10), clientv3.WithLease(s.Lease())); err != nil {
		return fmt.Errorf("acknowledging: %w", err)
	}
	if r.OnAck != nil {
		r.OnAck(version)
	}
	return nil
}
