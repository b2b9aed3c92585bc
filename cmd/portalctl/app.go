package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// Default bounds of a command (--timeout overrides both).
const (
	defaultTimeout     = 30 * time.Second
	defaultWaitTimeout = 10 * time.Minute
)

// app is one run of portalctl: its global flags and where it writes.
type app struct {
	stdin          io.Reader // the operator's answers (keys rotate --manual), a --payload of -
	stdout, stderr io.Writer

	json    bool
	msn     string
	timeout time.Duration
	verbose bool
}

// call runs one command's work with a client built from the VIPPS_*
// variables and a context that carries --msn and ends with the command's
// bound. A waiting command's waiter has the bound itself (waitOptions); its
// context leaves room for the calls around the wait.
func (a *app) call(parent context.Context, wait bool, work func(ctx context.Context, c *portal.Client) error) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := parent
	if a.msn != "" {
		ctx = portal.WithMSN(ctx, a.msn)
	}
	bound := a.bound(wait)
	if wait {
		bound += defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	err = work(ctx, c)
	var ve *vipps.ValidationError
	switch {
	case err != nil && parent.Err() != nil:
		return errors.New("interrupted")
	case errors.As(err, &ve) && ve.Field == "WithMSN":
		return usage("--msn %s", ve.Reason) // the SDK names the option; here it is the flag
	}
	return err
}

// bound is how long a command may take: --timeout, or the default.
func (a *app) bound(wait bool) time.Duration {
	switch {
	case a.timeout > 0:
		return a.timeout
	case wait:
		return defaultWaitTimeout
	}
	return defaultTimeout
}

// client builds the SDK client from the environment, as portal.NewFromEnv
// does; -v sends the SDK's debug log (redacted by the SDK) to stderr.
func (a *app) client() (*portal.Client, error) {
	opts := []portal.Option{portal.WithSystem("portalctl", systemVersion(), "", "")}
	if a.verbose {
		opts = append(opts, portal.WithLogger(a.logger()))
	}
	c, err := portal.NewFromEnv(opts...)
	if err != nil {
		return nil, settingError(err)
	}
	return c, nil
}

// logger is -v's: debug lines on stderr.
func (a *app) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// settingNames are the VIPPS_* variables behind the fields portal.New names
// in its errors.
var settingNames = map[string]string{
	"Credentials.ClientID":        portal.EnvClientID,
	"Credentials.ClientSecret":    portal.EnvClientSecret,
	"Credentials.SubscriptionKey": portal.EnvSubscriptionKey,
	"Credentials.MSN":             portal.EnvMSN,
	"Credentials.Flow":            portal.EnvTokenFlow,
	"BaseURL":                     portal.EnvBaseURL,
	"PortalURL":                   portal.EnvPortalURL,
}

// settingError names the VIPPS_* variable that a refused setting came from:
// a usage error (exit 2), since the fix is the caller's.
func settingError(err error) error {
	var ve *vipps.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	name, ok := settingNames[ve.Field]
	switch {
	case strings.HasPrefix(ve.Field, "VIPPS_"): // NewFromEnv's own
		name = ve.Field
	case !ok:
		return usage("%v", err)
	}
	reason := ve.Reason
	if strings.HasPrefix(reason, "is required") {
		reason = "is not set"
		if name == portal.EnvSubscriptionKey {
			reason += " (a partner's management keys have none: set " + portal.EnvTokenFlow + "=specialized)"
		}
	}
	return usage("%s %s; run 'portalctl doctor --help' for the settings", name, reason)
}

// systemVersion is portalctl's version for Vipps-System-Version (at most 30
// characters): the module version go install stamped, or "devel".
func systemVersion() string {
	v := version()
	if len(v) > 30 {
		v = v[:30]
	}
	return v
}

// version is the module version of this build: set by go install
// ...@version, a pseudo-version for a build in a repository, else "devel".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
