// Package exampleenv is the plumbing every example shares, so that each
// example's main.go holds only the job it shows: its command line (-h prints
// usage and exits 0, a bad flag exits 2, a failure 1), the choice of where it
// connects, and its main function.
//
// The choice is made here once for all examples: with no VIPPS_* connection
// variable set they run on the embedded simulator; with some set they use
// portal.NewFromEnv, and a half-configured environment is refused with the
// names of the missing variables rather than quietly ignored.
package exampleenv

import (
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
	portal.EnvBaseURL, portal.EnvPortalURL, portal.EnvMSN, portal.EnvEnvironment, portal.EnvTokenFlow, portal.EnvTokenScope,
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

// Sim is where an example's embedded simulator comes from. main passes
// [Embedded]; a test passes an exampletest.Recorder, which keeps the server
// to drive and inspect it.
type Sim interface {
	// NewServer starts the simulator with opts.
	NewServer(opts ...portaltest.Option) *portaltest.Server
	// ClientOptions are added to the example's client on that simulator
	// (a test watches the client's traffic this way).
	ClientOptions() []portal.Option
}

// Embedded is the Sim of a real run: portaltest.NewServer, and the example's
// client as it makes it.
var Embedded Sim = embedded{}

type embedded struct{}

func (embedded) NewServer(opts ...portaltest.Option) *portaltest.Server {
	return portaltest.NewServer(opts...)
}
func (embedded) ClientOptions() []portal.Option { return nil }

// Principal is whose keys an example uses on the embedded simulator.
type Principal func(*portaltest.Server) vipps.Credentials

// The simulator's seeded principals an example acts as.
var (
	// Admin is the merchant's administrator's API client (portal operations and the Management API).
	Admin Principal = func(s *portaltest.Server) vipps.Credentials { return s.UserCredentials(portaltest.AdminUserID) }
	// Partner is the partner's API client (the Management API and Webhooks for its connected units).
	Partner Principal = func(s *portaltest.Server) vipps.Credentials { return s.PartnerCredentials(portaltest.PartnerID) }
	// Unit is production sales unit portaltest.ProductionMSN's own keys.
	Unit Principal = func(s *portaltest.Server) vipps.Credentials { return s.UnitCredentials(portaltest.ProductionMSN) }
)

// Conn is an example's client, and the simulator it runs on when it was
// started for it (nil when the VIPPS_* variables are used).
type Conn struct {
	*portal.Client
	Sim *portaltest.Server
}

// Close releases the client's idle connections and stops the simulator, if
// one was started.
func (c *Conn) Close() {
	_ = c.Client.Close()
	if c.Sim != nil {
		c.Sim.Close()
	}
}

// connect returns the example's client: from the VIPPS_* variables when any
// is set, else on a simulator started now by sim with opts, as the principal
// as, saying so on out. A half-configured environment is an
// *IncompleteError, and no simulator is started in its place.
func connect(name string, sim Sim, opts []portaltest.Option, as Principal, out io.Writer) (*Conn, error) {
	system := portal.WithSystem(name, vipps.Version, "", "")
	useSim, err := UseSimulator(os.Getenv)
	if err != nil {
		return nil, err
	}
	if !useSim {
		c, err := portal.NewFromEnv(system)
		if err != nil {
			return nil, err
		}
		return &Conn{Client: c}, nil
	}
	srv := sim.NewServer(opts...)
	fmt.Fprintf(out, "No VIPPS_* variable set: using the embedded simulator at %s.\n", srv.URL)
	c, err := srv.Client(as(srv), append([]portal.Option{system}, sim.ClientOptions()...)...)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &Conn{Client: c, Sim: srv}, nil
}
