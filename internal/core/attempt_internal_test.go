package core

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Outside a bubble every attempt goes on the client's clock; inside one each
// has its own timer, unless a test asks for the clock.
func TestAttemptClockOnlyOutsideBubbles(t *testing.T) {
	g := newAttemptGuard(http.DefaultTransport, time.Second)
	if !g.onClock(time.Now()) {
		t.Error("outside a bubble: not on the clock")
	}
	synctest.Test(t, func(t *testing.T) {
		if g.onClock(time.Now()) {
			t.Error("inside a bubble: on the clock")
		}
		g.clockInBubble = true
		if !g.onClock(time.Now()) {
			t.Error("inside a bubble, asked for the clock: not on it")
		}
	})
}

// The list stays in deadline order when an attempt that began a moment
// earlier takes the lock later, and removal from anywhere keeps it whole.
func TestAttemptClockKeepsDeadlineOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &attemptClock{timeout: time.Minute}
		base := time.Now()
		at := make([]*attempt, 6)
		for i, off := range []int{0, 5, 3, 9, 1, 7} {
			at[i] = &attempt{}
			k.add(at[i], base.Add(time.Duration(off)*time.Millisecond))
		}
		order := func() (offs []int) {
			k.mu.Lock()
			defer k.mu.Unlock()
			var prev *attempt
			for a := k.head; a != nil; a = a.next {
				if a.prev != prev {
					t.Fatal("a broken back link")
				}
				prev = a
				offs = append(offs, int(a.deadline.Sub(base.Add(time.Minute))/time.Millisecond))
			}
			if k.tail != prev {
				t.Fatal("the tail is not the last attempt")
			}
			return offs
		}
		if got, want := order(), []int{0, 1, 3, 5, 7, 9}; !slices.Equal(got, want) {
			t.Fatalf("order %v, want %v", got, want)
		}
		k.remove(at[0]) // the head (0)
		k.remove(at[3]) // the tail (9)
		k.remove(at[2]) // the middle (3)
		k.remove(at[2]) // twice: nothing
		if got, want := order(), []int{1, 5, 7}; !slices.Equal(got, want) {
			t.Fatalf("order %v, want %v", got, want)
		}
		time.Sleep(time.Minute + 5*time.Millisecond) // fake time: the clock ends 1 and 5
		synctest.Wait()
		if !at[4].fired.Load() || !at[1].fired.Load() || at[5].fired.Load() {
			t.Fatalf("fired: 1=%v 5=%v 7=%v, want true true false", at[4].fired.Load(), at[1].fired.Load(), at[5].fired.Load())
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		k.mu.Lock()
		head, armed := k.head, k.armed
		k.mu.Unlock()
		if !at[5].fired.Load() || head != nil || armed {
			t.Fatalf("after the last deadline: fired=%v head=%v armed=%v", at[5].fired.Load(), head, armed)
		}
	})
}

// A context derived from an attempt (net/http derives one per request) follows
// it through AfterFunc, with no goroutine waiting, and leaves no trace once
// it is done itself.
func TestAttemptAfterFunc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &attempt{Context: context.Background()}
		a.begin()
		registered := func() int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.after) }

		child, cancel := context.WithCancel(a)
		if registered() != 1 {
			t.Fatalf("%d functions registered, want 1 (context used AfterFunc)", registered())
		}
		cancel()
		if registered() != 0 {
			t.Fatalf("%d functions registered after the child was canceled, want 0", registered())
		}
		if child.Err() == nil {
			t.Fatal("child not canceled")
		}

		child, cancel = context.WithCancel(a)
		defer cancel()
		a.end(context.Canceled)
		synctest.Wait()
		if !errors.Is(child.Err(), context.Canceled) {
			t.Fatalf("child after the attempt ended: %v, want Canceled", child.Err())
		}

		late, cancelLate := context.WithCancel(a) // derived after the end: canceled at once
		defer cancelLate()
		synctest.Wait()
		if late.Err() == nil {
			t.Fatal("a context derived from an ended attempt is not canceled")
		}
	})
}

// Before it begins, an attempt is its parent: derived contexts follow the parent.
func TestUnbegunAttemptIsItsParent(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	a := &attempt{Context: parent}
	child, cancel := context.WithCancel(a)
	defer cancel()
	cancelParent()
	// context registers the child with the parent itself: canceled at once, not on any clock.
	if !errors.Is(child.Err(), context.Canceled) {
		t.Fatalf("child after its parent was canceled: %v, want Canceled", child.Err())
	}
	if a.Done() != parent.Done() || !errors.Is(a.Err(), context.Canceled) {
		t.Fatal("an attempt not begun is not its parent")
	}
}
