// Package exampleenv is the plumbing every example shares: its command line
// (-h prints usage and exits 0) and the choice of where it connects.
//
// The choice is made here once for all examples: with no VIPPS_* connection
// variable set they run on the embedded simulator; with some set they use
// portal.NewFromEnv, and a half-configured environment is refused with the
// names of the missing variables rather than quietly ignored.
package exampleenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// Vars are the connection variables of portal.NewFromEnv. Any of them set (to
// a non-empty value) means the user meant to connect somewhere.
var Vars = []string{
	portal.EnvClientID, portal.EnvClientSecret, portal.EnvSubscriptionKey,
	portal.EnvBaseURL, portal.EnvPortalURL, portal.EnvMSN, portal.EnvEnvironment, portal.EnvTokenFlow,
}

// IncompleteError refuses an environment where some connection variables are
// set but not all those a client needs.
type IncompleteError struct {
	Missing []string // required and not set
	Set     []string // the connection variables that are set
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%s not set (but %s set): set %s too, or unset every VIPPS_* variable to run on the embedded simulator",
		strings.Join(e.Missing, ", "), strings.Join(e.Set, ", "), them(len(e.Missing)))
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// UseSimulator reports whether no connection variable is set in getenv (use
// the embedded simulator). When some are, it checks the ones a client needs:
// the client id and secret, and the subscription key unless VIPPS_TOKEN_FLOW
// is specialized (management keys have none); a gap is an *IncompleteError.
func UseSimulator(getenv func(string) string) (bool, error) {
	var set []string
	for _, v := range Vars {
		if getenv(v) != "" {
			set = append(set, v)
		}
	}
	if len(set) == 0 {
		return true, nil
	}
	need := []string{portal.EnvClientID, portal.EnvClientSecret}
	if !strings.EqualFold(strings.TrimSpace(getenv(portal.EnvTokenFlow)), "specialized") {
		need = append(need, portal.EnvSubscriptionKey)
	}
	var missing []string
	for _, v := range need {
		if getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		return false, &IncompleteError{Missing: missing, Set: set}
	}
	return false, nil
}

// Run is every example's program: it parses args, connects (starting the
// embedded simulator with newServer when no VIPPS_* variable is set), does
// its work and returns the exit code. main passes portaltest.NewServer; tests
// pass their own to keep the server and drive it.
type Run func(ctx context.Context, args []string, stdout, stderr io.Writer, newServer func(...portaltest.Option) *portaltest.Server) int

// Setup says how an example connects.
type Setup struct {
	Name string // the program's name, sent as Vipps-System-Name
	// NewServer starts the embedded simulator (portaltest.NewServer when nil).
	// Tests pass their own to keep the server and drive it.
	NewServer  func(opts ...portaltest.Option) *portaltest.Server
	SimOptions []portaltest.Option
	// SimClient makes the example's client on the simulator (whose principal it acts as).
	SimClient func(s *portaltest.Server, opts ...portal.Option) (*portal.Client, error)
	// Out gets one line saying the simulator is used (nil: nothing).
	Out io.Writer
}

// Conn is an example's client, and the simulator it runs on when it was
// started for it (nil when the VIPPS_* variables are used).
type Conn struct {
	*portal.Client
	Sim *portaltest.Server
}

// Close stops the simulator, if one was started.
func (c *Conn) Close() {
	if c.Sim != nil {
		c.Sim.Close()
	}
}

// Connect returns the example's client: from the VIPPS_* variables when any
// is set, else on a simulator started now. A half-configured environment is
// an *IncompleteError, and no simulator is started in its place.
func (s Setup) Connect() (*Conn, error) {
	sys := portal.WithSystem(s.Name, vipps.Version, "", "")
	sim, err := UseSimulator(os.Getenv)
	if err != nil {
		return nil, err
	}
	if !sim {
		c, err := portal.NewFromEnv(sys)
		if err != nil {
			return nil, err
		}
		return &Conn{Client: c}, nil
	}
	newServer := s.NewServer
	if newServer == nil {
		newServer = portaltest.NewServer
	}
	srv := newServer(s.SimOptions...)
	if s.Out != nil {
		fmt.Fprintf(s.Out, "No VIPPS_* variable set: using the embedded simulator at %s.\n", srv.URL)
	}
	c, err := s.SimClient(srv, sys)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &Conn{Client: c, Sim: srv}, nil
}

// Flags returns the example's flag set, named name (never a build path), whose
// usage is "usage: name [flags]", then about, then the flags and the note on
// VIPPS_* variables.
func Flags(name, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s [flags]\n\n%s\n", name, strings.TrimSpace(about))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(w, "\nflags:\n")
			fs.PrintDefaults()
		}
		fmt.Fprintf(w, "\n%s\n", envHelp)
	}
	return fs
}

const envHelp = `With no VIPPS_* variable set it runs on the embedded simulator. Otherwise it
connects with portal.NewFromEnv and needs VIPPS_CLIENT_ID, VIPPS_CLIENT_SECRET
and VIPPS_SUBSCRIPTION_KEY (none with VIPPS_TOKEN_FLOW=specialized); also read:
VIPPS_BASE_URL, VIPPS_PORTAL_URL, VIPPS_MSN, VIPPS_ENVIRONMENT.`

// UsageError is a refused command line: Exit makes it exit code 2.
type UsageError struct {
	Err     error
	printed bool // by Parse, with the usage
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef refuses a flag's value after Parse ("-n must be at least 1").
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Parse parses args with fs (made by Flags). After -h or -help it prints the
// usage to stdout and returns flag.ErrHelp; a bad flag or a stray argument is
// printed with the usage to stderr and returned as a *UsageError. Exit turns
// both into the exit code.
func Parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return flag.ErrHelp
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		fs.Usage()
		return &UsageError{Err: err, printed: true}
	}
	return nil
}

// Exit reports err on stderr as "name: err" and returns the exit code: 0 for
// nil and after -h, 2 for a refused command line or environment, 1 otherwise.
func Exit(name string, err error, stderr io.Writer) int {
	var usage *UsageError
	var inc *IncompleteError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		if !usage.printed {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
		}
		return 2
	case errors.As(err, &inc):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
