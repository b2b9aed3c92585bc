// Command portalctl is the Vipps portal SDK from the shell, for operators and
// CI: sales units, product orders, test sales units, API keys, portal users
// and webhooks, in the conventions of gh and kubectl (portalctl <noun> <verb>).
//
//	cd cmd/portalctl && go install .   # from a checkout; see docs/portalctl.md for releases
//	portalctl doctor
//
// It reads the same VIPPS_* variables as portal.NewFromEnv, prints tables for
// people and one JSON document with --json for scripts, reports progress on
// stderr while it waits, and exits 0 when done, 1 when the work failed and 2
// on a usage error (an unknown command or flag, a wrong number of arguments,
// a bad value, a missing VIPPS_* setting). Secrets are shown only where asked
// (--reveal, or a 0600 file with --store).
//
// It holds no logic of its own: each command is a few lines over the public
// SDK, so what portalctl does, a program can do.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/vippsportal/sdk/vipps"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.root()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "portalctl: %v\n", err)
	if isUsage(err) {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	return exitFailed
}

// usageError is a command line that cannot run as given: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usage(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// isUsage reports an error of the command line: cobra's (wrapped where they
// arise), or input the SDK refused before sending anything (an MSN that is
// not 4-10 digits, an unknown role ...).
func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue) || errors.Is(err, vipps.ErrInvalidInput)
}
