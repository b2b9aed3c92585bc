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
)

type record struct{ Status string }

// pollTrace records when check ran (on the bubble's clock) and what OnPoll said.
type pollTrace struct {
	start  time.Time
	checks []time.Duration
	events []core.PollEvent
}

func (p *pollTrace) opts(o core.PollOptions) core.PollOptions {
	o.OnPoll = func(ev core.PollEvent) { p.events = append(p.events, ev) }
	return o
}

func (p *pollTrace) mark() { p.checks = append(p.checks, time.Since(p.start)) }

func TestPollDelaysGrowWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &pollTrace{start: time.Now()}
		n := 0
		got, err := core.Poll(t.Context(), tr.opts(core.PollOptions{MinDelay: time.Second, MaxDelay: 4 * time.Second, Timeout: time.Hour}),
			func(context.Context) (*record, bool, error) {
				tr.mark()
				n++
				if n == 8 {
					return &record{"DONE"}, true, nil
				}
				return &record{"PENDING"}, false, nil
			})
		require.NoError(t, err)
		assert.Equal(t, "DONE", got.Status)
		require.Len(t, tr.events, 8, "every poll is reported, the last one too")
		last := tr.events[7]
		assert.Equal(t, 8, last.Attempt)
		assert.Equal(t, &record{"DONE"}, last.State)
		assert.Zero(t, last.NextDelay, "the wait ends")
		base := []float64{1, 1.5, 2.25, 3.375, 4, 4, 4}
		for i, ev := range tr.events[:7] {
			assert.Equal(t, i+1, ev.Attempt)
			assert.Equal(t, &record{"PENDING"}, ev.State)
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
		_, err := core.Poll(t.Context(), tr.opts(core.PollOptions{MinDelay: time.Second, Timeout: time.Hour}),
			func(context.Context) (*record, bool, error) {
				tr.mark()
				n++
				if n == 1 {
					return nil, false, &core.Error{StatusCode: 429, RetryAfter: 30 * time.Second}
				}
				return &record{"DONE"}, true, nil
			})
		require.NoError(t, err)
		require.Len(t, tr.checks, 2)
		assert.Equal(t, 30*time.Second, tr.checks[1]-tr.checks[0])
		require.Len(t, tr.events, 2)
		assert.ErrorIs(t, tr.events[0].Err, core.ErrRateLimited)
		assert.Nil(t, tr.events[0].State)
		assert.Equal(t, &record{"DONE"}, tr.events[1].State)
		assert.Zero(t, tr.events[1].NextDelay)
	})
}

func TestPollShrinksToTimeLeftAndTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &pollTrace{start: time.Now()}
		_, err := core.Poll(t.Context(), tr.opts(core.PollOptions{MinDelay: 4 * time.Second, MaxDelay: 4 * time.Second, Timeout: 10 * time.Second}),
			func(context.Context) (*record, bool, error) {
				tr.mark()
				if len(tr.checks) == 2 {
					return nil, false, &core.Error{StatusCode: 429, RetryAfter: time.Minute} // longer than the time left
				}
				return &record{"PENDING"}, false, nil
			})
		var wt *core.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.ErrorIs(t, err, core.ErrWaitTimeout)
		assert.Equal(t, 10*time.Second, tr.checks[len(tr.checks)-1], "one last poll exactly at the bound")
		assert.Equal(t, 3, len(tr.checks), "the minute-long Retry-After shrank to the time left")
		assert.Equal(t, 3, wt.Attempts)
		assert.Equal(t, 10*time.Second, wt.Elapsed)
		assert.Equal(t, &record{"PENDING"}, wt.Last)
		assert.NoError(t, wt.LastErr)
		assert.Zero(t, tr.events[len(tr.events)-1].NextDelay, "the last event says the wait ends")
	})
}

func TestPollTimeoutKeepsLastErr(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := core.Poll(t.Context(), core.PollOptions{MinDelay: time.Second, Timeout: 5 * time.Second},
			func(context.Context) (*record, bool, error) {
				return nil, false, &core.Error{StatusCode: 409, Problem: core.ProblemKeysNotReady}
			})
		var wt *core.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.Nil(t, wt.Last, "no record seen: a nil interface, not a typed nil")
		assert.ErrorIs(t, err, core.ErrKeysNotReady, "the last error is reachable")
		var apiErr *core.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 409, apiErr.StatusCode)
		assert.Greater(t, wt.Attempts, 2)
	})
}

func TestPollDefaultBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		_, err := core.Poll(t.Context(), core.PollOptions{}, func(context.Context) (int, bool, error) { return 0, false, nil })
		assert.ErrorIs(t, err, core.ErrWaitTimeout)
		assert.Equal(t, core.DefaultWaitTimeout, time.Since(start))
	})
}

func TestPollStopsOnNonTemporary(t *testing.T) {
	failed := errors.New("provisioning FAILED")
	for name, e := range map[string]error{
		"400":    &core.Error{StatusCode: 400},
		"401":    &core.Error{StatusCode: 401},
		"403":    &core.Error{StatusCode: 403},
		"404":    &core.Error{StatusCode: 404},
		"501":    &core.Error{StatusCode: 501},
		"typed":  failed,
		"cancel": &core.Error{Err: context.Canceled},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				n := 0
				v, err := core.Poll(t.Context(), core.PollOptions{}, func(context.Context) (*record, bool, error) {
					n++
					return &record{"FAILED"}, false, e
				})
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
			&core.Error{Err: errors.New("connection reset")},
			&core.Error{StatusCode: 503},
			&core.Error{StatusCode: 409, Problem: core.ProblemKeysNotReady},
			&core.Error{StatusCode: 408},
		}
		n := 0
		got, err := core.Poll(t.Context(), core.PollOptions{MinDelay: time.Second}, func(context.Context) (string, bool, error) {
			n++
			if n <= len(errs) {
				return "", false, errs[n-1]
			}
			return "ACTIVE", true, nil
		})
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
		_, err := core.Poll(ctx, core.PollOptions{MinDelay: 10 * time.Second}, func(context.Context) (int, bool, error) { return 1, false, nil })
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 3*time.Second, time.Since(start))
	})
}
