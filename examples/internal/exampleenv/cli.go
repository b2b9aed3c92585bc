package exampleenv

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

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
VIPPS_BASE_URL, VIPPS_PORTAL_URL, VIPPS_MSN, VIPPS_ENVIRONMENT, VIPPS_TOKEN_SCOPE.`

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
