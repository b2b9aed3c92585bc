// Command soak runs many workers doing every operation of the SDK against the
// simulator while it injects faults (429s with Retry-After in both forms, 5xx
// answers and bursts, connections dropped after the work was done, answers
// delayed past the caller's deadline), then checks the simulator's state against
// what the workers were told: nothing lost, nothing done twice, every failure a
// typed error.
//
//	go run ./examples/soak -workers 16 -ops 10000 -fault-rate 0.12
//
// It prints one line and exits 1 when a check fails:
//
//	requests=N faults=N (X%) ops=N ok=N failed=N duplicates=0 lost=0
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

func main() {
	cfg := Config{}
	flag.IntVar(&cfg.Workers, "workers", 16, "concurrent workers")
	flag.IntVar(&cfg.Ops, "ops", 10000, "operations in all")
	flag.Float64Var(&cfg.FaultRate, "fault-rate", 0.12, "share of requests to fault (about)")
	flag.Int64Var(&cfg.Seed, "seed", 1, "seed of the workers' choices and of the simulator's fault probabilities")
	flag.DurationVar(&cfg.CallTimeout, "call-timeout", 2*time.Second, "deadline of each SDK call")
	verbose := flag.Bool("v", false, "print every finding of the checks and a debug log to stderr")
	flag.Parse()
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.ErrLog = os.Stderr
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	fmt.Println(res.Line())
	if *verbose {
		fmt.Fprintf(os.Stderr, "orphaned=%d untyped=%d secrets=%d elapsed=%s\n", res.Orphaned, res.Untyped, len(res.Secrets), res.Elapsed.Round(time.Millisecond))
	}
	if *verbose || !res.Passed() {
		for _, f := range res.Findings {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
	}
	if !res.Passed() {
		os.Exit(1)
	}
}

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
