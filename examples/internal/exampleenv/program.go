package exampleenv

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// Run is every example's program: it parses args, connects (starting the
// embedded simulator with sim when no VIPPS_* variable is set), does its work
// and returns the exit code.
type Run func(ctx context.Context, args []string, stdout, stderr io.Writer, sim Sim) int

// Main is every example's main function: it calls run with the command
// line, stdout, stderr and [Embedded], cancels run's context on Ctrl-C (so
// the example can stop and clean up), and exits with run's code.
func Main(run Run) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, Embedded)
	stop()
	os.Exit(code)
}

// Program is what an example's run hands its job to: the command line it
// parses and how it connects. run makes Flags, defines its flags on it, and
// calls Program.Run with the job.
type Program struct {
	// Flags is the example's flag set, from [Flags]; its name is the program's
	// (the usage's, the errors' and the Vipps-System-Name header's).
	Flags *flag.FlagSet
	// As is whose keys the example uses on the embedded simulator.
	As Principal
	// SimOptions, when set, returns the options the embedded simulator starts
	// with. It is called after the flags are parsed: they may depend on them.
	SimOptions func() []portaltest.Option
	// Check, when set, refuses flag values once they are parsed and before
	// anything starts: return a [Usagef] error (exit code 2).
	Check func() error
}

// Run parses args, checks them, connects and runs job with the connection
// (closed when job returns), printing on stdout, and returns the exit code:
// 0 when job succeeded or after -h, 2 for a refused command line or a
// half-set environment (or a [Usagef] error of job's), 1 otherwise, with the
// error on stderr.
func (p Program) Run(ctx context.Context, args []string, stdout, stderr io.Writer, sim Sim,
	job func(ctx context.Context, c *Conn) error) int {
	return Exit(p.Flags.Name(), p.run(ctx, args, stdout, stderr, sim, job), stderr)
}

func (p Program) run(ctx context.Context, args []string, stdout, stderr io.Writer, sim Sim,
	job func(ctx context.Context, c *Conn) error) error {
	if err := Parse(p.Flags, args, stdout, stderr); err != nil {
		return err
	}
	if p.Check != nil {
		if err := p.Check(); err != nil {
			return err
		}
	}
	var opts []portaltest.Option
	if p.SimOptions != nil {
		opts = p.SimOptions()
	}
	c, err := connect(p.Flags.Name(), sim, opts, p.As, stdout)
	if err != nil {
		return err
	}
	defer c.Close()
	return job(ctx, c)
}
