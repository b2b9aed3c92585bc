package soak

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config shapes a soak run. Zero fields take the command's defaults.
type Config struct {
	Workers     int
	Ops         int
	FaultRate   float64
	Seed        int64
	CallTimeout time.Duration
	Logger      *slog.Logger // given to every client with portal.WithLogger
	ErrLog      io.Writer    // gets fmt.Sprintf("%+v", err) of every failed call
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Ops <= 0 {
		c.Ops = 10000
	}
	if c.FaultRate < 0 {
		c.FaultRate = 0
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 2 * time.Second
	}
	return c
}

// Result is what a run did and what the checks found.
type Result struct {
	Requests, Faults int
	Ops, OK, Failed  int
	Untyped          int // failures that were no typed error of the SDK
	Orphaned         int // failed calls whose work the server did anyway (not duplicates)
	Duplicates, Lost int
	Findings         []string
	Secrets          []string // every secret value of the run (for log audits)
	Elapsed          time.Duration
}

// FaultShare is the share of requests a fault affected.
func (r *Result) FaultShare() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Faults) / float64(r.Requests)
}

// Line is the one-line summary.
func (r *Result) Line() string {
	return fmt.Sprintf("requests=%d faults=%d (%.1f%%) ops=%d ok=%d failed=%d duplicates=%d lost=%d",
		r.Requests, r.Faults, 100*r.FaultShare(), r.Ops, r.OK, r.Failed, r.Duplicates, r.Lost)
}

// Passed reports whether nothing was lost or duplicated and every failure was typed.
func (r *Result) Passed() bool { return r.Duplicates == 0 && r.Lost == 0 && r.Untyped == 0 }
