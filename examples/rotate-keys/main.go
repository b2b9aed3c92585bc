// Command rotate-keys is a merchant backend rotating the API keys of its sales
// unit without downtime. Its integration reads the keys from a JSON file
// (keys.KeyFile, which keys.NewFileSource follows); the rotation replaces that
// file atomically (mode 0600) after every verified change, so storing is the
// switch, and waits -drain before it regenerates a key the integration used, so
// every reader has switched and its calls with the old key are answered.
//
//	go run ./examples/rotate-keys                       # subscription keys, on the simulator
//	go run ./examples/rotate-keys -client-secret        # the client secret too
//	go run ./examples/rotate-keys -manual               # an operator regenerates on portal.vippsmobilepay.com
//	go run ./examples/rotate-keys -store keys.json -msn 123456
//	go run ./examples/rotate-keys -live -drain 3s          # an integration follows the file meanwhile
//
// With no VIPPS_* variable set it starts the SDK's simulator in this process
// and acts as its administrator; a half-set environment is refused rather than
// ignored (its -store could be the file a real integration follows). Otherwise
// it uses portal.NewFromEnv: without -manual the portal operations need
// VIPPS_PORTAL_URL (a gateway serving the SDK's portal contract) and portal
// user credentials; with -manual it needs only a token endpoint, which is how
// it runs against Vipps today: the key file must then exist, holding the
// keys the integration uses now ({"inUse": ..., "keys": {...KeySet...}}).
//
// It exits with status 1 on any failure, 2 on a refused command line or
// environment. When a new key set cannot be stored, it is written to a rescue
// file beside the key file (0600), never printed.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
)

func main() {
	exampleenv.Main(func(ctx context.Context, args []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
		return run(ctx, args, os.Stdin, stdout, stderr, sim)
	})
}

// config is the command line.
type config struct {
	storePath    string
	msn          string
	manual       bool
	clientSecret bool
	subKeys      bool
	drain        time.Duration
	live         bool
}

const about = `Rotates the API keys of a sales unit without downtime. The key file is
what the integration reads (keys.NewFileSource follows it): every verified
change replaces it atomically (0600), so storing is the switch. Before a key
the integration used is regenerated, the rotation waits -drain, so that every
reader of the file has switched and the calls it had sent with the old key
are answered.`

// run is the whole program; it returns the exit code. The operator's
// answers to -manual come from stdin.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, sim exampleenv.Sim) int {
	fs := exampleenv.Flags("rotate-keys", about)
	var cfg config
	fs.StringVar(&cfg.storePath, "store", "", "key file (JSON, 0600) the integration follows; default: keys.json in a new temporary directory on the simulator, required otherwise")
	fs.StringVar(&cfg.msn, "msn", os.Getenv(portal.EnvMSN), "sales unit whose keys rotate (default $VIPPS_MSN, or the simulator's 123456)")
	fs.BoolVar(&cfg.manual, "manual", false, "an operator regenerates each key on portal.vippsmobilepay.com and pastes it here")
	fs.BoolVar(&cfg.subKeys, "subscription-keys", true, "rotate both subscription keys")
	fs.BoolVar(&cfg.clientSecret, "client-secret", false, "rotate the client secret")
	fs.DurationVar(&cfg.drain, "drain", keys.DefaultDrain, "wait this long after the integration switched away from a key before regenerating it: longer than the readers' check interval ("+keys.DefaultCheckEvery.String()+" by default) plus their longest call; 0 for no wait")
	fs.BoolVar(&cfg.live, "live", false, "also run an integration in this process that follows the key file (keys.NewFileSource) and calls the API through its services and HTTPClient while the keys rotate; prints its calls and failures")
	p := exampleenv.Program{Flags: fs, As: exampleenv.Admin, Check: cfg.check}
	return p.Run(ctx, args, stdout, stderr, sim, func(ctx context.Context, c *exampleenv.Conn) error {
		return rotate(ctx, cfg, c, stdin, stdout)
	})
}

// check refuses a command line that asks for nothing, or a negative drain.
func (c *config) check() error {
	if !c.subKeys && !c.clientSecret {
		return exampleenv.Usagef("nothing to rotate: keep -subscription-keys or add -client-secret")
	}
	if c.drain < 0 {
		return exampleenv.Usagef("-drain must not be negative")
	}
	return nil
}

// rotate rotates the keys of cfg.msn with c, which acts as a portal user
// (with -manual, as the unit's token endpoint only).
func rotate(ctx context.Context, cfg config, c *exampleenv.Conn, stdin io.Reader, stdout io.Writer) error {
	if c.Sim != nil {
		if cfg.msn == "" {
			cfg.msn = portaltest.ProductionMSN
		}
		if cfg.storePath == "" {
			dir, err := os.MkdirTemp("", "rotate-keys-")
			if err != nil {
				return err
			}
			cfg.storePath = filepath.Join(dir, "keys.json")
		}
	}
	if cfg.msn == "" {
		return errors.New("-msn (or VIPPS_MSN) is required")
	}
	if cfg.storePath == "" {
		return errors.New("-store is required")
	}
	store := &fileStore{path: cfg.storePath}

	current, inUse, err := store.Load()
	switch {
	case errors.Is(err, errNoStore) && cfg.manual && c.Sim == nil:
		return fmt.Errorf("%s does not exist: with -manual, write the keys your integration uses now into it first "+
			`({"inUse": "subscriptionKeyPrimary", "keys": {"msn": ..., "environment": ..., "clientId": ..., "clientSecret": ..., `+
			`"subscriptionKeyPrimary": ..., "subscriptionKeySecondary": ...}}) and make it 0600`, cfg.storePath)
	case errors.Is(err, errNoStore):
		// First run: take the keys from the portal, and the primary as the key in use.
		got, err := c.Keys.Get(ctx, cfg.msn)
		if err != nil {
			return fmt.Errorf("reading the current keys: %w", err)
		}
		current, inUse = *got, keys.SubscriptionKeyPrimary
		if err := store.Save(ctx, current, inUse); err != nil {
			return fmt.Errorf("writing %s: %w", cfg.storePath, err)
		}
		fmt.Fprintf(stdout, "Wrote the current keys of sales unit %s to %s.\n", cfg.msn, cfg.storePath)
	case err != nil:
		return err
	}
	if current.MSN != cfg.msn {
		return fmt.Errorf("%s holds the keys of sales unit %s, not %s", cfg.storePath, current.MSN, cfg.msn)
	}

	drain := cfg.drain
	if drain == 0 {
		drain = -1 // DrainStrategy: no wait
	}
	opts := keys.RotateOptions{
		SubscriptionKeys: cfg.subKeys,
		ClientSecret:     cfg.clientSecret,
		InUse:            inUse,
		Current:          &current,
		Store:            store.Save, // the integration reads the file: storing is the switch
		Strategy:         keys.DrainStrategy{Drain: drain},
		OnStep: func(st keys.RotationStep) {
			if st.Action == keys.ActionDrain {
				fmt.Fprintf(stdout, "%s  %s (waited %s)\n", st.At.Format(time.TimeOnly), st, st.Took.Round(time.Millisecond))
				return
			}
			fmt.Fprintf(stdout, "%s  %s\n", st.At.Format(time.TimeOnly), st)
		},
	}
	if cfg.manual {
		in := bufio.NewReader(stdin)
		manual := &keys.ManualReplacer{In: in, Out: stdout}
		opts.Replacer = manual
		if c.Sim != nil {
			opts.Replacer = simulatedPortal(c.Client, manual, stdout)
		}
	}

	var in *integration
	if cfg.live {
		if in, err = startIntegration(ctx, c, cfg); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "Rotating the keys of sales unit %s; the integration uses %s.\n", cfg.msn, inUse)
	rep, err := c.Keys.Rotate(ctx, cfg.msn, opts)
	if in != nil {
		calls, failed := in.stop()
		fmt.Fprintf(stdout, "Integration following %s: calls=%d failed=%d\n", cfg.storePath, calls, failed)
		if err == nil && failed > 0 {
			err = fmt.Errorf("the integration failed %d of %d calls during the rotation", failed, calls)
		}
	}
	if err != nil {
		if set, ok := keys.UnsavedSet(err); ok {
			var se *keys.StoreError
			if errors.As(err, &se) {
				inUse = se.InUse
			}
			return rescue(cfg.storePath, set, inUse, err)
		}
		return err
	}
	fmt.Fprintf(stdout, "Done: %v.\nThe keys are in %s (updated %s).\n", rep, cfg.storePath, rep.UpdatedAt.Format(time.RFC3339))
	return nil
}

// rescue writes a set that could not be stored to a file beside the key file,
// so that nothing is lost, and says where (never what).
func rescue(storePath string, set keys.Set, inUse keys.Name, cause error) error {
	name := fmt.Sprintf("%s.rescue-%s", storePath, time.Now().UTC().Format("20060102T150405Z"))
	st := &fileStore{path: name}
	if werr := st.Save(context.Background(), set, inUse); werr != nil {
		return fmt.Errorf("%w; writing the new keys to %s failed too (%v): read them on portal.vippsmobilepay.com", cause, name, werr)
	}
	return fmt.Errorf("%w; the new keys were written to %s (0600): move them into place", cause, name)
}

// simulatedPortal stands in for portal.vippsmobilepay.com when -manual runs on the
// simulator: before the operator is asked, it presses Regenerate in the
// simulator and shows the new value, as the portal's page would.
func simulatedPortal(c *portal.Client, manual *keys.ManualReplacer, stdout io.Writer) keys.Replacer {
	return keys.ReplacerFunc(func(ctx context.Context, r keys.Replacement) (keys.Set, error) {
		set, err := c.Keys.Regenerate(ctx, r.Current.MSN, r.Name)
		if err != nil {
			return keys.Set{}, err
		}
		var shown string
		switch r.Name {
		case keys.ClientID:
			shown = set.ClientID
		case keys.ClientSecret:
			shown = set.ClientSecret.Reveal()
		default:
			shown = set.SubscriptionKey(r.Name).Reveal()
		}
		// This is the simulator's portal page: a real program never prints a key.
		fmt.Fprintf(stdout, "\n[simulated portal.vippsmobilepay.com] %s regenerated; the page shows: %s\n", r.Name, shown)
		return manual.Replace(ctx, r)
	})
}
