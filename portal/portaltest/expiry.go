package portaltest

import (
	"container/heap"
	"time"
)

// deadlines is a min-heap of keys by the time they stop mattering, so that a
// long-running simulator forgets expired tokens and idempotency records
// instead of holding every one it ever issued: memory follows what is live,
// not the number of requests served. Guarded by Server.mu.
type deadlines[K comparable] struct{ items []deadline[K] }

type deadline[K comparable] struct {
	at  time.Time
	key K
}

func (d *deadlines[K]) Len() int           { return len(d.items) }
func (d *deadlines[K]) Less(i, j int) bool { return d.items[i].at.Before(d.items[j].at) }
func (d *deadlines[K]) Swap(i, j int)      { d.items[i], d.items[j] = d.items[j], d.items[i] }
func (d *deadlines[K]) Push(x any)         { d.items = append(d.items, x.(deadline[K])) }
func (d *deadlines[K]) Pop() any {
	last := d.items[len(d.items)-1]
	d.items[len(d.items)-1] = deadline[K]{}
	d.items = d.items[:len(d.items)-1]
	return last
}

// add schedules key to be forgotten at at.
func (d *deadlines[K]) add(key K, at time.Time) { heap.Push(d, deadline[K]{at: at, key: key}) }

// expire calls forget(key, at) for every key whose time has come by now,
// earliest first; forget checks the key still stands for that deadline (a
// key stored again later has a deadline of its own).
func (d *deadlines[K]) expire(now time.Time, forget func(key K, at time.Time)) {
	for len(d.items) > 0 && !now.Before(d.items[0].at) {
		e := heap.Pop(d).(deadline[K])
		forget(e.key, e.at)
	}
}
