// Command simulator runs the SDK's simulator of the whole portal contract as a
// standalone server:
//
//	go run ./examples/simulator -addr 127.0.0.1:8080 -seed FILE \
//	    -provisioning-delay 30s -keys-delay 10s -order-step 5s
//
// It prints "listening on http://ADDR" once ready and serves until SIGINT or
// SIGTERM, starting from the seed each time. -print-seed prints the resolved
// seed (generated keys included) and exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vippsportal/sdk/portal/portaltest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	seedFile := fs.String("seed", "", "seed file (JSON); default: the built-in seed")
	provisioning := fs.Duration("provisioning-delay", 0, "time from ordering a test sales unit to COMPLETED")
	keysDelay := fs.Duration("keys-delay", 0, "time from a unit's completion to its keys being ready")
	orderStep := fs.Duration("order-step", 0, "move each prefilled product order one status every D (0: never)")
	printSeed := fs.Bool("print-seed", false, "print the resolved seed (generated keys included) and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "simulator: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	seed := portaltest.DefaultSeed()
	if *seedFile != "" {
		f, err := os.Open(*seedFile)
		if err != nil {
			fmt.Fprintf(stderr, "simulator: %v\n", err)
			return 1
		}
		seed, err = portaltest.LoadSeed(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "simulator: %s: %v\n", *seedFile, err)
			return 1
		}
	}
	opts := []portaltest.Option{portaltest.WithSeed(seed), portaltest.WithProvisioningDelay(*provisioning),
		portaltest.WithKeysDelay(*keysDelay), portaltest.WithOrderStep(*orderStep)}
	listen := *addr
	if *printSeed {
		listen = "127.0.0.1:0"
	}
	s, err := portaltest.Start(listen, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "simulator: %v\n", err)
		return 1
	}
	if *printSeed {
		defer s.Close()
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s.ResolvedSeed()); err != nil {
			fmt.Fprintf(stderr, "simulator: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "listening on %s\n", s.URL)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(shutdown); err != nil {
		s.Close()
	}
	return 0
}
