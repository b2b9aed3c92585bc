package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// PollOptions shape a wait. Zero fields take the defaults. Kind and ID name
// what is waited for in events and in the timeout error.
type PollOptions[T any] struct {
	MinDelay time.Duration // first delay; default 2 s, never below PollFloor
	MaxDelay time.Duration // delays grow to this; default 20 s
	Timeout  time.Duration // upper bound on the whole wait, the poll in flight included; default 10 min
	Kind, ID string
	OnPoll   func(vipps.PollEvent, T) // T is the record the poll saw (its zero value when the poll failed)
}

// Seen is what one poll saw. Status is the record's state in words (for events
// and the timeout error); Estimate is the server's Retry-After on a successful
// answer: its estimate of when the work will be done (0 for none).
type Seen[T any] struct {
	Kind, ID string // when set, what is waited for from this poll on (a creation becomes a unit)
	Value    T
	Status   string
	Done     bool
	Estimate time.Duration
}

// Poll defaults. The delay grows by half each poll, so a wait of two minutes
// costs about a dozen polls instead of 120 at a fixed second.
const (
	DefaultMinDelay    = 2 * time.Second
	DefaultMaxDelay    = 20 * time.Second
	DefaultWaitTimeout = 10 * time.Minute
	// PollFloor is the least delay between polls: a smaller MinDelay is raised
	// to it, so WaitOptions{MinDelay: 1} cannot poll thousands of times a second.
	PollFloor   = 100 * time.Millisecond
	delayGrowth = 1.5
	delayJitter = 0.2 // ±20%: many waiters started together do not poll in lockstep
	// lastPollReserve is the time the last poll is given to be answered before
	// the bound: a poll started at the bound could only be cut.
	lastPollReserve = time.Second
)

func (o PollOptions[T]) withDefaults() PollOptions[T] {
	if o.MinDelay <= 0 {
		o.MinDelay = DefaultMinDelay
	}
	o.MinDelay = max(o.MinDelay, PollFloor)
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.MaxDelay < o.MinDelay {
		o.MaxDelay = o.MinDelay
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultWaitTimeout
	}
	return o
}

// Poll calls check until it reports done, returns an error the wait cannot get
// past, or the wait's bound passes. check's errors are judged so: a *Error that
// is Temporary (no answer, 408, 429, 5xx, keys-not-ready) keeps the wait going;
// any other *Error (400, 401, 403, 404 ...) and any other error (such as a
// typed FAILED/REJECTED record) stop it at once.
//
// Between polls it waits on its own schedule (MinDelay growing by half to
// MaxDelay, jittered), or, when the last answer carried the server's estimate,
// until then (at least MinDelay); an error's Retry-After is a least wait. The
// last poll starts a second (a tenth of Timeout, if less) before the bound: a
// wait is cut to it, or stretched to it when it would stop short by less than
// PollFloor. check's context ends at the bound, so the poll in flight is
// bounded too. Past the bound it returns a *WaitTimeoutError.
func Poll[T any](ctx context.Context, o PollOptions[T], check func(ctx context.Context) (Seen[T], error)) (T, error) {
	if err := CheckContext(ctx); err != nil {
		var zero T
		return zero, err
	}
	o = o.withDefaults()
	start := time.Now()
	deadline := start.Add(o.Timeout)
	pctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	reserve := min(lastPollReserve, o.Timeout/10)
	delay := o.MinDelay
	var (
		zero    T
		last    Seen[T]
		lastErr error
	)
	timeout := func(attempt int, now time.Time) error {
		return &vipps.WaitTimeoutError{Kind: o.Kind, ID: o.ID, LastStatus: last.Status, LastErr: lastErr,
			Attempts: attempt, Elapsed: now.Sub(start)}
	}
	for attempt := 1; ; attempt++ {
		seen, err := check(pctx)
		now := time.Now()
		if err == nil && seen.Kind != "" {
			o.Kind, o.ID = seen.Kind, seen.ID
		}
		ev := vipps.PollEvent{Attempt: attempt, Elapsed: now.Sub(start), Kind: o.Kind, ID: o.ID}
		if err == nil && seen.Done {
			ev.Status, ev.Done = seen.Status, true
			report(o, ev, seen.Value)
			return seen.Value, nil
		}
		var apiErr *vipps.Error
		if err != nil {
			if ctx.Err() != nil {
				return seen.Value, err
			}
			if pctx.Err() != nil { // the bound cut the poll in flight
				return zero, timeout(attempt, now)
			}
			if !errors.As(err, &apiErr) || !apiErr.Temporary() {
				return seen.Value, err
			}
			lastErr, ev.Err = err, err
		} else {
			last, lastErr = seen, nil
			ev.Status = seen.Status
		}
		room := deadline.Sub(now) - reserve // until the latest a poll can start and still be answered
		if room <= 0 {
			report(o, ev, seen.Value)
			return zero, timeout(attempt, now)
		}
		var wait time.Duration
		switch {
		case err == nil && seen.Estimate > 0:
			wait, ev.Estimated = max(seen.Estimate, o.MinDelay), true
		case apiErr != nil && apiErr.RetryAfter > 0:
			wait = max(jittered(delay), apiErr.RetryAfter)
		default:
			wait = jittered(delay)
		}
		wait = max(wait, PollFloor)
		if room-wait < PollFloor {
			// The last poll is at the bound: a wait that would leave less than
			// PollFloor before it stretches to it, so the wait neither gives up
			// early nor polls twice in a rush at the end.
			wait = room
		}
		ev.NextDelay = wait
		report(o, ev, seen.Value)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, ctx.Err()
		case <-t.C:
		}
		if !ev.Estimated {
			delay = min(time.Duration(float64(delay)*delayGrowth), o.MaxDelay)
		}
	}
}

func report[T any](o PollOptions[T], ev vipps.PollEvent, v T) {
	if o.OnPoll != nil {
		o.OnPoll(ev, v)
	}
}

func jittered(d time.Duration) time.Duration {
	f := 1 + delayJitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}
