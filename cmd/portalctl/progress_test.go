package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// A wait of a creation: two polls PENDING with the server's estimate, one
// that failed and is kept going, then the unit ready.
var wait = []salesunit.PollEvent{
	{PollEvent: vipps.PollEvent{Attempt: 1, Elapsed: 100 * time.Millisecond, Kind: "creation", ID: "c1", Status: "PENDING", NextDelay: 28 * time.Second, Estimated: true}},
	{PollEvent: vipps.PollEvent{Attempt: 2, Elapsed: 28 * time.Second, Kind: "creation", ID: "c1", Status: "PENDING", NextDelay: 2 * time.Second, Estimated: true}},
	{PollEvent: vipps.PollEvent{Attempt: 3, Elapsed: 30 * time.Second, Kind: "creation", ID: "c1", Err: errors.New("503 unavailable"), NextDelay: 3 * time.Second}},
	{PollEvent: vipps.PollEvent{Attempt: 4, Elapsed: 33 * time.Second, Kind: "test unit", ID: "123456", Status: "ready", Done: true}},
}

func TestProgressPrintsALinePerStateChange(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	for _, ev := range wait {
		p.event(ev)
	}
	p.finish()
	assert.Equal(t, "creation c1: PENDING after 100ms (poll 1); next poll in 28s (server's estimate)\n"+
		"creation c1: poll failed (503 unavailable) after 30s (poll 3); next poll in 3s\n"+
		"test unit 123456: ready after 33s (poll 4): ready\n", out.String())
}

func TestProgressRedrawsOneLineOnATerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	p.live = true
	for _, ev := range wait {
		p.event(ev)
	}
	p.finish()
	const redraw = "\r\x1b[K"
	assert.Equal(t, redraw+"creation c1: PENDING after 100ms (poll 1); next poll in 28s (server's estimate)"+
		redraw+"creation c1: PENDING after 28s (poll 2); next poll in 2s (server's estimate)\n"+
		redraw+"creation c1: poll failed (503 unavailable) after 30s (poll 3); next poll in 3s\n"+
		redraw+"test unit 123456: ready after 33s (poll 4): ready\n", out.String())

	// A wait that ends on an error leaves no line open.
	out.Reset()
	p = newProgress(&out)
	p.live = true
	p.event(wait[0])
	p.finish()
	p.finish()
	assert.Equal(t, redraw+"creation c1: PENDING after 100ms (poll 1); next poll in 28s (server's estimate)\n", out.String())
}

func TestIsTerminal(t *testing.T) {
	assert.False(t, isTerminal(&bytes.Buffer{}))
	f, err := openTemp(t)
	if assert.NoError(t, err) {
		assert.False(t, isTerminal(f), "a regular file")
	}
}
