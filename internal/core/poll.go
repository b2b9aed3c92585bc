package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"time"
)

// PollOptions shape a wait. Zero fields take the defaults.
type PollOptions struct {
	MinDelay time.Duration // first delay; default 2 s
	MaxDelay time.Duration // delays grow to this; default 20 s
	Timeout  time.Duration // upper bound on the whole wait; default 10 min
	OnPoll   func(PollEvent)
}

// Poll defaults. The delay grows by half each poll, so a wait of two minutes
// costs about a dozen polls instead of 120 at a fixed second.
const (
	DefaultMinDelay    = 2 * time.Second
	DefaultMaxDelay    = 20 * time.Second
	DefaultWaitTimeout = 10 * time.Minute
	delayGrowth        = 1.5
	delayJitter        = 0.2 // ±20%: many waiters started together do not poll in lockstep
)

func (o PollOptions) withDefaults() PollOptions {
	if o.MinDelay <= 0 {
		o.MinDelay = DefaultMinDelay
	}
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
func Poll[T any](ctx context.Context, o PollOptions, check func(ctx context.Context) (T, bool, error)) (T, error) {
	if err := CheckContext(ctx); err != nil {
		var zero T
		return zero, err
	}
	o = o.withDefaults()
	start := time.Now()
	deadline := start.Add(o.Timeout)
	delay := o.MinDelay
	var last T
	var lastErr error
	for attempt := 1; ; attempt++ {
		v, done, err := check(ctx)
		if done && err == nil {
			report(o, attempt, time.Since(start), v, nil, 0)
			return v, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return v, err
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) || !apiErr.Temporary() {
				return v, err
			}
			lastErr = err
		} else {
			last, lastErr = v, nil
		}
		now := time.Now()
		left := deadline.Sub(now)
		if left <= 0 {
			report(o, attempt, now.Sub(start), v, err, 0)
			return last, &WaitTimeoutError{Last: lastState(last), LastErr: lastErr, Attempts: attempt, Elapsed: now.Sub(start)}
		}
		wait := jittered(delay)
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.RetryAfter > wait {
			wait = apiErr.RetryAfter
		}
		wait = min(wait, left) // one last poll at the bound rather than none
		report(o, attempt, now.Sub(start), v, err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
		delay = min(time.Duration(float64(delay)*delayGrowth), o.MaxDelay)
	}
}

func report[T any](o PollOptions, attempt int, elapsed time.Duration, v T, err error, next time.Duration) {
	if o.OnPoll == nil {
		return
	}
	ev := PollEvent{Attempt: attempt, Elapsed: elapsed, Err: err, NextDelay: next}
	if err == nil {
		ev.State = lastState(v)
	}
	o.OnPoll(ev)
}

// lastState turns a nil pointer (no record seen yet) into a nil interface.
func lastState[T any](v T) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) && rv.IsNil() {
		return nil
	}
	return v
}

func jittered(d time.Duration) time.Duration {
	f := 1 + delayJitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}
