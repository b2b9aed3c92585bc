package core_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

type record struct{ Status string }

// seen adapts a (value, done, err) check to Poll's Seen.
func seen[T any](f func(context.Context) (T, bool, error)) func(context.Context) (core.Seen[T], error) {
	return func(ctx context.Context) (core.Seen[T], error) {
		v, done, err := f(ctx)
		return core.Seen[T]{Value: v, Done: done, Status: "st"}, err
	}
}

// pollTrace records when check ran (on the bubble's clock) and what OnPoll said.
type pollTrace struct {
	start  time.Time
	checks []time.Duration
	events []vipps.PollEvent
	states []*record
}

func (p *pollTrace) opts(o core.PollOptions[*record]) core.PollOptions[*record] {
	o.OnPoll = func(ev vipps.PollEvent, v *record) {
		p.events = append(p.events, ev)
		p.states = append(p.states, v)
	}
	return o
}

func (p *pollTrace) mark() { p.checks = append(p.checks, time.Since(p.start)) }

func TestPollDelaysGrowWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &pollTrace{start: time.Now()}
		n := 0
		got, err := core.Poll(t.Context(), tr.opts(core.PollOptions[*record]{MinDelay: time.Second, MaxDelay: 4 * time.Second, Timeout: time.Hour, Kind: "thing", ID: "t-1"}),
			seen(func(context.Context) (*record, bool, error) {
				tr.mark()
				n++
				if n == 8 {
					return &record{"DONE"}, true, nil
				}
				return &record{"PENDING"}, false, nil
			}))
		require.NoError(t, err)
		assert.Equal(t, "DONE", got.Status)
		require.Len(t, tr.events, 8, "every poll is reported, the last one too")
		last := tr.events[7]
		assert.Equal(t, 8, last.Attempt)
		assert.True(t, last.Done)
		assert.Equal(t, &record{"DONE"}, tr.states[7])
		assert.Zero(t, last.NextDelay, "the wait ends")
		base := []float64{1, 1.5, 2.25, 3.375, 4, 4, 4}
		for i, ev := range tr.events[:7] {
			assert.Equal(t, i+1, ev.Attempt)
			assert.Equal(t, "thing", ev.Kind)
			assert.Equal(t, "t-1", ev.ID)
			assert.False(t, ev.Done)
			assert.False(t, ev.Estimated)
			assert.Equal(t, &record{"PENDING"}, tr.states[i])
			want := time.Duration(base[i] * float64(time.Second))
			assert.InDelta(t, float64(want), float64(ev.NextDelay), 0.2*float64(want)+1, "delay %d", i)
			assert.Equal(t, tr.checks[i+1]-tr.checks[i], ev.NextDelay, "waited exactly the reported delay")
			assert.Equal(t, tr.checks[i], ev.Elapsed)
		}
	})
}

func TestPollHonoursRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &pollTrace{start: time.Now()}
		n := 0
		_, err := core.Poll(t.Context(), tr.opts(core.PollOptions[*record]{MinDelay: time.Second, Timeout: time.Hour}),
			seen(func(context.Context) (*record, bool, error) {
				tr.mark()
				n++
				if n == 1 {
					return nil, false, &vipps.Error{StatusCode: 429, RetryAfter: 30 * time.Second}
				}
				return &record{"DONE"}, true, nil
			}))
		require.NoError(t, err)
		require.Len(t, tr.checks, 2)
		assert.Equal(t, 30*time.Second, tr.checks[1]-tr.checks[0])
		require.Len(t, tr.events, 2)
		assert.ErrorIs(t, tr.events[0].Err, vipps.ErrRateLimited)
		assert.Nil(t, tr.states[0])
		assert.Empty(t, tr.events[0].Status)
		assert.Equal(t, &record{"DONE"}, tr.states[1])
		assert.Zero(t, tr.events[1].NextDelay)
	})
}

// A successful answer's estimate replaces the schedule: the next poll is then,
// at least MinDelay later, at most the time left; it does not grow the schedule.
func TestPollFollowsServerEstimate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &pollTrace{start: time.Now()}
		estimates := []time.Duration{47 * time.Second, 300 * time.Millisecond, 0, 0, time.Hour}
		n := 0
		_, err := core.Poll(t.Context(), tr.opts(core.PollOptions[*record]{MinDelay: time.Second, MaxDelay: 10 * time.Second, Timeout: 5 * time.Minute}),
			func(context.Context) (core.Seen[*record], error) {
				tr.mark()
				n++
				if n > len(estimates) {
					return core.Seen[*record]{Value: &record{"DONE"}, Done: true}, nil
				}
				return core.Seen[*record]{Value: &record{"PENDING"}, Status: "PENDING", Estimate: estimates[n-1]}, nil
			})
		require.NoError(t, err)
		require.Len(t, tr.events, 6)
		assert.Equal(t, 47*time.Second, tr.events[0].NextDelay, "the server's estimate, above MaxDelay too")
		assert.True(t, tr.events[0].Estimated)
		assert.Equal(t, time.Second, tr.events[1].NextDelay, "an estimate below MinDelay is raised to it")
		assert.True(t, tr.events[1].Estimated)
		assert.False(t, tr.events[2].Estimated)
		assert.InDelta(t, float64(time.Second), float64(tr.events[2].NextDelay), float64(200*time.Millisecond), "the own schedule did not grow while estimates ruled")
		assert.InDelta(t, float64(1500*time.Millisecond), float64(tr.events[3].NextDelay), float64(300*time.Millisecond))
		left := 5*time.Minute - tr.events[4].Elapsed
		assert.Equal(t, left-time.Second, tr.events[4].NextDelay, "an estimate past the bound is cut to the time left (less the last poll's second)")
		assert.Equal(t, tr.checks[5], 5*time.Minute-time.Second)
	})
}

// MinDelay below the floor is raised to it: WaitOptions{MinDelay: 1} does not
// poll thousands of times a second.
func TestPollFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &pollTrace{start: time.Now()}
		_, err := core.Poll(t.Context(), tr.opts(core.PollOptions[*record]{MinDelay: 1, MaxDelay: 1, Timeout: 2 * time.Second}),
			func(context.Context) (core.Seen[*record], error) {
				tr.mark()
				return core.Seen[*record]{Value: &record{"PENDING"}, Estimate: time.Nanosecond}, nil
			})
		require.ErrorIs(t, err, vipps.ErrWaitTimeout)
		for _, ev := range tr.events[:len(tr.events)-1] {
			assert.GreaterOrEqual(t, ev.NextDelay, core.PollFloor)
		}
		assert.LessOrEqual(t, len(tr.checks), 20, "at most one poll per 100 ms over 2 s")
		assert.Greater(t, len(tr.checks), 10)
	})
}

// The bound covers the poll in flight: a poll that never answers is cut at the
// bound, and the timeout names what was waited for.
func TestPollBoundCutsPollInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		n := 0
		_, err := core.Poll(t.Context(), core.PollOptions[*record]{Timeout: 30 * time.Second, Kind: "creation", ID: "c-1"},
			func(ctx context.Context) (core.Seen[*record], error) {
				n++
				if n == 1 {
					return core.Seen[*record]{Value: &record{"PENDING"}, Status: "PENDING"}, nil
				}
				<-ctx.Done() // a server that never answers
				return core.Seen[*record]{}, &vipps.Error{Err: ctx.Err()}
			})
		var wt *vipps.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.Equal(t, 30*time.Second, time.Since(start), "returned at the bound, not after it")
		assert.Equal(t, 2, wt.Attempts)
		assert.Equal(t, "PENDING", wt.LastStatus)
		assert.Equal(t, "vipps: creation c-1 still PENDING after 30s (2 polls)", err.Error())
	})
}

func TestPollShrinksToTimeLeftAndTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &pollTrace{start: time.Now()}
		_, err := core.Poll(t.Context(), tr.opts(core.PollOptions[*record]{MinDelay: 4 * time.Second, MaxDelay: 4 * time.Second, Timeout: 10 * time.Second}),
			func(context.Context) (core.Seen[*record], error) {
				tr.mark()
				if len(tr.checks) == 2 {
					return core.Seen[*record]{}, &vipps.Error{StatusCode: 429, RetryAfter: time.Minute} // longer than the time left
				}
				return core.Seen[*record]{Value: &record{"PENDING"}, Status: "PENDING"}, nil
			})
		var wt *vipps.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.ErrorIs(t, err, vipps.ErrWaitTimeout)
		assert.Equal(t, 9*time.Second, tr.checks[len(tr.checks)-1], "one last poll a second before the bound")
		assert.Equal(t, 3, len(tr.checks), "the minute-long Retry-After shrank to the time left")
		assert.Equal(t, 3, wt.Attempts)
		assert.Equal(t, 9*time.Second, wt.Elapsed)
		assert.Equal(t, "PENDING", wt.LastStatus)
		assert.NoError(t, wt.LastErr)
		assert.Zero(t, tr.events[len(tr.events)-1].NextDelay, "the last event says the wait ends")
	})
}

func TestPollTimeoutKeepsLastErr(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := core.Poll(t.Context(), core.PollOptions[*record]{MinDelay: time.Second, Timeout: 5 * time.Second},
			seen(func(context.Context) (*record, bool, error) {
				return nil, false, &vipps.Error{StatusCode: 409, Problem: vipps.ProblemKeysNotReady}
			}))
		var wt *vipps.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.Empty(t, wt.LastStatus, "no record seen")
		assert.Contains(t, err.Error(), "wait not seen after")
		assert.ErrorIs(t, err, vipps.ErrKeysNotReady, "the last error is reachable")
		var apiErr *vipps.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 409, apiErr.StatusCode)
		assert.Greater(t, wt.Attempts, 2)
	})
}

func TestPollDefaultBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		_, err := core.Poll(t.Context(), core.PollOptions[int]{}, seen(func(context.Context) (int, bool, error) { return 0, false, nil }))
		assert.ErrorIs(t, err, vipps.ErrWaitTimeout)
		assert.LessOrEqual(t, time.Since(start), core.DefaultWaitTimeout)
		assert.Greater(t, time.Since(start), core.DefaultWaitTimeout-2*time.Second)
	})
}

func TestPollStopsOnNonTemporary(t *testing.T) {
	failed := errors.New("provisioning FAILED")
	for name, e := range map[string]error{
		"400":    &vipps.Error{StatusCode: 400},
		"401":    &vipps.Error{StatusCode: 401},
		"403":    &vipps.Error{StatusCode: 403},
		"404":    &vipps.Error{StatusCode: 404},
		"501":    &vipps.Error{StatusCode: 501},
		"typed":  failed,
		"cancel": &vipps.Error{Err: context.Canceled},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				n := 0
				v, err := core.Poll(t.Context(), core.PollOptions[*record]{}, seen(func(context.Context) (*record, bool, error) {
					n++
					return &record{"FAILED"}, false, e
				}))
				assert.Same(t, e, err)
				assert.Equal(t, &record{"FAILED"}, v, "the record that came with the error is returned")
				assert.Equal(t, 1, n)
				assert.Zero(t, time.Since(start))
			})
		})
	}
}

func TestPollKeepsGoingOnTemporary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errs := []error{
			&vipps.Error{Err: errors.New("connection reset")},
			&vipps.Error{StatusCode: 503},
			&vipps.Error{StatusCode: 409, Problem: vipps.ProblemKeysNotReady},
			&vipps.Error{StatusCode: 408},
		}
		n := 0
		got, err := core.Poll(t.Context(), core.PollOptions[string]{MinDelay: time.Second}, seen(func(context.Context) (string, bool, error) {
			n++
			if n <= len(errs) {
				return "", false, errs[n-1]
			}
			return "ACTIVE", true, nil
		}))
		require.NoError(t, err)
		assert.Equal(t, "ACTIVE", got)
		assert.Equal(t, 5, n)
	})
}

func TestPollContextCancelledDuringWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(3*time.Second, cancel)
		start := time.Now()
		_, err := core.Poll(ctx, core.PollOptions[int]{MinDelay: 10 * time.Second}, seen(func(context.Context) (int, bool, error) { return 1, false, nil }))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 3*time.Second, time.Since(start))
	})
}

// Whatever the jitter, the last poll is at the bound (a second before the
// timeout): a wait that would stop short of it by less than PollFloor
// stretches to it instead of the wait giving up early.
func TestPollLastPollIsAtTheBound(t *testing.T) {
	for trial := range 50 {
		synctest.Test(t, func(t *testing.T) {
			tr := &pollTrace{start: time.Now()}
			_, err := core.Poll(t.Context(), tr.opts(core.PollOptions[*record]{MinDelay: 700 * time.Millisecond, MaxDelay: 700 * time.Millisecond, Timeout: 10 * time.Second}),
				func(context.Context) (core.Seen[*record], error) {
					tr.mark()
					return core.Seen[*record]{Value: &record{"PENDING"}, Status: "PENDING"}, nil
				})
			var wt *vipps.WaitTimeoutError
			require.ErrorAs(t, err, &wt)
			assert.Equal(t, 9*time.Second, tr.checks[len(tr.checks)-1], "trial %d: the last poll", trial)
			assert.Equal(t, 9*time.Second, wt.Elapsed, "trial %d", trial)
			for i, ev := range tr.events[:len(tr.events)-1] {
				assert.GreaterOrEqual(t, ev.NextDelay, core.PollFloor, "trial %d, wait %d", trial, i)
			}
		})
	}
}
