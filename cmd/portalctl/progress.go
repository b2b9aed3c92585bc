package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// progress reports a wait on stderr from the waiter's OnPoll events: a line
// each time the state changes, with the time elapsed and when the next poll
// is (the server's estimate, when it gave one). On a terminal the current
// line is redrawn on every poll instead, and ends when the state changes.
type progress struct {
	w    io.Writer
	live bool   // redraw the line: w is a terminal
	last string // the state last reported
	open bool   // a live line is drawn and not yet ended
}

func newProgress(w io.Writer) *progress { return &progress{w: w, live: isTerminal(w)} }

// waitOptions are the options of a waiter bounded by the command's bound,
// reporting its progress on stderr. Call finish once the wait is over.
func (a *app) waitOptions(forKeys bool) (*salesunit.WaitOptions, *progress) {
	p := newProgress(a.stderr)
	return &salesunit.WaitOptions{Timeout: a.bound(true), WaitForKeys: forKeys,
		OnPoll: func(e salesunit.PollEvent) { p.event(e.PollEvent) }}, p
}

func (p *progress) event(ev vipps.PollEvent) {
	state := ev.Status
	if ev.Err != nil {
		state = "poll failed (" + ev.Err.Error() + ")"
	}
	key := ev.Kind + " " + ev.ID + ": " + state
	line := fmt.Sprintf("%s after %s", key, ev.Elapsed.Round(100*time.Millisecond))
	switch {
	case ev.Done:
		line += " (done)"
	case ev.NextDelay > 0 && ev.Estimated:
		line += fmt.Sprintf("; the server estimates %s more", ev.NextDelay.Round(100*time.Millisecond))
	case ev.NextDelay > 0:
		line += fmt.Sprintf("; next poll in %s", ev.NextDelay.Round(100*time.Millisecond))
	}
	changed := key != p.last
	p.last = key
	switch {
	case p.live:
		if changed && p.open {
			fmt.Fprintln(p.w)
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.open = true
		if ev.Done || ev.NextDelay == 0 {
			p.finish()
		}
	case changed || ev.Done:
		fmt.Fprintln(p.w, line)
	}
}

// finish ends a live line left open (a wait that ended on an error).
func (p *progress) finish() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
