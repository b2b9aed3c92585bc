package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vippsportal/sdk/salesunit"
)

// progress reports a wait on stderr from the waiter's OnPoll events, in the
// words of salesunit.PrintProgress (the state, the time elapsed, and when the
// next poll is: the server's estimate, when it gave one): a line each time the
// state changes. On a terminal the current line is redrawn on every poll
// instead, and ends when the state changes.
type progress struct {
	w     io.Writer
	live  bool   // redraw the line: w is a terminal
	last  string // the state last reported
	open  bool   // a live line is drawn and not yet ended
	line  bytes.Buffer
	print func(salesunit.PollEvent) // PrintProgress into line
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, live: isTerminal(w)}
	p.print = salesunit.PrintProgress(&p.line)
	return p
}

// waitOptions are the options of a waiter bounded by the command's bound,
// reporting its progress on stderr. Call finish once the wait is over.
func (a *app) waitOptions(forKeys bool) (*salesunit.WaitOptions, *progress) {
	p := newProgress(a.stderr)
	return &salesunit.WaitOptions{Timeout: a.bound(true), WaitForKeys: forKeys, OnPoll: p.event}, p
}

func (p *progress) event(ev salesunit.PollEvent) {
	p.line.Reset()
	p.print(ev)
	line := strings.TrimSuffix(p.line.String(), "\n")
	state := ev.Kind + " " + ev.ID + ": " + ev.Status
	if ev.Err != nil {
		state += ev.Err.Error()
	}
	changed := state != p.last
	p.last = state
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
